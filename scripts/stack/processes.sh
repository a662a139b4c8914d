# shellcheck shell=bash
# Sourced by scripts/stack.sh: the processes it owns (by pid file), waiting for them, and their loopback ports.

pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start_process() { # name cmd...
  local name=$1; shift
  mkdir -p "$RUN" "$LOGS"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

stop_process() { # name
  local name=$1 pid
  pid_alive "$name" || { rm -f "$RUN/$name.pid"; return 0; }
  pid=$(cat "$RUN/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  # Gone before this returns: a start right after must find its ports free.
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$RUN/$name.pid"
  log "stopped $name (pid $pid)"
}

wait_for() { # description seconds command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what did not become ready within ${seconds}s (logs: $LOGS)"
    sleep 0.2
  done
}

# ---- ports: free loopback ports, remembered so clients keep their addresses across restarts -----

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() { # name → prints a port, reusing the remembered one while it is free
  local name=$1 file="$STATE/ports/$1" port
  mkdir -p "$STATE/ports"
  if [ -f "$file" ] && port=$(cat "$file") && port_free "$port"; then echo "$port"; return; fi
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  echo "$port" >"$file"
  echo "$port"
}

port_of() { cat "$STATE/ports/$1" 2>/dev/null; }
