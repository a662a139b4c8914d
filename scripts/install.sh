#!/usr/bin/env bash
# Installs the project's npm dependencies from the lock file, and builds dist/ (the provider and the CLI),
# each when missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# The CLI (bin/capd-temporal.js) runs the build; a source newer than the last build makes it stale.
built=dist/cli-bundle/capd-temporal.js
if [ ! -f "$built" ] ||
  [ -n "$(find src tsconfig.json tsconfig.build.json package-lock.json scripts/bundle-cli.mjs -newer "$built" -print -quit)" ]; then
  npm run --silent build
fi
