#!/bin/sh
# Times `pachhook run pre-commit` with nothing staged in a repository of 10,000 files
# (some of them specs), the cost every commit pays. Needs hyperfine
# (`apt-get install -y hyperfine`); without it, falls back to a loop of 100 runs. Then
# runs scripts/bench-push.sh (mirror push, 40,000-finding report, run-metadata file).
#
#   scripts/bench-hook.sh [path/to/pachhook]   (default: a release build)
set -eu
root=$(cd "$(dirname -- "$0")/.." && pwd)
if [ $# -ge 1 ]; then
  bin=$(cd "$(dirname -- "$1")" && pwd)/$(basename -- "$1")
else
  (cd "$root" && cargo build --release -q)
  bin="$root/target/release/pachhook"
fi
files=${FILES:-10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/pachhook-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 HOME="$work"
repo="$work/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.name bench
git config user.email bench@example.com
# 10,000 files in 100 directories: 1 in 20 a JSON spec, the rest source files.
i=0
while [ $i -lt 100 ]; do
  mkdir -p "dir$i"
  i=$((i + 1))
done
awk -v n="$files" 'BEGIN {
  for (i = 0; i < n; i++) {
    d = "dir" (i % 100)
    if (i % 20 == 0) {
      f = d "/spec" i ".json"
      printf "{\"pipeline\": {\"name\": \"p%d\"}, \"transform\": {\"image\": \"busybox:1.36\", \"cmd\": [\"true\"]}, \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/*\"}}}\n", i > f
    } else {
      f = d "/file" i ".py"
      print "print(" i ")" > f
    }
    close(f)
  }
}'
git add -A
git commit -q -m "10,000 files"
echo "README change" > README.md
git add README.md    # staged, but not a spec: the hook must find nothing to check
echo "repository: $(git ls-files | wc -l) files; binary: $bin"
if command -v hyperfine >/dev/null 2>&1; then
  # The target: within 1.25x of git listing what is staged.
  hyperfine --warmup 10 --runs 200 -N "git diff --cached --name-only" "$bin run pre-commit"
  # A commit is judged by the pachhook.toml it stages: stage it.
  printf '[specs]\npaths = ["dir*/spec*.json"]\n' > pachhook.toml
  git add pachhook.toml
  hyperfine --warmup 10 --runs 200 -N "git diff --cached --name-only" "$bin run pre-commit"
else
  start=$(date +%s%N)
  n=0
  while [ $n -lt 100 ]; do "$bin" run pre-commit; n=$((n + 1)); done
  end=$(date +%s%N)
  echo "mean: $(( (end - start) / 100 / 1000 )) us per run (100 runs)"
fi
# The pre-push hook on a mirror push, and the human report on many findings.
"$root/scripts/bench-push.sh" "$bin"
