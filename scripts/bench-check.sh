#!/usr/bin/env bash
# Benchmarks `pachhook check` on 1,000 real specs (copies of the corpus's 2.x examples,
# made in a temporary directory, never in the project), its peak memory, the start-up
# cost of `pachhook --version`, and the same check with and without a team policy; with --peer, also check-jsonschema (PyPI) given
# Pachyderm's own schema on the same files.
#
# Usage: scripts/bench-check.sh [--peer]     (needs hyperfine: apt-get install hyperfine)
# Targets (issue 2): 1,000 specs < 20 ms wall, peak memory < 40 MiB, --version < 2 ms;
# (issue 12) with a team policy, within 2x the time without; (issue 16) `pachhook graph`
# of the same 1,000 specs, and of 1,000 pipelines that read each other (a connected
# graph), in about the time `check` takes.
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
# The graph (issue 16): the same files, then 1,000 distinct pipelines each reading two
# upstream ones (p<i> reads p<i/2> and p<i/3>, the first ten read a source repository).
mkdir -p "$work/dag"
for ((i = 0; i < 1000; i++)); do
  if ((i < 10)); then a=source b=source2; else a=p$((i / 2)) b=p$((i / 3)); fi
  printf '{"pipeline": {"name": "p%d"}, "transform": {"image": "team/p:1", "cmd": ["run"]},\n "input": {"cross": [{"pfs": {"repo": "%s", "glob": "/*"}}, {"pfs": {"repo": "%s", "glob": "/"}}]}}\n' \
    "$i" "$a" "$b" >"$work/dag/p$i.json"
done
hyperfine -N --warmup 5 --min-runs 30 -i \
  "$bin check --format json $work/specs" \
  "$bin graph --format json $work/specs" \
  "$bin check --format json $work/dag" \
  "$bin graph --format json $work/dag" \
  "$bin graph --format mermaid $work/dag"
/usr/bin/time -f "peak memory: %M KiB" "$bin" check --format json "$work/specs" >/dev/null 2>"$work/mem" || true
tail -1 "$work/mem"

# Team policy (issue 12): the same 1,000 specs in two repositories, one with a [[policy]]
# of 58 rules (assertion keywords, a recursive $ref for inputs), one without. Target: the
# policy check within 2x the time of the check without it. Run through a shell (`cd`),
# whose start-up hyperfine subtracts.
for variant in plain policy; do
  mkdir -p "$work/$variant" && git init -q "$work/$variant"
  cp -r "$work/specs" "$work/$variant/specs"
done
mkdir -p "$work/policy/policy"
printf '[[policy]]\nschema = "policy/pipelines.schema.json"\n' >"$work/policy/pachhook.toml"
cat >"$work/policy/policy/pipelines.schema.json" <<'POLICY'
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "description": "bench: a 50-rule team policy",
  "type": "object",
  "required": ["pipeline", "transform"],
  "properties": {
    "pipeline": {
      "required": ["name"],
      "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "maxLength": 40},
        "project": {"properties": {"name": {"pattern": "^[a-z][a-z0-9-]*$", "maxLength": 30}}}
      }
    },
    "description": {"type": "string", "maxLength": 500},
    "transform": {
      "required": ["image", "cmd"],
      "properties": {
        "image": {"type": "string", "pattern": "^registry\\.example\\.com/", "not": {"pattern": ":latest$"}},
        "cmd": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string"}},
        "env": {"type": "object", "maxProperties": 30, "propertyNames": {"pattern": "^[A-Z_][A-Z0-9_]*$"}},
        "user": {"not": {"const": "root"}}
      }
    },
    "resource_limits": {
      "required": ["memory"],
      "properties": {
        "memory": {"pattern": "^[0-9]+[MG]i?$"},
        "cpu": {"maximum": 16},
        "gpu": {"properties": {"number": {"maximum": 4}, "type": {"enum": ["nvidia.com/gpu"]}}}
      }
    },
    "resource_requests": {
      "properties": {
        "memory": {"pattern": "^[0-9]+[MG]i?$"},
        "cpu": {"minimum": 0, "maximum": 8},
        "disk": {"pattern": "^[0-9]+[MG]i?$"}
      }
    },
    "parallelism_spec": {"properties": {"constant": {"minimum": 1, "maximum": 16}}},
    "datum_timeout": {"pattern": "^[0-9]+s$"},
    "job_timeout": {"pattern": "^[0-9]+s$"},
    "datum_tries": {"maximum": 5},
    "metadata": {
      "properties": {
        "labels": {"maxProperties": 20, "propertyNames": {"pattern": "^[a-z][a-z0-9_.-]*$"}},
        "annotations": {"maxProperties": 20}
      }
    },
    "pod_patch": {"not": {}},
    "pod_spec": {"not": {}},
    "input": {"$ref": "#/$defs/input"},
    "egress": {"properties": {"URL": {"pattern": "^s3://"}}},
    "service": {"properties": {"type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]}, "external_port": {"maximum": 32767}}},
    "autoscaling": {"type": "boolean"},
    "reprocess_spec": {"enum": ["until_success", "every_job"]},
    "salt": {"pattern": "^[a-z0-9]*$"},
    "tolerations": {"maxItems": 5}
  },
  "$defs": {
    "input": {
      "properties": {
        "pfs": {"properties": {"glob": {"type": "string"}, "repo": {"pattern": "^[a-zA-Z0-9_-]+$"}, "branch": {"pattern": "^[a-zA-Z0-9_.-]+$"}}},
        "cron": {"properties": {"spec": {"type": "string"}}},
        "cross": {"maxItems": 8, "items": {"$ref": "#/$defs/input"}},
        "join": {"maxItems": 8, "items": {"$ref": "#/$defs/input"}},
        "union": {"items": {"$ref": "#/$defs/input"}},
        "group": {"items": {"$ref": "#/$defs/input"}}
      }
    }
  }
}
POLICY
echo "policy findings on the 1,000 specs: $(cd "$work/policy" && "$bin" check --format json specs | grep -Eo '"rule": ?"policy"' | wc -l)"
hyperfine --warmup 3 --min-runs 20 -i \
  -n "check, no policy" "cd $work/plain && $bin check --format json specs" \
  -n "check, 58-rule policy" "cd $work/policy && $bin check --format json specs"

if [[ ${1:-} == --peer ]]; then
  python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q check-jsonschema
  schema=$(cd "$corpus/../pachyderm/upstream-schema" && pwd)/CreatePipelineRequest-2.12.schema.json
  hyperfine --warmup 1 --min-runs 3 -i \
    "$work/venv/bin/check-jsonschema --schemafile $schema $work/specs/*.json"
fi
