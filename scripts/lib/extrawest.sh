#!/usr/bin/env bash
# A virtualenv of its own for extrawest-ocpi, the third-party OCPI package that plays a
# CPO in tests/test_extrawest.py. It pins old pydantic (1.x), fastapi and httpx, so it
# never goes into SGV's own virtualenv. Made once, then reused between runs; prints the
# path of its python on stdout (everything else goes to stderr).
#   SGV_EXTRAWEST_VENV  where it lives (default /var/tmp/sgv-extrawest-venv-<uid>: root
#                       and a normal user each get their own)
#   PYTHON              the interpreter that creates it (default python3)
set -euo pipefail

VENV=${SGV_EXTRAWEST_VENV:-/var/tmp/sgv-extrawest-venv-$(id -u)}
PACKAGES=("extrawest-ocpi==2025.7.16" "uvicorn>=0.23")

ready() { "$VENV/bin/python" -c "import py_ocpi, uvicorn" >/dev/null 2>&1; }

exec 9>"$VENV.lock"
flock 9 # two test runs at once: one builds, the other waits and reuses
if ! ready; then
  rm -rf "$VENV"
  "${PYTHON:-python3}" -m venv "$VENV" >&2
  if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${PACKAGES[@]}" >&2; then
    rm -rf "$VENV"
    echo "error: could not install ${PACKAGES[*]} into $VENV:" \
      "$VENV/bin/python -m pip install ${PACKAGES[*]} failed (see above)" >&2
    exit 1
  fi
fi
echo "$VENV/bin/python"
