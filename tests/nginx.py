"""deploy/nginx.conf in front of a test server: rendered into a temporary prefix, on loopback.

The production file is rendered, not copied by hand, so tests exercise what operators
install: only the paths (pid, logs, temp files), the listening port and gunicorn's
address change. It runs as root (workers as `nobody`, so the prefix is readable by them)
or as a normal user (no `user` directive: workers keep the user's identity).
"""

import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import stop

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_CONFIG = ROOT / "deploy" / "nginx.conf"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_binary() -> str:
    """Return the nginx executable (Debian's is in /usr/sbin, not on a user's PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError("nginx is not installed: scripts/test installs it (apt-get nginx)")
    return found


def worker_user() -> str:
    """Return the `user` line for nginx: `nobody` and its group as root, nothing otherwise."""
    if os.geteuid() != 0:
        return ""
    nobody = pwd.getpwnam("nobody")
    return f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"


def render(text: str, prefix: Path, port: int, upstream: str) -> str:
    """Return deploy/nginx.conf with test paths, port and upstream; fail if a line moved."""
    temp_paths = "".join(f"\n    {name}_temp_path {prefix}/{name}_temp;" for name in TEMP_PATHS)
    substitutions = [
        (r"^user www-data;$", worker_user()),
        (r"^pid /run/nginx\.pid;$", f"pid {prefix}/nginx.pid;"),
        (r"^error_log /var/log/nginx/error\.log;$", f"error_log {prefix}/error.log info;"),
        (r"^    access_log /var/log/nginx/access\.log;$", f"    access_log {prefix}/access.log;"),
        (r"^http \{$", "http {" + temp_paths),
        (r"^        server 127\.0\.0\.1:5000;$", f"        server {upstream};"),
        (r"^        listen 80;$", f"        listen 127.0.0.1:{port};"),
        (r"^        listen \[::\]:80;$", ""),
    ]
    for pattern, replacement in substitutions:
        text, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        if count != 1:
            raise AssertionError(f"deploy/nginx.conf: {pattern!r} matched {count} times, not once")
    return text


@dataclass
class Front:
    """A running nginx: its base URL and its prefix (logs, pid, temp files)."""

    base_url: str
    prefix: Path
    process: subprocess.Popen


def prepare(port: int, upstream: str) -> Path:
    """Render the configuration into a new prefix readable by nginx's workers."""
    text = PRODUCTION_CONFIG.read_text()
    prefix = Path(tempfile.mkdtemp(prefix="sgv-nginx-"))
    prefix.chmod(0o755)  # workers (nobody, as root) write temp files below it
    try:
        (prefix / "nginx.conf").write_text(render(text, prefix, port, upstream))
    except AssertionError:
        shutil.rmtree(prefix)
        raise
    return prefix


def check_config(prefix: Path) -> subprocess.CompletedProcess:
    """Run `nginx -t` on a rendered prefix."""
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )


def wait_for_port(port: int, process: subprocess.Popen, prefix: Path, timeout: float) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (prefix / "error.log").read_text(errors="replace")
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port} within {timeout} s")


@contextmanager
def nginx_front(upstream: str, port: int, keep_prefix: bool = False) -> Iterator[Front]:
    """Run deploy/nginx.conf on 127.0.0.1:port in front of `upstream` (host:port)."""
    prefix = prepare(port, upstream)
    command = [nginx_binary(), "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    process = subprocess.Popen([*command, "-g", "daemon off;"], stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, prefix, timeout=20)
        yield Front(f"http://127.0.0.1:{port}", prefix, process)
    finally:
        stop(process)
        if not keep_prefix:
            shutil.rmtree(prefix, ignore_errors=True)
