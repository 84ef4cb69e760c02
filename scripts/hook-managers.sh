#!/usr/bin/env bash
# Installs the hook managers the integration tests drive for real (pre-commit, prek and
# lefthook, all from PyPI) into a virtual environment, and prints its bin directory.
#
# Idempotent: what is installed at the pinned version is left alone. scripts/test.sh runs
# it and exports PACHHOOK_HOOK_MANAGERS for the tests.
#
# Environment (optional):
#   PACHHOOK_SERVICES_DIR   state directory; the venv is $PACHHOOK_SERVICES_DIR/hook-managers
set -euo pipefail

state=${PACHHOOK_SERVICES_DIR:-/var/tmp/pachhook-services}
venv="$state/hook-managers"
pins=(pre-commit==4.7.0 lefthook==2.2.2 prek==0.5.10)

say() { printf 'hook-managers: %s\n' "$*" >&2; }

mkdir -p "$state"
if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    python3 -m venv "$venv" >&2
fi
installed() {
    local pin name version
    for pin in "${pins[@]}"; do
        name=${pin%%==*} version=${pin##*==}
        [ "$("$venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" = "$version" ] || return 1
    done
}
if ! installed; then
    say "installing ${pins[*]}"
    timeout 600 "$venv/bin/python" -m pip install -q --disable-pip-version-check "${pins[@]}" >&2
fi
"$venv/bin/pre-commit" --version >&2
"$venv/bin/lefthook" version >&2
"$venv/bin/prek" --version >&2
echo "$venv/bin"
