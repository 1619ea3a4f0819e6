#!/bin/sh
# Builds Threadline's container image (deploy/container/Containerfile) with podman, or docker where podman is absent.
#   deploy/container/build.sh            build localhost/threadline:latest
#   deploy/container/build.sh --smoke    build, then run it once on a fresh volume and wait for /readyz (the image's
#                                        health check), print the outcome, remove the container and the volume
# The Debian base: BASE_IMAGE when set; else a local one (localhost/threadline-base:bookworm) made once with Debian's
# debootstrap from Debian's mirror (DEBIAN_MIRROR), for machines that reach no container registry; else Docker Hub's
# debian:bookworm-slim when debootstrap is not installed.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/../.." && pwd)
image=${IMAGE:-localhost/threadline:latest}
local_base=localhost/threadline-base:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null 2>&1; then engine=podman
  elif command -v docker >/dev/null 2>&1; then engine=docker
  else echo "build.sh: neither podman nor docker is installed (apt-get install -y podman)" >&2; exit 2
  fi
fi

# podman: keep the image's HEALTHCHECK (the OCI format has none, so build in docker's format); its default runtime
# (crun) refuses hosts with cgroups in hybrid mode (v1 controllers beside v2, as on this project's machines), runc
# runs there; and where this root lacks CAP_SYS_RESOURCE, podman's default limits (above the host's) cannot be set,
# so the smoke run asks for limits within the host's. RUN_OPTS adds options of your own to that run.
build_opts=""
run_opts=${RUN_OPTS:-}
if [ "$(basename "$engine")" = podman ]; then
  build_opts="--format docker"
  if command -v runc >/dev/null 2>&1; then
    engine="$engine --runtime runc"
    run_opts="--ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=8192:8192 $run_opts"
  fi
fi

base=${BASE_IMAGE:-}
if [ -z "$base" ]; then
  if $engine image exists "$local_base" 2>/dev/null || $engine image inspect "$local_base" >/dev/null 2>&1; then
    base=$local_base
  elif command -v debootstrap >/dev/null 2>&1; then
    echo "== making the base image $local_base with debootstrap (bookworm, minbase) from $mirror"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    debootstrap --variant=minbase --include=ca-certificates bookworm "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
      || { tail -20 "$tmp/debootstrap.log" >&2; exit 1; }
    rm -rf "$tmp/rootfs/var/lib/apt/lists/"* "$tmp/rootfs/var/cache/apt/archives/"*.deb
    tar -C "$tmp/rootfs" -c . | $engine import - "$local_base" >/dev/null
    base=$local_base
  else
    base=docker.io/library/debian:bookworm-slim
  fi
fi

# The CA certificates npm needs where a TLS-intercepting proxy stands between this machine and the npm registry.
ca_file="$here/build-ca.pem"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then cp "$NODE_EXTRA_CA_CERTS" "$ca_file"; else : >"$ca_file"; fi

echo "== building $image on $base with $engine"
built=0
$engine build $build_opts --network=host --build-arg "BASE_IMAGE=$base" -f "$here/Containerfile" -t "$image" "$root" && built=1
rm -f "$ca_file"
[ "$built" = 1 ] || { echo "build.sh: the image build failed" >&2; exit 1; }

[ "${1:-}" = "--smoke" ] || exit 0

name=threadline-smoke-$$
volume=threadline-smoke-$$
cleanup() { $engine rm -f "$name" >/dev/null 2>&1 || true; $engine volume rm -f "$volume" >/dev/null 2>&1 || true; }
trap cleanup EXIT
echo "== running $image once (container $name)"
$engine run $run_opts -d --name "$name" -v "$volume:/var/lib/threadline" -p 127.0.0.1::8000 "$image" >/dev/null \
  || { echo "build.sh: the container did not start" >&2; exit 1; }
port=$($engine port "$name" 8000 | sed -n 's/.*:\([0-9]*\)$/\1/p' | head -1)
for i in $(seq 1 90); do
  if body=$(node -e "fetch('http://127.0.0.1:$port/readyz').then(async (r) => { console.log(r.status, await r.text()); process.exit(r.ok ? 0 : 1) }, () => process.exit(1))" 2>/dev/null); then
    # the image's own HEALTHCHECK command, run now (podman schedules it with systemd timers, absent in containers)
    case "$engine" in
      podman*) if $engine healthcheck run "$name" >/dev/null 2>&1; then health=healthy; else health=unhealthy; fi ;;
      *) health=$($engine inspect --format '{{.State.Health.Status}}' "$name" 2>/dev/null || echo unknown) ;;
    esac
    user=$($engine exec "$name" id -un)
    echo "== ready after ${i}s: /readyz answered $body; health check: $health; runs as $user"
    exit 0
  fi
  if [ "$($engine inspect --format '{{.State.Running}}' "$name")" != "true" ]; then break; fi
  sleep 1
done
echo "== not ready; its log:" >&2
$engine logs "$name" >&2 || true
exit 1
