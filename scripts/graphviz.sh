#!/usr/bin/env bash
# Installs Graphviz (Debian `graphviz`) when `dot` is missing, and prints the path of
# `dot`: the oracle the graph tests give `pachhook graph --format dot` to
# (tests/it/graph.rs). Idempotent; installing needs root (CI runs as root).
set -euo pipefail
if ! command -v dot >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "graphviz: dot missing and not root: apt-get install graphviz" >&2; exit 1; }
    echo "graphviz: installing graphviz" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends graphviz >/dev/null
fi
command -v dot
