#!/usr/bin/env bash
# The one command that runs every test: starts what the tests need (the Docker engine
# and two registries, installing them on Debian when missing), then runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
# go-jsonnet, the oracle of the jsonnet differential test (tests/it/jsonnet.rs).
PACHHOOK_GOJSONNET="$(bash scripts/gojsonnet.sh)"
export PACHHOOK_GOJSONNET
# pre-commit and lefthook from PyPI, which the hook-manager tests drive for real.
PACHHOOK_HOOK_MANAGERS="$(bash scripts/hook-managers.sh)"
export PACHHOOK_HOOK_MANAGERS
# Graphviz's dot and Mermaid's own parser, the oracles of the graph tests (tests/it/graph.rs).
PACHHOOK_DOT="$(bash scripts/graphviz.sh)"
PACHHOOK_MERMAID="$(bash scripts/mermaid.sh)"
export PACHHOOK_DOT PACHHOOK_MERMAID
cargo test --locked "$@"
