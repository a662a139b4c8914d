#!/usr/bin/env bash
# Makes a Docker Compose command available and prints it ("docker compose" or "docker-compose").
# Idempotent: installs nothing when one already works. Otherwise installs the first of Debian's packages
# that the archive offers: docker-compose-v2 or docker-compose-plugin (Compose v2), docker-compose (v1 on
# bookworm, v2 on later releases).
set -euo pipefail

compose_command() {
  if docker compose version >/dev/null 2>&1; then echo "docker compose"; return 0; fi
  if command -v docker-compose >/dev/null && docker-compose version >/dev/null 2>&1; then echo "docker-compose"; return 0; fi
  return 1
}

candidate() { # package → its candidate version, empty when the archive has none
  apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

compose_command && exit 0

packages=(docker-compose-v2 docker-compose-plugin docker-compose)
pick() { for package in "${packages[@]}"; do [ -z "$(candidate "$package")" ] || { echo "$package"; return; }; done; }
package=$(pick)
if [ -z "$package" ]; then
  apt-get update -qq >&2
  package=$(pick)
fi
[ -n "$package" ] || { echo "install-compose: no Compose package in the apt sources (${packages[*]})" >&2; exit 1; }
echo "install-compose: installing Debian's $package $(candidate "$package")" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >"$log" 2>&1 ||
  { cat "$log" >&2; echo "install-compose: apt-get install $package failed" >&2; exit 1; }
compose_command || { echo "install-compose: $package installed, but no Compose command works" >&2; exit 1; }
