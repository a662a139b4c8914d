#!/usr/bin/env bash
# npm run bench [-- --sizes 1,1,1,1,1,10,50 --idle-seconds 60 --out bench-results]: the provider against the floor
# on the local stack (brought up unless KUBECONFIG and TEMPORAL_ADDRESS point at one). See bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/stack-env.sh
use_local_stack
exec node --import tsx bench/provider-vs-floor.ts "$@"
