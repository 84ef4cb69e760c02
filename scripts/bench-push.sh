#!/bin/sh
# Times what issue 9 bounds, with a release build:
# 1. `git push --mirror` of 1,500 commits and 1,500 tags (half annotated), each commit
#    changing a spec, to a local bare remote: with pachhook's pre-push hook against
#    git's own push (no hook);
# 2. `pachhook check` of 400 files with 39,600 findings, human report against JSON;
# 3. `pachhook check` of a 1.2 MB run-metadata JSON (a list of pipeline infos with
#    `pipeline` keys): time and size of the human report.
#
#   scripts/bench-push.sh [path/to/pachhook]   (default: a release build)
set -eu
root=$(cd "$(dirname -- "$0")/.." && pwd)
if [ $# -ge 1 ]; then
  bin=$(cd "$(dirname -- "$1")" && pwd)/$(basename -- "$1")
else
  (cd "$root" && cargo build --release -q)
  bin="$root/target/release/pachhook"
fi
n=${COMMITS:-1500}
work=$(mktemp -d "${TMPDIR:-/tmp}/pachhook-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 HOME="$work"
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# 1. The mirror push.
git init -q -b main "$work/repo"
cd "$work/repo"
git config user.name bench
git config user.email bench@example.com
awk -v n="$n" 'BEGIN {
  for (i = 1; i <= n; i++) {
    spec = sprintf("{\"pipeline\": {\"name\": \"p%d\"}, \"description\": \"version %d\", \"transform\": {\"image\": \"busybox:1.36\", \"cmd\": [\"true\"]}, \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/*\"}}}\n", i % 10, i)
    printf "commit refs/heads/main\nmark :%d\ncommitter b <b@example.com> %d +0000\ndata 2\nc\n", i, 1700000000 + i
    printf "M 100644 inline pipelines/p%d.json\ndata %d\n%s\n", i % 10, length(spec), spec
    if (i % 2 == 0) printf "tag v%d\nfrom :%d\ntagger b <b@example.com> 1700000000 +0000\ndata 1\nt\n", i, i
    else printf "reset refs/tags/v%d\nfrom :%d\n\n", i, i
  }
}' | git fast-import --quiet
git reset -q --hard main
push() {
  rm -rf "$work/remote.git"
  git init -q --bare "$work/remote.git"
  start=$(now)
  git push -q --mirror "$work/remote.git" >"$work/push.out" 2>&1
  end=$(now)
  echo "$1: $(ms "$start" "$end") ms, $(wc -l <"$work/push.out") lines of output"
  grep -v "^pachhook: checking" "$work/push.out" | head -c 600 || true
}
echo "mirror push of $n commits and $n tags"
push "  git alone     "
"$bin" install >/dev/null
push "  with pachhook "

# 2. 39,600 findings, and 3. the run-metadata file.
mkdir -p "$work/many"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
for f in range(400):
    spec = {"pipeline": {"name": "p%d" % f}, "transform": {"image": "a/b:1", "cmd": ["x"]},
            "input": {"pfs": {"repo": "r", "glob": "/*"}}}
    for k in range(99):
        spec["unknown_%d" % k] = k
    open("%s/many/s%d.json" % (work, f), "w").write(json.dumps(spec, indent=1))
items, i = [], 0
while len(json.dumps(items)) < 1_200_000:
    items.append({"pipeline": {"name": "edges-%d" % i}, "version": 1, "state": "PIPELINE_RUNNING",
                  "details": {"transform": {"image": "pachyderm/opencv:1.0", "cmd": ["python3"]},
                              "input": {"pfs": {"repo": "images", "glob": "/*"}}, "salt": "%016x" % i},
                  "metadata": {"annotations": {"k": "v" * 50}}})
    i += 1
open("%s/run-metadata.json" % work, "w").write(json.dumps(items))
PY
cd "$work"
for what in many run-metadata.json; do
  for format in json human; do
    start=$(now)
    "$bin" check "$what" --format "$format" >"$work/report" || true
    end=$(now)
    echo "check $what --format $format: $(ms "$start" "$end") ms, $(wc -c <"$work/report") bytes"
  done
done
