#!/usr/bin/env bash
# Simulated Docker hosts on this one machine, for developing and testing Carina's multi-host work
# (issue 13) without a fleet of machines. Each host is a container from Carina's node image
# (carina/node:<hash>, built by `carina-server setup` or the e2e global setup), started with the
# node containers' security flags (src/engine/node-security.ts), whose inner dockerd serves the
# Docker API with mutual TLS on port 2376 at a fixed address of a bridge network of its own.
#
#   scripts/sim-hosts.sh up N        start hosts 1..N (creates the missing ones, starts stopped ones)
#   scripts/sim-hosts.sh list        the hosts that exist
#   scripts/sim-hosts.sh kill NAME   SIGKILL one host (a power loss: its engine and containers die at once)
#   scripts/sim-hosts.sh start NAME  bring it back: same name, address, TLS material and /var/lib/docker
#   scripts/sim-hosts.sh down        remove every host, its volume, the network and the TLS files
#
# `up`, `start` and `list` print one line per host: NAME DOCKER_HOST TLS_DIR (`list` adds STATE).
# TLS_DIR holds ca.pem, cert.pem and key.pem of a client of that engine:
#   DOCKER_CERT_PATH=TLS_DIR docker --tlsverify -H DOCKER_HOST info
# `up` and `start` return once each engine answers over mutual TLS (or fail with its log tail).
#
# Environment:
#   CARINA_SIM_PREFIX  names of hosts (PREFIX-1, PREFIX-2…), of the network and of the state
#                      subdirectory; lets several users of one engine coexist (default carina-sim)
#   CARINA_SIM_DIR     state directory, 0700; TLS files live in DIR/PREFIX (default /tmp/carina-sim-hosts)
#   CARINA_SIM_SUBNET  the hosts' network, an IPv4 /24; host i is at .(10+i) (default 10.214.0.0/24)
#   CARINA_SIM_IMAGE   node image to run (default: the newest carina/node:* on the engine)
#   CARINA_SIM_WAIT_S  how long `up`/`start` wait for an engine to answer (default 60)
#   CARINA_SIM_USERNS  1 (default): the host's dockerd runs with --userns-remap=default, as Carina wants
#                      of a registered host (root in a node is then an unprivileged host user); 0: not,
#                      for testing what happens to a host without it. Read when a host is created.
#   CARINA_SIM_LXCFS   1 (default): the machine's lxcfs (when it serves at /var/lib/lxcfs) is bound into
#                      each host at the same place, as a real host would run its own; 0: hosts without it.
# Every object carries the labels carina.sim=1 and carina.sim.prefix=PREFIX.
#
# A host whose dockerd remaps users gets two more privileges than a node (measured on these machines):
# CAP_SYS_PTRACE (runc opens the namespaces of a container's first process, owned by the remapped
# root) and an unmasked /proc (a fresh proc mount in a user namespace is refused while parts of the
# visible one are masked) — what a real machine's dockerd has anyway.
#
# The hosts run on the host engine (/var/run/docker.sock), not on Carina's node engine: that one
# lives in a network namespace and a user namespace of its own, so its containers' addresses are not
# routed from this machine, while the control plane must reach every host engine directly, as it
# would reach a real machine. Needs the compiled tree (dist/, for the security flags) and openssl.
set -euo pipefail
umask 077

readonly PREFIX=${CARINA_SIM_PREFIX:-carina-sim}
readonly STATE_ROOT=${CARINA_SIM_DIR:-/tmp/carina-sim-hosts}
readonly FLEET=$STATE_ROOT/$PREFIX
readonly SUBNET=${CARINA_SIM_SUBNET:-10.214.0.0/24}
readonly WAIT_S=${CARINA_SIM_WAIT_S:-60}
USERNS=${CARINA_SIM_USERNS:-1}
[[ $USERNS == 1 ]] || USERNS=
# The machine's lxcfs, when it serves, is the hosts' too (a real host runs its own at the same place):
# bound at /var/lib/lxcfs in each host, its nodes get their flavor's /proc from it (host-lxcfs.ts).
LXCFS=${CARINA_SIM_LXCFS:-1}
if [[ $LXCFS == 1 ]] && grep -q ' /var/lib/lxcfs fuse.lxcfs ' /proc/mounts && head -c1 /var/lib/lxcfs/proc/meminfo >/dev/null 2>&1; then
  LXCFS_BIND=(-v /var/lib/lxcfs:/var/lib/lxcfs:ro)
else
  LXCFS_BIND=()
fi
readonly USERNS
readonly ENGINE=unix:///var/run/docker.sock
readonly PORT=2376
readonly TLS_IN_HOST=/etc/carina-sim/tls
REPO=$(cd "$(dirname "$0")/.." && pwd)
readonly REPO

die() { echo "sim-hosts: $*" >&2; exit 1; }
say() { echo "sim-hosts: $*" >&2; }

# The host engine, whatever DOCKER_HOST / DOCKER_CERT_PATH the caller has set for a simulated host.
engine() { env -u DOCKER_HOST -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_CONTEXT docker -H "$ENGINE" "$@"; }

[[ $PREFIX =~ ^[a-z0-9][a-z0-9_.-]{0,40}$ ]] || die "CARINA_SIM_PREFIX must be lower-case letters, digits, '_', '.', '-' (got '$PREFIX')"
[[ $SUBNET =~ ^([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.0/24$ ]] || die "CARINA_SIM_SUBNET must be an IPv4 /24 such as 10.214.0.0/24 (got '$SUBNET')"
readonly NET_BASE=${BASH_REMATCH[1]}
[[ $WAIT_S =~ ^[0-9]+$ ]] || die "CARINA_SIM_WAIT_S must be a number of seconds (got '$WAIT_S')"

host_name() { echo "$PREFIX-$1"; }
host_ip() { echo "$NET_BASE.$((10 + $1))"; }
client_dir() { echo "$FLEET/$1/client"; }

# The index of one of this prefix's hosts, from its name; dies for any other name.
host_index() {
  local name=$1
  [[ $name =~ ^${PREFIX//./\\.}-([0-9]+)$ ]] || die "'$name' is not a host of prefix $PREFIX (names are $PREFIX-1, $PREFIX-2…)"
  echo "${BASH_REMATCH[1]}"
}

# State of the named container of this prefix (running, exited…), or nothing when it does not exist.
host_state() {
  engine container ls -a --filter "label=carina.sim.prefix=$PREFIX" --filter "name=^/$1\$" --format '{{.State}}'
}

readonly LABELS=(--label carina.sim=1 --label "carina.sim.prefix=$PREFIX")

# The newest node image the platform built; building it takes debootstrap and a minute: not done here.
node_image() {
  if [[ -n ${CARINA_SIM_IMAGE:-} ]]; then echo "$CARINA_SIM_IMAGE"; return; fi
  local newest
  newest=$(engine image ls --filter 'reference=carina/node:*' --format '{{.CreatedAt}}	{{.Repository}}:{{.Tag}}' | sort -r | head -n 1 | cut -f 2)
  [[ -n $newest ]] || die "no carina/node:* image on the host engine: run \`carina-server setup\` (or the e2e tests' global setup, npx vitest run --project e2e) first"
  echo "$newest"
}

# `docker run` flags for the node containers' HostConfig security fields (src/engine/node-security.ts,
# compiled in dist/), one per line; the seccomp profile goes to a file, as the docker client wants.
security_flags() {
  local compiled=$REPO/dist/src/engine/node-security.js
  [[ -f $compiled ]] || die "$compiled is missing: build Carina first (npx tsc -p tsconfig.build.json)"
  # shellcheck disable=SC2016 # JavaScript, not shell
  node --input-type=module -e '
    const { NODE_SECURITY: s } = await import(process.argv[1]);
    const { writeFileSync } = await import("node:fs");
    const out = [];
    for (const [key, value] of Object.entries(s)) {
      if (key === "CapDrop") for (const c of value) out.push("--cap-drop", c);
      else if (key === "CapAdd") for (const c of value) out.push("--cap-add", c);
      else if (key === "CgroupnsMode") out.push("--cgroupns", value);
      else if (key === "SecurityOpt") for (const o of value) {
        if (o.startsWith("seccomp=")) { writeFileSync(process.argv[2], o.slice(8), { mode: 0o600 }); out.push("--security-opt", `seccomp=${process.argv[2]}`); }
        else out.push("--security-opt", o);
      }
      else throw new Error(`node-security.ts has a field sim-hosts.sh does not map to docker run flags: ${key}`);
    }
    console.log(out.join("\n"));
  ' "$compiled" "$FLEET/seccomp.json"
}

# An EC P-256 key and a certificate signed by the fleet's CA; $4 is the extensions (SAN, usage).
issue_cert() {
  local dir=$1 cn=$2 usage=$3 san=${4:-}
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/key.pem" 2>/dev/null
  openssl req -new -key "$dir/key.pem" -subj "/CN=$cn" -out "$dir/csr.pem"
  openssl x509 -req -in "$dir/csr.pem" -CA "$FLEET/ca.pem" -CAkey "$FLEET/ca-key.pem" -set_serial "0x$(openssl rand -hex 16)" \
    -days 3650 -sha256 -out "$dir/cert.pem" 2>/dev/null \
    -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s' "$usage" "$san")
  rm -f "$dir/csr.pem"
  cp "$FLEET/ca.pem" "$dir/ca.pem"
}

# The fleet's CA and its one client certificate, made once.
ensure_ca() {
  mkdir -p "$FLEET"
  chmod 0700 "$STATE_ROOT" "$FLEET"
  [[ ! -s $FLEET/ca.pem ]] || return 0
  if [[ -n $(engine container ls -aq --filter "label=carina.sim.prefix=$PREFIX") ]]; then
    die "the TLS files in $FLEET are gone but hosts of prefix $PREFIX exist: run \`$0 down\` first"
  fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$FLEET/ca-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$FLEET/ca-key.pem" -sha256 -days 3650 -subj "/CN=$PREFIX simulated hosts CA" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$FLEET/ca.pem"
  mkdir -p "$FLEET/client"
  issue_cert "$FLEET/client" "$PREFIX client" clientAuth
}

# A host's server certificate (naming its IP, which clients verify) and its copy of the client bundle.
ensure_host_tls() {
  local name=$1 ip=$2
  [[ ! -s $FLEET/$name/server/cert.pem ]] || return 0
  mkdir -p "$FLEET/$name/server" "$FLEET/$name/client"
  issue_cert "$FLEET/$name/server" "$name" serverAuth "subjectAltName=IP:$ip,DNS:$name,IP:127.0.0.1,DNS:localhost"
  cp "$FLEET/client/ca.pem" "$FLEET/client/cert.pem" "$FLEET/client/key.pem" "$FLEET/$name/client/"
}

ensure_network() {
  local subnet
  subnet=$(engine network inspect "$PREFIX" --format '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{index .Labels "carina.sim.prefix"}}' 2>/dev/null || true)
  if [[ -z $subnet ]]; then
    # Another `up` of the same prefix may have created it at the same moment: re-check before failing.
    engine network create --driver bridge --subnet "$SUBNET" "${LABELS[@]}" "$PREFIX" >/dev/null 2>&1 \
      || engine network inspect "$PREFIX" >/dev/null 2>&1 \
      || die "cannot create network $PREFIX with subnet $SUBNET: $(engine network create --driver bridge --subnet "$SUBNET" "$PREFIX" 2>&1)"
  elif [[ $subnet != "$SUBNET $PREFIX" ]]; then
    die "network $PREFIX exists but is not this prefix's network on $SUBNET (it has: $subnet); choose another CARINA_SIM_PREFIX or CARINA_SIM_SUBNET"
  fi
}

# Creates host $1 (stopped) from image $2 with security flags $3 (lines); its volume keeps the inner
# engine's state (images, swarm) across kill/start.
create_host() {
  local index=$1 image=$2 name ip
  name=$(host_name "$index")
  ip=$(host_ip "$index")
  local -a flags
  mapfile -t flags <<<"$3"
  [[ $LXCFS != 1 || ${#LXCFS_BIND[@]} -gt 0 ]] || say "$name: the machine's lxcfs does not serve /var/lib/lxcfs, so this host has none (its nodes report the host's memory); start lxcfs first (carina-server does) or set CARINA_SIM_LXCFS=0"
  engine volume create "${LABELS[@]}" --label "carina.sim.host=$name" "$name-docker" >/dev/null
  engine container create --name "$name" --hostname "$name" "${LABELS[@]}" --label "carina.sim.host=$name" \
    --network "$PREFIX" --ip "$ip" "${flags[@]}" ${USERNS:+--cap-add SYS_PTRACE --security-opt systempaths=unconfined} \
    -v "$name-docker:/var/lib/docker" -v "$FLEET/$name/server:$TLS_IN_HOST:ro" "${LXCFS_BIND[@]}" \
    "$image" \
    --host "tcp://0.0.0.0:$PORT" --tlsverify \
    --tlscacert "$TLS_IN_HOST/ca.pem" --tlscert "$TLS_IN_HOST/cert.pem" --tlskey "$TLS_IN_HOST/key.pem" \
    ${USERNS:+--userns-remap=default} >/dev/null
}

# Waits until the host's engine answers `docker version` over mutual TLS.
wait_host() {
  local index=$1 name deadline state
  name=$(host_name "$index")
  deadline=$((SECONDS + WAIT_S))
  while :; do
    state=$(host_state "$name")
    [[ $state == running ]] || break
    # As its clients will reach it: the client certificate in TLS_DIR, the CA checking the server's IP.
    timeout 5 env -u DOCKER_CONTEXT DOCKER_HOST="tcp://$(host_ip "$index"):$PORT" DOCKER_TLS_VERIFY=1 \
      DOCKER_CERT_PATH="$(client_dir "$name")" docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && return 0
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  say "$name's engine does not answer on tcp://$(host_ip "$index"):$PORT with mutual TLS (container ${state:-gone}, waited up to ${WAIT_S}s); its log ends with:"
  engine logs --tail 30 "$name" >&2 || true
  exit 1
}

print_host() {
  local name
  name=$(host_name "$1")
  echo "$name tcp://$(host_ip "$1"):$PORT $(client_dir "$name")${2:+ $2}"
}

cmd_up() {
  local count=${1:-}
  if ! [[ $count =~ ^[1-9][0-9]*$ ]] || ((count > 200)); then die "usage: $0 up N (1 ≤ N ≤ 200)"; fi
  local image flags index pid
  local -a pids=()
  image=$(node_image)
  ensure_network
  ensure_ca
  flags=$(security_flags)
  # Hosts are created and started side by side: each `docker start` of a node container takes 1–3 s.
  for ((index = 1; index <= count; index++)); do
    (
      name=$(host_name "$index")
      ensure_host_tls "$name" "$(host_ip "$index")"
      state=$(host_state "$name")
      [[ -n $state ]] || create_host "$index" "$image" "$flags"
      [[ $state == running ]] || engine container start "$name" >/dev/null
    ) &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "some hosts could not be created or started (see above)"; done
  for ((index = 1; index <= count; index++)); do wait_host "$index"; done
  for ((index = 1; index <= count; index++)); do print_host "$index"; done
}

cmd_kill() {
  local name=${1:-}
  [[ -n $name ]] || die "usage: $0 kill NAME"
  host_index "$name" >/dev/null
  [[ -n $(host_state "$name") ]] || die "no host $name (see \`$0 list\`)"
  # SIGKILL to the container's init (the inner dockerd) ends every process of it at once, nested
  # containers included: no clean shutdown of the engine, its swarm or its containers.
  engine container kill --signal KILL "$name" >/dev/null 2>&1 || [[ $(host_state "$name") != running ]] || die "cannot kill $name"
  local deadline=$((SECONDS + 10))
  while [[ $(host_state "$name") == running ]]; do
    ((SECONDS < deadline)) || die "$name still runs 10 s after SIGKILL"
    sleep 0.1
  done
}

cmd_start() {
  local name=${1:-} index
  [[ -n $name ]] || die "usage: $0 start NAME"
  index=$(host_index "$name")
  [[ -n $(host_state "$name") ]] || die "no host $name (see \`$0 list\`; \`$0 up N\` creates hosts)"
  [[ -s $FLEET/$name/server/cert.pem ]] || die "the TLS files of $name in $FLEET are gone: run \`$0 down\`, then \`$0 up N\`"
  engine container start "$name" >/dev/null
  wait_host "$index"
  print_host "$index"
}

cmd_list() {
  local name state
  while read -r name state; do
    [[ -n $name ]] || continue
    print_host "$(host_index "$name")" "$state"
  done < <(engine container ls -a --filter "label=carina.sim.prefix=$PREFIX" --format '{{.Names}} {{.State}}' | sort -V)
}

cmd_down() {
  local ids
  ids=$(engine container ls -aq --filter "label=carina.sim.prefix=$PREFIX")
  # shellcheck disable=SC2086 # one id per word
  [[ -z $ids ]] || engine container rm --force --volumes $ids >/dev/null
  ids=$(engine volume ls -q --filter "label=carina.sim.prefix=$PREFIX")
  # shellcheck disable=SC2086
  [[ -z $ids ]] || engine volume rm --force $ids >/dev/null
  ids=$(engine network ls -q --filter "label=carina.sim.prefix=$PREFIX")
  # shellcheck disable=SC2086
  [[ -z $ids ]] || engine network rm $ids >/dev/null
  rm -rf "$FLEET"
  rmdir "$STATE_ROOT" 2>/dev/null || true
}

case ${1:-} in
  up) cmd_up "${2:-}" ;;
  kill) cmd_kill "${2:-}" ;;
  start) cmd_start "${2:-}" ;;
  list) cmd_list ;;
  down) cmd_down ;;
  *) die "usage: $0 up N | list | kill NAME | start NAME | down   (see the comment at the top of $0)" ;;
esac
