#!/usr/bin/env bash
# npm run reliability: the reliability suite and the end-to-end tests with CAPI and clusterctl on the local
# stack, then docs/RELIABILITY.md from their records.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/stack-env.sh
use_local_stack
mkdir -p test-results
rm -f test-results/reliability.jsonl
node --import tsx --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec \
  test/e2e/provider.test.ts test/e2e/move.test.ts test/e2e/load-balancer-backends.test.ts test/e2e/haproxy-template.test.ts test/reliability/*.test.ts
node --import tsx scripts/reliability-report.ts
