#!/usr/bin/env bash
# The one command that runs every test: installs and starts what the tests need (the
# Docker engine and two registries, groff, go-jsonnet, the hook managers), then runs the
# suite.
#
# Nothing is skipped unless asked for: a test whose need is missing fails, saying what is
# missing. A developer without Docker skips the Docker tests on purpose with
# `PACHHOOK_TEST_SKIP=docker scripts/test.sh` (also `corpus`, `gojsonnet`,
# `sarif-schema`, or `all`); the tests skipped are listed at the end. `.ci/run` never
# skips.
set -euo pipefail
cd "$(dirname "$0")/.."

skipping() { [[ ",${PACHHOOK_TEST_SKIP:-}," == *",$1,"* || ",${PACHHOOK_TEST_SKIP:-}," == *",all,"* ]]; }

bash scripts/tools.sh
if skipping docker; then
  echo "test.sh: PACHHOOK_TEST_SKIP=docker: the Docker engine and registries are not started" >&2
elif ! bash scripts/services.sh; then
  echo "test.sh: the Docker engine and registries are not up (above); run as root to install them, or skip the Docker tests on purpose: PACHHOOK_TEST_SKIP=docker scripts/test.sh" >&2
  exit 1
fi
# go-jsonnet, the oracle of the jsonnet differential test (tests/it/jsonnet.rs).
if ! skipping gojsonnet; then
  PACHHOOK_GOJSONNET="$(bash scripts/gojsonnet.sh)"
  export PACHHOOK_GOJSONNET
fi
# pre-commit, prek and lefthook from PyPI, which the hook-manager tests drive for real.
PACHHOOK_HOOK_MANAGERS="$(bash scripts/hook-managers.sh)"
export PACHHOOK_HOOK_MANAGERS
# Graphviz's dot and Mermaid's own parser, the oracles of the graph tests (tests/it/graph.rs).
PACHHOOK_DOT="$(bash scripts/graphviz.sh)"
PACHHOOK_MERMAID="$(bash scripts/mermaid.sh)"
export PACHHOOK_DOT PACHHOOK_MERMAID
# The consumers of the reports, schema and completions (SARIF Multitool, the YAML
# language server, junitparser, bash-completion), which the report and editor tests drive.
PACHHOOK_CONSUMERS="$(bash scripts/consumers.sh)"
export PACHHOOK_CONSUMERS

# Each skipped test appends a line here (tests/it/support/needs.rs).
skipped="${CARGO_TARGET_DIR:-target}/tmp/skipped-tests.txt"
rm -f "$skipped"
status=0
cargo test --locked "$@" || status=$?
if [[ -s $skipped ]]; then
  echo "test.sh: $(wc -l <"$skipped") tests skipped on purpose (PACHHOOK_TEST_SKIP=${PACHHOOK_TEST_SKIP:-}):" >&2
  sort "$skipped" >&2
fi
exit "$status"
