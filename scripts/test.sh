#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite.
# Exits with pytest's status: non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> installing pockg with its test extras"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
if ! command -v java >/dev/null 2>&1; then
  echo "==> installing Java (HermiT, the OWL reasoner, runs on it)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
fi
if ! command -v virtuoso-t >/dev/null 2>&1 || ! command -v isql-vt >/dev/null 2>&1; then
  echo "==> installing OpenLink Virtuoso (the engine tests start a server of their own on 127.0.0.1)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq virtuoso-opensource >/dev/null
fi
if ! command -v strace >/dev/null 2>&1; then
  echo "==> installing strace (a durability test checks a save is fsynced before its answer)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq strace >/dev/null
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "==> installing nginx (the trusted-proxy tests start one of their own on 127.0.0.1)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null
fi
if [ ! -f /usr/share/iso-codes/json/iso_3166-1.json ]; then
  echo "==> installing iso-codes (the ISO 3166-1 list the country codes are checked against)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq iso-codes >/dev/null
fi
# Browser tests (tests/browser/): Debian's Chromium, driven by the playwright
# Python package from the test extra (never `playwright install`: it downloads
# a browser build, which this network does not allow).
if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Chromium (the browser tests drive it headless)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
echo "==> running the test suite"
.venv/bin/python -m pytest "$@"
