#!/usr/bin/env bash
# Installs Mermaid (npm `mermaid`, with `jsdom` for the DOM its sanitizer asks for) into
# target/mermaid, and prints the path of a Node script that parses Mermaid text with
# Mermaid's own parser: `node <script> FILE` exits 0 when Mermaid accepts the diagram,
# 1 with its message when not. The oracle of the graph tests (tests/it/graph.rs).
# Idempotent: an installation at the pinned versions is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CARGO_TARGET_DIR:-target}/mermaid"
pins=(mermaid@11.12.0 jsdom@26.1.0)
mkdir -p "$dir"
if [ ! -f "$dir/.installed" ] || [ "$(cat "$dir/.installed")" != "${pins[*]}" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] || { echo "mermaid: npm missing and not root: apt-get install nodejs npm" >&2; exit 1; }
        echo "mermaid: installing nodejs and npm" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    (cd "$dir" && { [ -f package.json ] || echo '{"private": true}' >package.json; } \
        && npm install --silent --no-audit --no-fund "${pins[@]}" >&2)
    echo "${pins[*]}" >"$dir/.installed"
fi
cat >"$dir/parse.mjs" <<'JS'
// Parses a Mermaid diagram headless with Mermaid's own parser.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
const text = readFileSync(process.argv[2], 'utf8');
try {
  const result = await mermaid.parse(text);
  console.log(result.diagramType);
} catch (e) {
  console.error(String(e.message || e));
  process.exit(1);
}
JS
echo "$(cd "$dir" && pwd)/parse.mjs"
