# shellcheck shell=bash
# Sourced by scripts: brings the local stack up unless KUBECONFIG and TEMPORAL_ADDRESS point elsewhere, and
# fills with the stack's values only what the environment leaves unset.
use_local_stack() {
  [ -n "${KUBECONFIG:-}" ] && [ -n "${TEMPORAL_ADDRESS:-}" ] && return 0
  bash scripts/stack.sh up
  local name value
  while IFS='=' read -r name value; do
    name=${name#export }
    if [ "$name" = PATH ]; then eval "export PATH=$value"; continue; fi # kubectl and clusterctl first
    [ -n "${!name:-}" ] || export "$name=$value"
  done < <(bash scripts/stack.sh env)
}
