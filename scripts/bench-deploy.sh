#!/usr/bin/env bash
# Benchmarks deploy's image build against the usual way, on a ~200 MB build context:
#
#   1. pachhook deploy: the context streamed from the commit's tree to the engine
#      (timed up to the end of the build, from pachhook's own progress lines);
#   2. the usual way: a checkout of the same commit, then `docker build` of it
#      (classic builder, no cache), each step timed;
#   3. a re-deploy of the commit just deployed: the registry already has the tag, so
#      nothing is built or pushed (expected < 1 s);
#   4. the peak memory (GNU time's maximum resident set: pachhook or the largest program
#      it runs) of a whole deploy whose context holds one 300 MB file (BIG_MB), as `git
#      add` leaves it (a loose object) and after `git gc` (packed); expected < 160 MiB.
#
# Needs the services of scripts/services.sh. Usage:
#   scripts/bench-deploy.sh            # builds pachhook --release first
#   PACHHOOK_BIN=target/debug/pachhook MB=50 scripts/bench-deploy.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mb=${MB:-200}
registry=${PACHHOOK_REGISTRY:-127.0.0.1:5000}
if [ -z "${PACHHOOK_BIN:-}" ]; then
    (cd "$here" && cargo build --release -q)
    PACHHOOK_BIN=$here/target/release/pachhook
fi
PACHHOOK_BIN=$(cd "$(dirname "$PACHHOOK_BIN")" && pwd)/$(basename "$PACHHOOK_BIN")
docker version >/dev/null 2>&1 || { echo "no Docker engine: run scripts/services.sh" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
mkdir -p "$repo/images/big" "$repo/pipelines"
name=pachhook-bench/big-$$-$(date +%s)
image=$registry/$name

echo "making a ${mb} MB context in $repo ..." >&2
files=$(( mb / 4 ))
for i in $(seq 1 "$files"); do
    head -c $((4 * 1024 * 1024)) /dev/urandom >"$repo/images/big/blob-$i.bin"
done
printf 'FROM scratch\nCOPY . /data/\n' >"$repo/images/big/Dockerfile"
cat >"$repo/pachhook.toml" <<EOF
[[build]]
image = "$image"
context = "images/big"

[deploy]
enabled = true
pachctl = "$here/tests/it/support/pachctl"
EOF
cat >"$repo/pipelines/big.json" <<EOF
{"pipeline": {"name": "big"}, "transform": {"image": "$image", "cmd": ["/run"]},
 "input": {"pfs": {"repo": "in", "glob": "/*"}}}
EOF
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@invalid commit -qm bench
sha=$(git -C "$repo" rev-parse HEAD)
export PACHCTL_LOG=$work/pachctl.log DOCKER_CONFIG=$work/docker
mkdir -p "$DOCKER_CONFIG"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# 1. pachhook: time from start to the first "pushing" line (the build is done then).
start=$(now)
build_done=""
while IFS= read -r line; do
    if [ -z "$build_done" ] && [ "${line#pushing }" != "$line" ]; then build_done=$(now); fi
done < <(cd "$repo" && "$PACHHOOK_BIN" deploy 2>&1 >/dev/null)
end=$(now)
[ -n "$build_done" ] || { echo "pachhook deploy did not reach the push; run it in $repo to see why" >&2; trap - EXIT; exit 1; }
t_ph_build=$(elapsed "$start" "$build_done")
t_ph_total=$(elapsed "$start" "$end")
docker rmi -f "$image:$sha" >/dev/null 2>&1 || true

# 2. checkout + docker build of the same tree.
start=$(now)
git -C "$repo" worktree add -q --detach "$work/checkout" "$sha"
mid=$(now)
DOCKER_BUILDKIT=0 docker build -q --no-cache -t "$image:checkout" "$work/checkout/images/big" >/dev/null 2>&1
end=$(now)
t_checkout=$(elapsed "$start" "$mid")
t_docker=$(elapsed "$mid" "$end")
t_usual=$(elapsed "$start" "$end")
docker rmi -f "$image:checkout" >/dev/null 2>&1 || true

# 3. re-deploy of the deployed commit.
start=$(now)
(cd "$repo" && "$PACHHOOK_BIN" deploy "$sha" >/dev/null 2>&1)
end=$(now)
t_again=$(elapsed "$start" "$end")

# 4. peak memory with one big file, loose then packed.
big_mb=${BIG_MB:-300}
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is missing: run scripts/services.sh" >&2; exit 1; }
big=$work/bigrepo
mkdir -p "$big/images/one" "$big/pipelines"
big_image=$registry/pachhook-bench/one-$$-$(date +%s)
head -c $((big_mb * 1000 * 1000)) /dev/urandom >"$big/images/one/big.bin"
printf 'FROM scratch\nCOPY big.bin /big.bin\n' >"$big/images/one/Dockerfile"
sed "s#$image#$big_image#; s#images/big#images/one#" "$repo/pachhook.toml" >"$big/pachhook.toml"
sed "s#$image#$big_image#" "$repo/pipelines/big.json" >"$big/pipelines/big.json"
git -C "$big" init -q -b main
git -C "$big" add -A
git -C "$big" -c user.name=bench -c user.email=bench@invalid commit -qm loose
peak() { # label: deploys HEAD of $big under GNU time, prints the peak in MiB
    (cd "$big" && /usr/bin/time -o "$work/time.txt" -f %M "$PACHHOOK_BIN" deploy >/dev/null 2>"$work/deploy.err") \
        || { cat "$work/deploy.err" >&2; echo "the $1 deploy failed" >&2; exit 1; }
    docker rmi -f "$big_image:$(git -C "$big" rev-parse HEAD)" >/dev/null 2>&1 || true
    awk '{ printf "%.0f", $1 / 1024 }' "$work/time.txt"
}
peak_loose=$(peak loose)
echo changed >"$big/images/one/note.txt"
git -C "$big" add -A
git -C "$big" -c user.name=bench -c user.email=bench@invalid commit -qm packed
git -C "$big" gc -q
peak_packed=$(peak packed)

cat <<EOF
context: ${mb} MB in $files files (random, incompressible); engine storage: $(docker info --format '{{.Driver}}')
pachhook deploy, build from the commit tree:     ${t_ph_build} s   (build + push + update: ${t_ph_total} s)
checkout + docker build of the same tree:        ${t_usual} s   (checkout ${t_checkout} s, docker build ${t_docker} s)
re-deploy of the deployed commit:                ${t_again} s
peak memory, deploy of one ${big_mb} MB file:         ${peak_loose} MiB as a loose object, ${peak_packed} MiB packed
EOF
awk -v t="$t_again" 'BEGIN { exit !(t < 1.0) }' || { echo "re-deploy took ${t_again} s, expected < 1 s" >&2; exit 1; }
for p in "$peak_loose" "$peak_packed"; do
    [ "$p" -lt 160 ] || { echo "a deploy peaked at $p MiB, expected < 160 MiB" >&2; exit 1; }
done
