# Shared helpers for the real-cluster harness scripts (sourced, not run).
# shellcheck shell=bash

HARNESS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Prefer the tools that scripts/tools.sh put in .tools/bin.
if [[ -d "$HARNESS_ROOT/.tools/bin" ]]; then
  PATH="$HARNESS_ROOT/.tools/bin:$PATH"
fi

hlog() { printf '[%s] %s\n' "${HARNESS_NAME:-harness}" "$*"; }
hdie() { printf '[%s] ERROR: %s\n' "${HARNESS_NAME:-harness}" "$*" >&2; exit 1; }

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || hdie "$c not found: run 'npm run tools' (scripts/tools.sh) first"
  done
}

# free_port: prints a TCP port that is free on 127.0.0.1 right now (the kernel
# picks it). Another process could take it before we bind, so callers that
# start a server check that it came up.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  fi
}

# pid_alive PIDFILE: true if the file names a live process.
pid_alive() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# stop_pidfile PIDFILE NAME [TIMEOUT_S]: SIGTERM the process named in PIDFILE
# (if its command line contains NAME),
# wait for it to exit (SIGKILL after the timeout), remove the file. Only that
# PID is signalled. Safe when the file is missing or the process is gone.
stop_pidfile() {
  local file="$1" name="$2" timeout="${3:-20}" pid i
  if [[ ! -e "$file" ]]; then return 0; fi
  pid="$(cat "$file" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    # Guard against a recycled PID: only signal a process running NAME.
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name"; then
      hlog "pid $pid from $file is not $name any more; leaving it alone"
      rm -f "$file"
      return 0
    fi
    hlog "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      hlog "$name (pid $pid) did not exit in ${timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -f "$file"
}

# start_bg PIDFILE LOGFILE CMD...: start CMD detached (own session, no stdin),
# record its PID. The lock descriptors (8, 9) are closed in the child, or the
# server would hold the lock for as long as it runs.
start_bg() {
  local pidfile="$1" logfile="$2"
  shift 2
  setsid "$@" </dev/null >>"$logfile" 2>&1 8>&- 9>&- &
  echo $! >"$pidfile"
}

# take_lock FILE VAR: serialize concurrent runs (e.g. two test files calling
# cluster-up at once) with flock on FILE, on descriptor 9. VAR is exported so
# that a nested script (cluster-up calling cluster-down) does not wait on itself.
take_lock() {
  local file="$1" var="$2"
  if [[ "${!var:-}" == "$file" ]]; then return 0; fi
  exec 9>"$file"
  if ! flock -n 9; then
    hlog "waiting for another run holding $file"
    flock -w 600 9 || hdie "timed out waiting for $file"
  fi
  export "$var=$file"
}

# wait_until TIMEOUT_S DESCRIPTION PIDFILE CMD...: poll CMD every 0.25 s until it
# succeeds; fail early if the process in PIDFILE dies.
wait_until() {
  local timeout="$1" what="$2" pidfile="$3" deadline
  shift 3
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$pidfile" ]] && ! pid_alive "$pidfile"; then
      hlog "$what: process exited"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      hlog "$what: not ready after ${timeout}s"
      return 1
    fi
    sleep 0.25
  done
}

# A stable id per clone, so that two clones on one machine never share state.
clone_id() {
  printf '%s' "$HARNESS_ROOT" | sha256sum | cut -c1-12
}
