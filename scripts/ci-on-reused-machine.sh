#!/usr/bin/env bash
# Runs CI the way it really runs: on this (reused) machine, after every process a session left has
# been ended, in a fresh clone of main elsewhere, as `CI=true bash .ci/run` without standard input.
# It kills (SIGKILL) every dockerd, containerd, shim, lxcfs, postgres and carina process first, which
# leaves what CI finds: a stale lxcfs FUSE mount, a dockerd pidfile of a dead process, containers
# that restart with the engine. Only for this project's own test machines.
#   scripts/ci-on-reused-machine.sh [LOG]   (default /tmp/ci-on-reused-machine.log; takes ~8 min)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
log=${1:-/tmp/ci-on-reused-machine.log}
work=$(mktemp -d /tmp/carina-ci-clone.XXXXXX)
pkill -9 -f 'carina-server|vitest'; pkill -9 -x lxcfs; pkill -9 -x dockerd; pkill -9 -x containerd
pkill -9 -f containerd-shim; pkill -9 -f postgres
sleep 1
git clone -q "$repo" "$work/main"
[ -d "$repo/../shared" ] && cp -r "$repo/../shared" "$work/shared"
cd "$work/main" || exit 1
start=$(date +%s)
env CI=true bash .ci/run < /dev/null > "$log" 2>&1
code=$?
echo "ci-on-reused-machine: exit $code after $(( $(date +%s) - start )) s; log: $log" | tee -a "$log"
exit "$code"
