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
echo "==> running the test suite"
.venv/bin/python -m pytest "$@"
