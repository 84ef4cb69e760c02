#!/usr/bin/env bash
# `pachhook render` on every jsonnet template of the corpus ($PACHHOOK_CORPUS, default
# ../shared/corpus), each with the arguments it asks for: the time of each render and of
# all of them, with the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${PACHHOOK_CORPUS:-../shared/corpus}"
cargo build --release --quiet
bin=target/release/pachhook
start=$(date +%s%N)
count=0
for t in "$corpus"/*/*.jsonnet; do
  args=()
  for _ in 1 2 3 4 5 6 7 8; do
    if err=$("$bin" render "$t" "${args[@]}" 2>&1 >/dev/null); then break; fi
    name=$(sed -n 's/.*needs the argument `\([^`]*\)`.*/\1/p' <<<"$err")
    [[ -n $name ]] || break
    args+=(--arg "$name=1")
  done
  t0=$(date +%s%N)
  "$bin" render "$t" "${args[@]}" >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  printf '%6.1f ms  %s\n' "$(bc <<<"scale=1; ($t1 - $t0) / 1000000")" "$(basename "$t")"
  count=$((count + 1))
done
end=$(date +%s%N)
printf '%d templates (argument discovery included) in %d ms\n' "$count" $(((end - start) / 1000000))
