#!/usr/bin/env bash
# npm start: runs the provider (worker + watcher). Without KUBECONFIG and TEMPORAL_ADDRESS it brings up
# the local stack and uses it; whatever the environment already points at is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/build.sh # the provider and the CLI run the build, not the sources
# On a cluster of the user's own, the provider's CRD may not be there yet.
[ -z "${KUBECONFIG:-}" ] || node --import tsx scripts/install-crds.ts
source scripts/stack-env.sh
use_local_stack
echo "capd-temporal: Kubernetes ${KUBECONFIG:-in-cluster}, Temporal ${TEMPORAL_ADDRESS}, UI ${TEMPORAL_UI_URL:-n/a}" >&2
exec node dist/main.js "$@"
