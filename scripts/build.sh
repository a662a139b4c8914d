#!/usr/bin/env bash
# Builds dist/ (the provider, its workflow bundle and the CLI's bundle, `npm run build`; the HAProxy template
# renderer, `npm run build:haproxy-template`) when an output is missing or a source is newer than it: the CLI
# (bin/capd-temporal.js) runs the build, never the sources, and every worker, the tests' too, loads the
# workflow bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

# stale <output> <source>...: the output is missing, or a source (a file or any file under a folder) is newer.
stale() {
  local output=$1
  shift
  [ ! -f "$output" ] || [ -n "$(find "$@" -newer "$output" -print -quit)" ]
}

provider_sources=(src tsconfig.json tsconfig.build.json package-lock.json scripts/bundle.mjs)
if stale dist/workflow-bundle.js "${provider_sources[@]}" ||
  stale dist/cli-bundle/capd-temporal.mjs "${provider_sources[@]}"; then
  npm run --silent build
fi
if stale dist/haproxy-template src/haproxy-template; then
  npm run --silent build:haproxy-template
fi
