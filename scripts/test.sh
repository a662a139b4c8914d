#!/usr/bin/env bash
# The project's tests. scripts/test.sh <tier> runs one folder of test/ (npm run test:unit, test:integration,
# test:e2e, test:reliability); with no tier (npm test), lint, typecheck, then every tier, the reliability
# tests last: they restart parts of the stack. The unit tests need node_modules only: no build, no process
# of the provider, no stack. The other tiers run on dist/ and the real local stack, brought up when it is not
# up and taken down again at the end when this script brought it up.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tiers on the stack need: the dependencies, what some tests drive besides the stack (Chromium: the
# Temporal UI test; Compose: the compose file test), dist/, and the stack with its environment.
setup_stack() {
  bash scripts/install.sh
  bash scripts/install-chromium.sh
  bash scripts/install-compose.sh >/dev/null
  bash scripts/build.sh
  if ! bash scripts/stack.sh status >/dev/null 2>&1; then
    bash scripts/stack.sh up
    [ -n "${CAPDT_KEEP_STACK:-}" ] || trap 'bash scripts/stack.sh down' EXIT
  fi
  eval "$(bash scripts/stack.sh env)"
}

# Runs the test files of the given tiers, so many files at a time, with a JUnit report beside the spec output.
run_tiers() {
  local report=$1 concurrency=$2 tier
  shift 2
  local files=()
  shopt -s nullglob
  mkdir -p test-results
  for tier in "$@"; do
    files+=(test/"$tier"/*.test.ts)
    # The reliability tests add their records to it: this run's only.
    [ "$tier" != reliability ] || rm -f test-results/reliability.jsonl
  done
  node --import tsx --test --test-concurrency="$concurrency" --test-timeout=900000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=junit --test-reporter-destination="test-results/$report.xml" \
    "${files[@]}"
}

case "${1:-all}" in
unit)
  bash scripts/install.sh
  # Unit tests share nothing: one file per core.
  run_tiers junit-unit "$(nproc)" unit
  ;;
integration | e2e | reliability)
  setup_stack
  run_tiers "junit-$1" 1 "$1"
  ;;
all)
  bash scripts/install.sh
  npx biome check .
  npx tsc --noEmit
  setup_stack
  run_tiers junit 1 unit integration e2e reliability
  ;;
*)
  echo "usage: scripts/test.sh [unit|integration|e2e|reliability]" >&2
  exit 2
  ;;
esac
