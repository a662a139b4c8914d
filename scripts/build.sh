#!/usr/bin/env bash
# Builds dist/ (the provider and the CLI's bundle, `npm run build`; the HAProxy template renderer, `npm run
# build:haproxy-template`) when it is missing or a source is newer than the last build: the CLI
# (bin/capd-temporal.js) runs the build, never the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
built=dist/cli-bundle/capd-temporal.mjs
renderer=dist/haproxy-template
if [ ! -f "$built" ] ||
  [ -n "$(find src tsconfig.json tsconfig.build.json package-lock.json scripts/bundle-cli.mjs -newer "$built" -print -quit)" ]; then
  npm run --silent build
fi
if [ ! -f "$renderer" ] || [ -n "$(find src/haproxy-template -newer "$renderer" -print -quit)" ]; then
  npm run --silent build:haproxy-template
fi
