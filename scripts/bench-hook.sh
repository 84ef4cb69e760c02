#!/bin/sh
# Times `pachhook run pre-commit` with nothing staged in a repository of 10,000 files
# (some of them specs), the cost every commit pays. Needs hyperfine
# (`apt-get install -y hyperfine`); without it, falls back to a loop of 100 runs. Then
# runs scripts/bench-push.sh (mirror push, 40,000-finding report, run-metadata file).
#
#   scripts/bench-hook.sh [path/to/pachhook]   (default: a release build)
#   BENCH_ONLY=accept scripts/bench-hook.sh    only the commit/checkout cost of deploy's
#                                              acceptance hook
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
if [ "${BENCH_ONLY-}" = accept ]; then
  :
elif command -v hyperfine >/dev/null 2>&1; then
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
# What a commit and a checkout cost with pachhook installed and deploy enabled while no
# deploy waits for a push to be accepted (no reference-transaction hook: the pre-push
# hook arms it only while a deploy waits), against the same without pachhook, and with
# the acceptance hook armed (what every commit would pay if it were always there).
if command -v hyperfine >/dev/null 2>&1; then
  git reset -q
  commit="git commit -q --allow-empty --no-verify -m bench"
  checkout="git checkout -q -B bench-branch HEAD"
  echo "commit and checkout without pachhook"
  hyperfine --warmup 5 --runs 100 -N "$commit" "$checkout"
  printf '[specs]\npaths = ["dir*/spec*.json"]\n\n[deploy]\nenabled = true\n' > pachhook.toml
  "$bin" install >/dev/null
  echo "commit and checkout, pachhook installed, deploy enabled, nothing pending"
  hyperfine --warmup 5 --runs 100 -N "$commit" "$checkout"
  "$bin" install --hook reference-transaction >/dev/null
  echo "the same with the acceptance hook armed (a deploy waiting)"
  hyperfine --warmup 5 --runs 100 -N "$commit" "$checkout"
  "$bin" uninstall >/dev/null
  "$bin" uninstall --hook reference-transaction >/dev/null
  rm -f pachhook.toml
fi
# The pre-push hook on a mirror push, and the human report on many findings.
[ "${BENCH_ONLY-}" = accept ] || "$root/scripts/bench-push.sh" "$bin"
