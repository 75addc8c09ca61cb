#!/usr/bin/env bash
# The main job from a fresh clone: set up, build the graph, show what it holds.
# Safe to run again: it never loses curated work (see README, "Nothing lost").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
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
echo
echo "Next: .venv/bin/pockg --help   (validate, export, stats)"
