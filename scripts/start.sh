#!/usr/bin/env bash
# The main job from a fresh clone: set up, build the graph, serve the browser.
# Safe to run again: it never loses curated work (only graphs built from data/
# are replaced). Stop the server with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
PORT=${PORT:-8000}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> installing pockg and its dependencies"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
echo "==> building the graph from data/ into ${POCKG_STORE:-var/store}"
.venv/bin/pockg build
echo "==> the store now holds"
.venv/bin/pockg stats
# A secret key of this machine's own, kept out of git (var/ is ignored).
mkdir -p var
if [ ! -s var/secret_key ]; then
  umask 077 && "$PY" -c "import secrets; print(secrets.token_hex(32))" > var/secret_key
fi
export POCKG_SECRET_KEY="$(cat var/secret_key)"
# Plain http on this machine: cookies cannot be Secure here (behind TLS they are).
export POCKG_SESSION_COOKIE_SECURE=false
if ! .venv/bin/pockg user list | grep -q .; then
  echo "==> no account yet: reading needs none; to curate lessons, in another terminal run"
  echo "      .venv/bin/pockg user add YOURNAME --role admin"
fi
echo "==> serving the browser (Ctrl-C to stop)"
exec .venv/bin/pockg serve --port "$PORT"
