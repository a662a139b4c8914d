#!/usr/bin/env bash
# npm start: runs the provider (worker + watcher). Without KUBECONFIG and TEMPORAL_ADDRESS it brings up
# the local stack and uses it; whatever the environment already points at is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if [ -z "${KUBECONFIG:-}" ] || [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  bash scripts/stack.sh up
  # The stack's values fill only what the environment leaves unset.
  while IFS='=' read -r name value; do
    name=${name#export }
    [ -n "${!name:-}" ] || export "$name=$value"
  done < <(bash scripts/stack.sh env)
fi
echo "capd-temporal: Kubernetes ${KUBECONFIG:-in-cluster}, Temporal ${TEMPORAL_ADDRESS}, UI ${TEMPORAL_UI_URL:-n/a}" >&2
exec node --import tsx src/main.ts "$@"
