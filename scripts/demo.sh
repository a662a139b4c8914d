#!/usr/bin/env bash
# npm run demo: applies examples/cluster.yaml and shows the DockerCluster becoming ready (run `npm start` first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/stack-env.sh
use_local_stack
exec node --import tsx scripts/demo.ts "$@"
