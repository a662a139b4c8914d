#!/usr/bin/env bash
# Makes Debian's Chromium available at /usr/bin/chromium for the tests that open the Temporal Web UI in a
# headless browser (Playwright drives it; no browser is downloaded). Idempotent: does nothing when it is
# already there. Runs as root, as on every machine of this project.
set -euo pipefail

[ -x /usr/bin/chromium ] && exit 0

echo "install-chromium: installing Debian's chromium" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1 ||
  { cat "$log" >&2; echo "install-chromium: apt-get install chromium failed" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "install-chromium: chromium installed, but /usr/bin/chromium is missing" >&2; exit 1; }
