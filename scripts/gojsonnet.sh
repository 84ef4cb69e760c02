#!/usr/bin/env bash
# Installs go-jsonnet's Python binding (`gojsonnet` from PyPI: the evaluator pachd uses)
# into a virtual environment under target/, for the jsonnet differential test, and
# prints the path of that environment's python. Idempotent: an environment that already
# imports `_gojsonnet` is reused. 0.22.0 is the release with a prebuilt Linux wheel
# (0.20.0, the go-jsonnet line of pachd 2.11-2.12, ships only a source archive that
# needs a Go toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${CARGO_TARGET_DIR:-target}/gojsonnet"
python="$venv/bin/python"
if ! "$python" -c 'import _gojsonnet' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$python" -m pip install --quiet --disable-pip-version-check 'gojsonnet==0.22.0' >&2
  "$python" -c 'import _gojsonnet'
fi
echo "$(cd "$(dirname "$python")" && pwd)/python"
