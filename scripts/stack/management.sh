# shellcheck shell=bash
# Sourced by scripts/stack.sh: the CAPI management cluster: etcd, kube-apiserver, kube-controller-manager,
# CAPI's and the provider's CRDs and RBAC, CAPI's core manager.

CAPI_USER=capi-manager

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

# Where CAPI's manager serves its webhooks: the port it listens on, or the one it will be started on.
capi_webhook_port() {
  if pid_alive capi-manager; then port_of capi-webhook; else pick_port capi-webhook; fi
}

manifests_up() { # as `clusterctl init` would: CRDs, then RBAC, webhooks, namespaces and the provider inventory
  local dir part webhook_url
  dir=$(capi_module_dir)
  webhook_url=https://127.0.0.1:$(capi_webhook_port)
  for part in crds objects; do
    node --import tsx "$ROOT/scripts/management-manifests.ts" "$part" "$dir" "$CAPI_USER" "$webhook_url" \
      "$PKI/serving-ca.crt" |
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
  # The webhook server's certificate is signed by the stack's serving CA, which manifests_up put in the webhook
  # configurations and the CRDs' conversion webhooks (cert-manager's job in a real management cluster).
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
    --webhook-port "$(port_of capi-webhook)" --webhook-cert-dir "$webhook_certs" \
    --feature-gates ClusterTopology=true
  wait_for "CAPI's core manager" 120 curl -sf "http://127.0.0.1:$(port_of capi-manager)/readyz"
}

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
