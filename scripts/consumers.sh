#!/usr/bin/env bash
# Installs the consumers of pachhook's reports and schema that the integration tests
# drive for real, and prints the directory holding them:
#
#   npm:   @microsoft/sarif-multitool (GitHub code scanning's SARIF rules, a .NET tool
#          shipped in npm), yaml-language-server (the YAML language server editors run),
#          vscode-json-languageservice (VS Code's JSON validation, hover and completion)
#   PyPI:  junitparser (reads JUnit XML as CI systems do), maturin (builds the wheel)
#
# Layout of the printed directory: node_modules/.bin/ and venv/bin/.
# Idempotent: what is installed at the pinned version is left alone. scripts/test.sh runs
# it and exports PACHHOOK_CONSUMERS for the tests.
#
# Environment (optional):
#   PACHHOOK_SERVICES_DIR   state directory; the consumers go to $PACHHOOK_SERVICES_DIR/consumers
set -euo pipefail

state=${PACHHOOK_SERVICES_DIR:-/var/tmp/pachhook-services}
dir="$state/consumers"
npm_pins=(@microsoft/sarif-multitool@5.7.0 yaml-language-server@1.19.2 vscode-json-languageservice@5.7.2)
pip_pins=(junitparser==5.0.3 maturin==1.16.0)

say() { printf 'consumers: %s\n' "$*" >&2; }

mkdir -p "$dir"
if ! command -v npm >/dev/null; then
    say "installing nodejs and npm (Debian)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
fi
if [ ! -f "$dir/package.json" ]; then
    echo '{"name": "pachhook-consumers", "private": true}' >"$dir/package.json"
fi
npm_installed() {
    local pin name version
    for pin in "${npm_pins[@]}"; do
        name=${pin%@*} version=${pin##*@}
        [ "$(node -p "require('$dir/node_modules/$name/package.json').version" 2>/dev/null)" = "$version" ] || return 1
    done
}
if ! npm_installed; then
    say "installing ${npm_pins[*]}"
    (cd "$dir" && timeout 900 npm install --no-audit --no-fund --loglevel=error "${npm_pins[@]}" >&2)
fi

if [ ! -x "$dir/venv/bin/python" ]; then
    say "creating $dir/venv"
    python3 -m venv "$dir/venv" >&2
fi
pip_installed() {
    local pin name version
    for pin in "${pip_pins[@]}"; do
        name=${pin%%==*} version=${pin##*==}
        [ "$("$dir/venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" = "$version" ] || return 1
    done
}
if ! pip_installed; then
    say "installing ${pip_pins[*]}"
    timeout 600 "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check "${pip_pins[@]}" >&2
fi

# bash-completion (Debian), for the completion tests.
if [ ! -f /usr/share/bash-completion/bash_completion ]; then
    say "installing bash-completion (Debian)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bash-completion >&2
fi

# The native executable (the npm wrapper passes arguments through a shell); invariant
# globalization, so that a machine without libicu runs it too.
DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
    "$dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" --version >&2 ||
    { say "SARIF Multitool does not run"; exit 1; }
echo >&2
echo "$dir"
