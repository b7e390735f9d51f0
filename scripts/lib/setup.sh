# Shared set-up for scripts/run and scripts/test (sourced, not executed).
#
# Each step is idempotent: system packages (apt-get), the virtualenv, a PostgreSQL
# cluster the project owns, the database. Settings (all optional):
#   SGV_PG_DIR   where the cluster lives   (default /var/tmp/sgv-postgres-<user>)
#   SGV_PG_PORT  the cluster's port        (default 54320; the machine's 5432 is not ours)
#   SGV_DATABASE_URL  use this database instead of the project's cluster
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$ROOT/.venv
SGV_PG_DIR=${SGV_PG_DIR:-/var/tmp/sgv-postgres-$(id -un)}
SGV_PG_PORT=${SGV_PG_PORT:-54320}
PG_DB_USER=sgv

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# The newest PostgreSQL server installed, else the version we install.
pg_version() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ]; then basename "$(dirname "$(dirname "$found")")"; else echo 15; fi
}
PG_VERSION=$(pg_version)
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin

# Install Debian packages: as root directly, through sudo for a normal user, or explain.
apt_install() {
  local command="apt-get update && apt-get install -y $*"
  if [ "$(id -u)" -eq 0 ]; then
    say "Installing system packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
  elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    say "Installing system packages with sudo: $*"
    sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
  else
    die "missing system packages: $*. Ask an administrator to run: sudo sh -c '$command'"
  fi
}

# ensure_system_packages [chromium] [nginx] [redis-server]: PostgreSQL + PostGIS always,
# the others on request (the tests drive Chromium, start nginx in front of gunicorn and a
# Redis of their own for the shared rate-limit counts).
ensure_system_packages() {
  local missing=() extra
  [ -x "$PG_BIN/postgres" ] || missing+=("postgresql-$PG_VERSION")
  [ -f "/usr/share/postgresql/$PG_VERSION/extension/postgis.control" ] \
    || missing+=("postgresql-$PG_VERSION-postgis-3")
  for extra in "$@"; do
    case $extra in
      chromium) command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
      nginx) [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx) ;;
      redis-server) command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  [ -x "$PG_BIN/postgres" ] || die "PostgreSQL server binaries not found in $PG_BIN"
}

# The virtualenv in .venv, reinstalled whenever pyproject.toml changes.
ensure_venv() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "Python 3.11 or newer is needed as python3 (found $(python3 --version 2>&1))"
  local stamp=$VENV/.installed want
  want=$(sha256sum "$ROOT/pyproject.toml" | cut -c1-64)
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtualenv in .venv"
    python3 -m venv "$VENV" || die "python3 -m venv failed: install python3-venv"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing Python dependencies (pyproject.toml)"
    "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[dev]" >&2
    echo "$want" >"$stamp"
  fi
  export PATH=$VENV/bin:$PATH
}

# Run a command as the cluster's owner: PostgreSQL refuses to run as root.
as_cluster_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_admin() { "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$SGV_PG_PORT" -U "$PG_DB_USER" "$@"; }

# A cluster of our own in $SGV_PG_DIR on $SGV_PG_PORT, created and started as needed.
ensure_postgres() {
  local data=$SGV_PG_DIR/data
  exec 9>"/tmp/sgv-postgres-$(id -un).lock"
  flock 9  # scripts/run and scripts/test may start at the same moment
  if [ ! -d "$SGV_PG_DIR" ]; then
    mkdir -p "$SGV_PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$SGV_PG_DIR"
    chmod 700 "$SGV_PG_DIR"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "Creating a PostgreSQL $PG_VERSION cluster in $data"
    as_cluster_owner "$PG_BIN/initdb" -D "$data" -U "$PG_DB_USER" --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$SGV_PG_DIR/initdb.log" 2>&1 \
      || die "initdb failed; see $SGV_PG_DIR/initdb.log"
  fi
  if as_cluster_owner "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    local port
    port=$(sed -n 4p "$data/postmaster.pid")
    [ "$port" = "$SGV_PG_PORT" ] || die "the cluster in $data runs on port $port, not \
$SGV_PG_PORT: set SGV_PG_PORT=$port or stop it (pg_ctl -D $data stop)"
  else
    say "Starting PostgreSQL on 127.0.0.1:$SGV_PG_PORT (data in $data)"
    as_cluster_owner "$PG_BIN/pg_ctl" -D "$data" -l "$SGV_PG_DIR/postgres.log" -w -t 60 \
      -o "-p $SGV_PG_PORT -k $SGV_PG_DIR -c listen_addresses=127.0.0.1" start >/dev/null \
      || die "PostgreSQL did not start (is port $SGV_PG_PORT taken? set SGV_PG_PORT). \
Last log lines: $(tail -n 5 "$SGV_PG_DIR/postgres.log" 2>/dev/null)"
  fi
  flock -u 9
}

# ensure_database NAME: create it in our cluster if it does not exist yet.
ensure_database() {
  local exists
  exists=$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")
  [ "$exists" = 1 ] || psql_admin -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null
}

# Point SGV_DATABASE_URL at the project's cluster unless the caller chose a database.
use_project_database() {
  if [ -z "${SGV_DATABASE_URL:-}" ]; then
    ensure_postgres
    ensure_database sgv
    export SGV_DATABASE_URL="postgresql://$PG_DB_USER@127.0.0.1:$SGV_PG_PORT/sgv"
  fi
}
