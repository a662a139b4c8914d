#!/usr/bin/env bash
# The project's tests. scripts/test.sh <tier> runs one folder of test/ (npm run test:unit, test:integration,
# test:e2e, test:reliability); with no tier (npm test), lint, typecheck, then every tier. The unit tests need
# node_modules only: no build, no process of the provider, no stack. The other tiers run on dist/ and the real
# local stack, brought up when it is not up and taken down again at the end when this script brought it up.
# Each test file has its own namespace, task queue and Docker network, so files run side by side
# (CAPDT_TEST_CONCURRENCY at a time: 1 by default, 3 on a quiet machine with cores to spare); the few that stop
# a part of the stack run alone, last.
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
  # Up before the files run side by side: the fleet tests would otherwise start and stop it under each other.
  bash scripts/stack.sh engine2 up
  eval "$(bash scripts/stack.sh env)"
}

# The files that stop a part of the stack every other file uses (the Docker engine, the API server, Temporal).
stack_stoppers=(test/reliability/engine-restart.test.ts test/reliability/stack-restarts.test.ts)

# Runs these test files, so many at a time, with a JUnit report beside the spec output.
run_files() {
  local report=$1 concurrency=$2
  shift 2
  node --import tsx --test --test-concurrency="$concurrency" --test-timeout=900000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=junit --test-reporter-destination="test-results/$report.xml" \
    "$@"
}

# Runs the test files of the given tiers: side by side, then the stack stoppers one at a time. Both groups run
# even when the first fails, so one run shows every failure.
run_tiers() {
  local report=$1 concurrency=$2 tier file status=0
  shift 2
  local side_by_side=() alone=()
  shopt -s nullglob
  mkdir -p test-results
  for tier in "$@"; do
    for file in test/"$tier"/*.test.ts; do
      if [[ " ${stack_stoppers[*]} " == *" $file "* ]]; then alone+=("$file"); else side_by_side+=("$file"); fi
    done
    # The reliability tests add their records to it: this run's only.
    [ "$tier" != reliability ] || rm -f test-results/reliability.jsonl
  done
  run_files "$report" "$concurrency" "${side_by_side[@]}" || status=$?
  if [ ${#alone[@]} -gt 0 ]; then run_files "$report-alone" 1 "${alone[@]}" || status=$?; fi
  return "$status"
}

case "${1:-all}" in
unit)
  bash scripts/install.sh
  # Unit tests share nothing: one file per core.
  run_tiers junit-unit "$(nproc)" unit
  ;;
integration | e2e | reliability)
  setup_stack
  run_tiers "junit-$1" "${CAPDT_TEST_CONCURRENCY:-1}" "$1"
  ;;
all)
  bash scripts/install.sh
  npx biome check .
  npx tsc --noEmit
  setup_stack
  # The tier with the longest files first, so that none of them is left to run on its own at the end.
  run_tiers junit "${CAPDT_TEST_CONCURRENCY:-1}" reliability e2e integration unit
  ;;
*)
  echo "usage: scripts/test.sh [unit|integration|e2e|reliability]" >&2
  exit 2
  ;;
esac
