#!/usr/bin/env bash
# npm run bench [-- --sizes 1,1,1,1,1,10,50 --idle-seconds 60 --out bench-results]: the provider against the floor
# on the local stack (brought up unless KUBECONFIG and TEMPORAL_ADDRESS point at one). See bench/.
# npm run bench:cli [-- <namespace>/<name> --runs 10]: the operator CLI's latency, on the same stack.
# npm run bench:scale-out [-- --count 100]: one engine and one worker against two engines and three workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/stack-env.sh
use_local_stack
if [ "${1:-}" = cli ]; then # npm run bench:cli: the CLI's latency (bench/cli-latency.ts), from the build
  shift
  bash scripts/build.sh
  exec node --import tsx bench/cli-latency.ts "$@"
fi
bash scripts/build.sh # the worker loads the workflow bundle the build makes
if [ "${1:-}" = scale-out ]; then
  shift
  exec node --import tsx bench/scale-out.ts "$@"
fi
exec node --import tsx bench/provider-vs-floor.ts "$@"
