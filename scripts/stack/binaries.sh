# shellcheck shell=bash
# Sourced by scripts/stack.sh: Kubernetes, etcd and CAPI, built from the Go module proxy at the versions that
# tools/*/go.mod require, cached by those files' content.

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

tools_up() { # kubectl and clusterctl under their own names
  mkdir -p "$TOOLS"
  ln -sf "$(kubernetes_binary kubectl)" "$TOOLS/kubectl"
  ln -sf "$(capi_binary clusterctl sigs.k8s.io/cluster-api/cmd/clusterctl)" "$TOOLS/clusterctl"
}
