#!/usr/bin/env bash
# Installs the programs the tests run that a fresh Debian machine lacks: groff (the man
# page test renders `pachhook man` with it) and Python's venv module (scripts/gojsonnet.sh
# and scripts/hook-managers.sh make virtual environments; Debian's python3 needs the
# python3-venv package for that).
#
# Idempotent; installing needs root (CI runs as root). Exits non-zero, naming what is
# missing, when it cannot install it.
set -euo pipefail

say() { printf 'tools: %s\n' "$*" >&2; }

missing=()
command -v groff >/dev/null 2>&1 || missing+=(groff-base)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        say "error: missing ${missing[*]}, and not root to install them: apt-get install ${missing[*]}"
        exit 1
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { say "error: apt-get install ${missing[*]} failed"; exit 1; }
fi
