#!/usr/bin/env bash
# npm run demo: what a CAPI user does, with kubectl and clusterctl (run `npm start` first): applies an example,
# waits until CAPI reports the infrastructure ready, and shows the Cluster.
#   npm run demo                      examples/cluster.yaml: a Cluster and the DockerCluster it names
#   npm run demo -- --clusterclass    examples/clusterclass.yaml: a ClusterClass and a Cluster of it; CAPI creates
#                                     the DockerCluster from the DockerClusterTemplate
#   npm run demo -- --delete [--clusterclass]   deletes that Cluster; CAPI deletes its DockerCluster, the provider
#                                     its load balancer
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/stack-env.sh
use_local_stack
delete=false example=examples/cluster.yaml cluster=demo
for argument in "$@"; do
  case $argument in
    --delete) delete=true ;;
    --clusterclass) example=examples/clusterclass.yaml cluster=demo-topology ;;
    *) echo "usage: npm run demo -- [--clusterclass] [--delete]" >&2; exit 2 ;;
  esac
done
if $delete; then
  exec kubectl delete cluster "$cluster" --timeout 120s
fi
kubectl apply -f "$example"
kubectl wait "cluster/$cluster" --for condition=InfrastructureReady --timeout 120s
kubectl get clusters,dockerclusters
clusterctl describe cluster "$cluster" --show-conditions all
node bin/capd-temporal.js ui "default/$(kubectl get dockerclusters -l "cluster.x-k8s.io/cluster-name=$cluster" -o jsonpath='{.items[0].metadata.name}')"
