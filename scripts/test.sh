#!/usr/bin/env bash
# The one command that runs every test: starts what the tests need (the Docker engine
# and two registries, installing them on Debian when missing), then runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo test --locked "$@"
