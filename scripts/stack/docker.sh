# shellcheck shell=bash
# Sourced by scripts/stack.sh: the Docker engine, and a second one on demand for tests of a fleet of engines.

docker_up() {
  if docker info >/dev/null 2>&1; then return; fi
  command -v dockerd >/dev/null || debian_package_up docker.io
  docker info >/dev/null 2>&1 && return
  log "starting dockerd"
  start_process dockerd dockerd --host=unix:///var/run/docker.sock
  wait_for "dockerd" 60 docker info
}

# ---- the second engine: its own socket, data, state, bridge and addresses --------------------------
# Its dockerd manages no iptables rules: one that does deletes Docker's chains when it starts, and with them
# the first engine's port mappings and network isolation. Its ports are published by Docker's userland proxy.

ENGINE2_BRIDGE=capdt-docker2
# Out of the first engine's default pools (172.17-31.x, 192.168.x) and of the tests' own subnets (10.1-254.x).
ENGINE2_ADDRESSES=10.255.0.0/16
ENGINE2_BRIDGE_ADDRESS=10.255.0.1/24
ENGINE2_NETWORK_POOL=base=10.255.128.0/17,size=24

engine2_host() { echo "unix://$STATE/docker2.sock"; }

engine2_docker() { docker --host "$(engine2_host)" "$@"; }

# The first engine sets the FORWARD chain's policy to DROP; this rule lets the second engine's containers
# reach one another (bridged traffic passes the FORWARD chain here). iptables action: -C, -I or -D.
engine2_forward_rule() {
  iptables "$1" FORWARD -s "$ENGINE2_ADDRESSES" -d "$ENGINE2_ADDRESSES" \
    -m comment --comment "capd-temporal second Docker engine" -j ACCEPT
}

# Its bridges, its own and its networks', found by their addresses.
engine2_bridges() { ip -o -4 address show to "$ENGINE2_ADDRESSES" 2>/dev/null | awk '{ print $2 }' | sort -u; }

engine2_bridges_down() {
  local bridge
  for bridge in $(engine2_bridges); do ip link delete "$bridge"; done
}

engine2_up() {
  local data=$STATE/docker2
  docker_up
  haproxy_image_up
  if ! pid_alive dockerd2; then
    # A dockerd with an address pool that finds its default network of a previous run deletes docker0 as it
    # starts (moby's removeDefaultBridgeInterface): the first engine's bridge. So it starts with no networks,
    # and without the bridges of those it had; dockerd creates only docker0 itself, not its own bridge.
    rm -rf "$data/data/network"
    engine2_bridges_down
    ip link add "$ENGINE2_BRIDGE" type bridge
    ip address add "$ENGINE2_BRIDGE_ADDRESS" dev "$ENGINE2_BRIDGE"
    ip link set "$ENGINE2_BRIDGE" up
    mkdir -p "$data"
    echo '{}' >"$data/daemon.json" # not the first engine's /etc/docker/daemon.json
    log "starting a second dockerd on $(engine2_host)"
    start_process dockerd2 dockerd --host "$(engine2_host)" --config-file "$data/daemon.json" \
      --data-root "$data/data" --exec-root "$data/exec" --pidfile "$data/dockerd.pid" \
      --bridge "$ENGINE2_BRIDGE" --default-address-pool "$ENGINE2_NETWORK_POOL" --iptables=false \
      --shutdown-timeout 3 # its containers stop within stop_process's wait
  fi
  wait_for "the second dockerd" 60 engine2_docker info
  engine2_forward_rule -C 2>/dev/null || engine2_forward_rule -I
  if ! engine2_docker image inspect "$(lb_image)" >/dev/null 2>&1; then
    log "loading $(lb_image) into the second engine"
    docker save "$(lb_image)" | engine2_docker load >/dev/null
  fi
}

engine2_down() { # what engine2_up made, and nothing when it made nothing
  local data=$STATE/docker2/data
  # Another state folder's `down` (a second management cluster's) must not take this engine's bridge.
  [ -f "$RUN/dockerd2.pid" ] || return 0
  stop_process dockerd2
  # dockerd mounts its data folder on itself; one that was killed leaves that mount behind.
  if mountpoint -q "$data"; then umount "$data"; fi
  if engine2_forward_rule -C 2>/dev/null; then engine2_forward_rule -D; fi
  engine2_bridges_down
}
