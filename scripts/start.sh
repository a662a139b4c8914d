#!/usr/bin/env bash
# npm start: brings the local stack up and prints where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/stack.sh up
bash scripts/stack.sh status
echo
echo "Clients: eval \"\$(npm run --silent stack env)\""
bash scripts/stack.sh env
