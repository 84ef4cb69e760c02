#!/usr/bin/env bash
# Installs and starts what the deploy tests drive for real: a Docker engine and two
# image registries on 127.0.0.1, one open and one behind htpasswd authentication; and
# installs git-lfs (deploy smudges LFS files into build contexts), GNU time (the
# deploy benchmark's peak-memory figure) and busybox-static (a base image for RUN).
#
# Idempotent: run it as root (CI runs it before the tests) as often as you like; what
# already answers is left alone. Exits non-zero when anything fails to come up.
#
#   scripts/services.sh            # install if missing, start, print the addresses
#
# Environment (all optional):
#   PACHHOOK_SERVICES_DIR    state: logs, registry storage, htpasswd (/var/tmp/pachhook-services)
#   PACHHOOK_REGISTRY        open registry address        (127.0.0.1:5000)
#   PACHHOOK_AUTH_REGISTRY   authenticated registry       (127.0.0.1:5001)
#   PACHHOOK_REGISTRY_USER / PACHHOOK_REGISTRY_PASSWORD   its account (pachhook / pachhook-test-pw)
#   PACHHOOK_DOCKERD_FLAGS   flags for dockerd when it must be started here
set -euo pipefail

state=${PACHHOOK_SERVICES_DIR:-/var/tmp/pachhook-services}
open_addr=${PACHHOOK_REGISTRY:-127.0.0.1:5000}
auth_addr=${PACHHOOK_AUTH_REGISTRY:-127.0.0.1:5001}
user=${PACHHOOK_REGISTRY_USER:-pachhook}
password=${PACHHOOK_REGISTRY_PASSWORD:-pachhook-test-pw}
# A sandbox without iptables, bridges or overlayfs still runs builds of `FROM scratch`
# images with these; a full machine runs them too.
dockerd_flags=${PACHHOOK_DOCKERD_FLAGS:---iptables=false --ip6tables=false --bridge=none --storage-driver=vfs}

say() { printf 'services: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

mkdir -p "$state"

# --- packages --------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)  # the pachctl stand-in of the tests
command -v git-lfs >/dev/null 2>&1 || missing+=(git-lfs)
[ -x /usr/bin/time ] || missing+=(time)
# A shell for the base image the BuildKit deploy test builds itself (nothing is pulled).
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "packages missing (${missing[*]}) and not root: run as root"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2046
    apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null \
        || fail "apt-get install ${missing[*]} failed"
fi

# --- Docker engine ---------------------------------------------------------------------
docker_answers() { timeout 10 docker version >/dev/null 2>&1; }

if ! docker_answers; then
    if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
        fail "DOCKER_HOST=$DOCKER_HOST does not answer, and it is not a local socket to start"
    fi
    # The packaged containerd is not started by dockerd's own supervisor when it is
    # missing from PATH; the docker.io package brings it, so dockerd finds it.
    say "starting dockerd $dockerd_flags"
    # shellcheck disable=SC2086
    nohup dockerd $dockerd_flags >"$state/dockerd.log" 2>&1 &
    echo $! >"$state/dockerd.pid"
    for _ in $(seq 1 60); do
        docker_answers && break
        if ! kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null; then
            tail -20 "$state/dockerd.log" >&2 || true
            fail "dockerd exited; its log is $state/dockerd.log"
        fi
        sleep 1
    done
    docker_answers || { tail -20 "$state/dockerd.log" >&2 || true; fail "dockerd did not answer within 60 s"; }
fi
say "docker engine: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# --- registries ------------------------------------------------------------------------
# `/v2/` answers 200 on the open registry and 401 on the authenticated one.
registry_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$1/v2/" || true; }

start_registry() { # name addr auth(yes|no)
    local name=$1 addr=$2 auth=$3 dir="$state/$1"
    mkdir -p "$dir/data"
    {
        echo "version: 0.1"
        echo "log:"
        echo "  level: warn"
        echo "storage:"
        echo "  filesystem:"
        echo "    rootdirectory: $dir/data"
        echo "  delete:"
        echo "    enabled: true"
        echo "http:"
        echo "  addr: $addr"
        if [ "$auth" = yes ]; then
            echo "auth:"
            echo "  htpasswd:"
            echo "    realm: pachhook-test"
            echo "    path: $dir/htpasswd"
        fi
    } >"$dir/config.yml"
    if [ "$auth" = yes ]; then
        htpasswd -B -b -c "$dir/htpasswd" "$user" "$password" >/dev/null 2>&1 \
            || fail "htpasswd could not write $dir/htpasswd"
    fi
    say "starting registry $name on $addr"
    nohup /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    echo $! >"$dir/registry.pid"
}

wait_registry() { # name addr expected-status
    for _ in $(seq 1 30); do
        [ "$(registry_status "$2")" = "$3" ] && return 0
        sleep 0.5
    done
    tail -20 "$state/$1/registry.log" >&2 || true
    fail "registry $1 on $2 did not come up (expected HTTP $3 on /v2/); log: $state/$1/registry.log"
}

[ "$(registry_status "$open_addr")" = 200 ] || start_registry open "$open_addr" no
[ "$(registry_status "$auth_addr")" = 401 ] || start_registry auth "$auth_addr" yes
wait_registry open "$open_addr" 200
wait_registry auth "$auth_addr" 401

cat <<OUT
DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
PACHHOOK_REGISTRY=$open_addr
PACHHOOK_AUTH_REGISTRY=$auth_addr
PACHHOOK_REGISTRY_USER=$user
OUT
