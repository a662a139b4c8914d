#!/usr/bin/env bash
# The local stack the provider and its tests run on: a Docker engine, a CAPI management cluster (etcd,
# kube-apiserver, kube-controller-manager, CAPI's core manager, with kubectl and clusterctl), the Temporal
# dev server and a local HAProxy image. Every part is the real program.
#
#   stack.sh up       start what is not running (idempotent), install CAPI's and the provider's CRDs
#   stack.sh up-management   only the management cluster (e.g. a second one, with its own CAPDT_STACK_DIR,
#                     for `clusterctl move`)
#   stack.sh down     stop what this script started (by pid), keep the data
#   stack.sh stop PART   stop one part it started (dockerd, etcd, kube-apiserver, kube-controller-manager,
#                     capi-manager, temporal)
#   stack.sh start PART  start that part again (and nothing else; `up` starts it too)
#   stack.sh status   one line per part
#   stack.sh env      shell exports for clients (eval "$(stack.sh env)"), kubectl and clusterctl on PATH
#   stack.sh node-image      build (once) a Node base image for the Dockerfile (NODE_IMAGE), print its name
#   stack.sh go-image        build (once) a Go image for the Dockerfile's renderer stage (GO_IMAGE), print its name
#   stack.sh temporal-image  build (once) a Temporal server image for docker-compose.yml, print its name
#   stack.sh kubeconfig USER [GROUP]   write a kubeconfig for a client-certificate identity, print its path
#   stack.sh control-plane-image   build (once) an image with the stack's etcd and kube-apiserver, print its
#                     name: tests run control-plane API servers in containers behind a load balancer
#   stack.sh engine2 up|down   a second Docker engine, for tests of a fleet of engines (not started by `up`,
#                     stopped by `down`): its own socket ($CAPDT_STACK_DIR/docker2.sock, CAPDT_DOCKER_HOST_2 in
#                     `env`), data, bridge and subnet, with the HAProxy image loaded
#   stack.sh clean    down, then delete all state (etcd data, Temporal database, certificates)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CAPDT_CACHE:-$HOME/.cache/capd-temporal}
STATE=${CAPDT_STACK_DIR:-$CACHE/stack}
BIN=$CACHE/bin
# kubectl and clusterctl, by their plain names, for `stack.sh env` to put on PATH.
TOOLS=$CACHE/path
PKI=$STATE/pki
LOGS=$STATE/logs
RUN=$STATE/run

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# One file per concern; each defines functions only (and its own settings), so their order does not matter.
# shellcheck source=SCRIPTDIR/stack/processes.sh
source "$ROOT/scripts/stack/processes.sh"
# shellcheck source=SCRIPTDIR/stack/docker.sh
source "$ROOT/scripts/stack/docker.sh"
# shellcheck source=SCRIPTDIR/stack/images.sh
source "$ROOT/scripts/stack/images.sh"
# shellcheck source=SCRIPTDIR/stack/binaries.sh
source "$ROOT/scripts/stack/binaries.sh"
# shellcheck source=SCRIPTDIR/stack/pki.sh
source "$ROOT/scripts/stack/pki.sh"
# shellcheck source=SCRIPTDIR/stack/management.sh
source "$ROOT/scripts/stack/management.sh"
# shellcheck source=SCRIPTDIR/stack/temporal.sh
source "$ROOT/scripts/stack/temporal.sh"

# ---- commands -----------------------------------------------------------------------------------

cmd_up() {
  local started=$SECONDS
  docker_up
  haproxy_image_up
  management_cluster_up
  temporal_up
  log "up in $((SECONDS - started))s"
}

cmd_down() {
  for name in temporal capi-manager kube-controller-manager kube-apiserver etcd; do stop_process "$name"; done
  engine2_down
  stop_process dockerd
}

cmd_stop() { # part
  case "${1:-}" in
    dockerd | etcd | kube-apiserver | kube-controller-manager | capi-manager | temporal) ;;
    *) die "usage: stack.sh stop dockerd|etcd|kube-apiserver|kube-controller-manager|capi-manager|temporal" ;;
  esac
  pid_alive "$1" || die "$1 was not started by this script (no live pid in $RUN), so it is left alone"
  stop_process "$1"
}

cmd_start() { # part
  case "${1:-}" in
    dockerd) docker_up ;;
    etcd) etcd_up ;;
    # Its CRDs are kept in etcd; clients may start once each custom resource lists again.
    kube-apiserver) kube_apiserver_up && wait_for "the custom resource APIs" 60 custom_resources_served ;;
    kube-controller-manager) kube_controller_manager_up ;;
    capi-manager) capi_manager_up ;;
    temporal) temporal_up ;;
    *) die "usage: stack.sh start dockerd|etcd|kube-apiserver|kube-controller-manager|capi-manager|temporal" ;;
  esac
}

cmd_env() {
  cat <<EOF
export KUBECONFIG=$STATE/kubeconfig
export TEMPORAL_ADDRESS=127.0.0.1:$(port_of temporal)
export TEMPORAL_UI_URL=http://127.0.0.1:$(port_of temporal-ui)
export TEMPORAL_CLI=$TEMPORAL_VENV/bin/temporal
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
export CAPDT_LB_IMAGE=$(lb_image)
export CAPDT_STACK_DIR=$STATE
export PATH="$TOOLS:\$PATH"
EOF
  if pid_alive dockerd2; then echo "export CAPDT_DOCKER_HOST_2=$(engine2_host)"; fi
}

cmd_status() { # exits non-zero unless every part is up
  local all=0
  if docker info >/dev/null 2>&1; then echo "docker: up"; else echo "docker: down"; all=1; fi
  # Optional, so it counts for nothing in the exit status.
  if pid_alive dockerd2 && engine2_docker info >/dev/null 2>&1; then
    echo "docker (engine2): up (pid $(cat "$RUN/dockerd2.pid"), $(engine2_host))"
  else
    echo "docker (engine2): down"
  fi
  if docker image inspect "$(lb_image)" >/dev/null 2>&1; then echo "haproxy image: $(lb_image)"; else echo "haproxy image: missing"; all=1; fi
  for name in etcd kube-apiserver kube-controller-manager capi-manager temporal; do
    if pid_alive "$name"; then echo "$name: up (pid $(cat "$RUN/$name.pid"), port $(port_of "$name"))"; else echo "$name: down"; all=1; fi
  done
  if [ -x "$TOOLS/kubectl" ]; then echo "kubectl: $("$TOOLS/kubectl" version --client | head -1)"; else echo "kubectl: missing"; all=1; fi
  if [ -x "$TOOLS/clusterctl" ]; then echo "clusterctl: $("$TOOLS/clusterctl" version -o short)"; else echo "clusterctl: missing"; all=1; fi
  return $all
}

cmd_kubeconfig() { # user [group]
  local user=${1:?usage: stack.sh kubeconfig USER [GROUP]} group=${2:-}
  [[ $user =~ ^[a-z0-9][a-z0-9.-]*$ ]] || die "user name '$user' must be lowercase letters, digits, '.' or '-'"
  [ -f "$PKI/client-ca.key" ] || die "no client CA yet: run 'stack.sh up' first"
  [ -f "$PKI/$user.crt" ] || sign_cert client-ca "$user" "/CN=$user${group:+/O=$group}" "" clientAuth
  write_kubeconfig "$user" "$STATE/kubeconfig-$user"
  echo "$STATE/kubeconfig-$user"
}

cmd_engine2() { # up | down
  case "${1:-}" in
    up) engine2_up ;;
    down) engine2_down ;;
    *) die "usage: stack.sh engine2 up|down" ;;
  esac
}

cmd_clean() {
  cmd_down
  rm -rf "$STATE"
  log "removed $STATE"
}

case "${1:-}" in
  up) cmd_up ;;
  up-management) management_cluster_up ;;
  down) cmd_down ;;
  stop) shift; cmd_stop "$@" ;;
  start) shift; cmd_start "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  node-image) docker_up && node_image_up ;;
  go-image) docker_up && go_image_up ;;
  temporal-image) docker_up && temporal_image_up ;;
  kubeconfig) shift; cmd_kubeconfig "$@" ;;
  control-plane-image) docker_up && control_plane_image ;;
  engine2) shift; cmd_engine2 "$@" ;;
  clean) cmd_clean ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 2 ;;
esac
