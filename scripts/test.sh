#!/usr/bin/env bash
# The one command that runs every test: starts what the tests need (Docker engine,
# registries) when it is missing, then runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -x scripts/services.sh ]]; then
  scripts/services.sh
fi
cargo test --locked "$@"
