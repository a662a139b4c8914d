#!/usr/bin/env bash
# npm run demo: what a CAPI user does, with kubectl and clusterctl (run `npm start` first): applies
# examples/cluster.yaml, waits until CAPI reports the infrastructure ready, and shows the Cluster.
# `npm run demo -- --delete` deletes the Cluster; CAPI deletes its DockerCluster, the provider its load balancer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/stack-env.sh
use_local_stack
if [ "${1:-}" = --delete ]; then
  exec kubectl delete cluster demo --timeout 120s
fi
kubectl apply -f examples/cluster.yaml
kubectl wait cluster/demo --for condition=InfrastructureReady --timeout 120s
kubectl get clusters,dockerclusters
clusterctl describe cluster demo --show-conditions all
node bin/capd-temporal.js ui default/demo
