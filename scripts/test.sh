#!/usr/bin/env bash
# The project's test command (npm test): lint, typecheck, then unit, integration, end-to-end and reliability
# tests on the real local stack (the reliability ones last: they restart parts of it). The stack is brought
# up when it is not up, and taken down again at the end when this script brought it up.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
# What some tests drive besides the stack: Chromium (the Temporal UI test) and Compose (the compose file test).
bash scripts/install-chromium.sh
bash scripts/install-compose.sh >/dev/null
npx biome check .
npx tsc --noEmit
bash scripts/build.sh

if ! bash scripts/stack.sh status >/dev/null 2>&1; then
  bash scripts/stack.sh up
  [ -n "${CAPDT_KEEP_STACK:-}" ] || trap 'bash scripts/stack.sh down' EXIT
fi
eval "$(bash scripts/stack.sh env)"

shopt -s nullglob
mkdir -p test-results
rm -f test-results/reliability.jsonl
node --import tsx --test --test-concurrency=1 --test-timeout=900000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination=test-results/junit.xml \
  test/unit/*.test.ts test/integration/*.test.ts test/e2e/*.test.ts test/reliability/*.test.ts
