#!/usr/bin/env bash
# Benchmarks `pachhook check` on 1,000 real specs (copies of the corpus's 2.x examples,
# made in a temporary directory, never in the project), its peak memory, and the start-up
# cost of `pachhook --version`; with --peer, also check-jsonschema (PyPI) given
# Pachyderm's own schema on the same files.
#
# Usage: scripts/bench-check.sh [--peer]     (needs hyperfine: apt-get install hyperfine)
# Targets (issue 2): 1,000 specs < 20 ms wall, peak memory < 40 MiB, --version < 2 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${PACHHOOK_CORPUS:-../shared/corpus}
[[ -d $corpus/pachyderm-2.x-examples ]] || { echo "set PACHHOOK_CORPUS to the corpus directory" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }

cargo build --release --locked -q
bin=$PWD/target/release/pachhook
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/specs"
mapfile -t specs < <(find "$corpus/pachyderm-2.x-examples" -name '*.json' | sort)
for ((i = 0; i < 1000; i++)); do
  cp "${specs[i % ${#specs[@]}]}" "$work/specs/$i.json"
done
echo "1,000 specs: $(du -sh "$work/specs" | cut -f1)"

hyperfine -N --warmup 5 --min-runs 30 -i \
  --export-markdown "$work/check.md" \
  "$bin check --format json $work/specs" \
  "$bin --version"
/usr/bin/time -f "peak memory: %M KiB" "$bin" check --format json "$work/specs" >/dev/null 2>"$work/mem" || true
tail -1 "$work/mem"

if [[ ${1:-} == --peer ]]; then
  python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q check-jsonschema
  schema=$(cd "$corpus/../pachyderm/upstream-schema" && pwd)/CreatePipelineRequest-2.12.schema.json
  hyperfine --warmup 1 --min-runs 3 -i \
    "$work/venv/bin/check-jsonschema --schemafile $schema $work/specs/*.json"
fi
