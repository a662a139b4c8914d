# shellcheck shell=bash
# Sourced by scripts/stack.sh: the Docker engine.

docker_up() {
  if docker info >/dev/null 2>&1; then return; fi
  command -v dockerd >/dev/null || debian_package_up docker.io
  docker info >/dev/null 2>&1 && return
  log "starting dockerd"
  start_process dockerd dockerd --host=unix:///var/run/docker.sock
  wait_for "dockerd" 60 docker info
}
