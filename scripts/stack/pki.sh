# shellcheck shell=bash
# Sourced by scripts/stack.sh: the management cluster's certificates (a serving CA, a client CA and what they
# sign) and kubeconfigs for client-certificate identities.

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
