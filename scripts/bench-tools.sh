#!/usr/bin/env bash
# Installs the load generator the webhook benchmark uses for its fixed-rate latency run (`npm run bench` calls it).
#
#   fortio  fortio.org/fortio, built from the Go module proxy and cached OUTSIDE the clone:
#           ${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere/fortio-<v>/bin/fortio, linked as <repo>/.tools/bin/fortio
#
# Why fortio: a compiled generator that holds a fixed request rate over keep-alive connections and reports
# percentiles from its own histogram, so the measured latency is the server's rather than a Node generator's
# event loop. v1.66.0 is the newest release whose dependencies the module proxy serves in full (later ones need
# grol.io). First build about 1 minute on 2 cores; cached run: instant.
# Without Go the benchmark still runs, with its built-in Node generator (and says so).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere"
BIN="$ROOT/.tools/bin"
FORTIO_VERSION="v1.66.0"
FORTIO_DIR="$CACHE/fortio-$FORTIO_VERSION"

log() { printf '[bench-tools] %s\n' "$*"; }

mkdir -p "$BIN" "$CACHE"
if ! command -v go >/dev/null 2>&1; then
  log "go not found: the fixed-rate run falls back to the Node generator"
  exit 0
fi
stamp="fortio $FORTIO_VERSION $(go env GOVERSION)"
if [[ "$(cat "$FORTIO_DIR/.stamp" 2>/dev/null)" != "$stamp" || ! -x "$FORTIO_DIR/bin/fortio" ]]; then
  log "fortio $FORTIO_VERSION: building"
  t0=$SECONDS
  mkdir -p "$FORTIO_DIR"
  rm -f "$FORTIO_DIR/.stamp"
  # go install @version ignores the surrounding module; run it from a neutral dir.
  (cd "$FORTIO_DIR" && GOFLAGS="" GOBIN="$FORTIO_DIR/bin" go install -trimpath -ldflags "-s -w" "fortio.org/fortio@$FORTIO_VERSION")
  printf '%s' "$stamp" >"$FORTIO_DIR/.stamp"
  log "fortio $FORTIO_VERSION: built in $((SECONDS - t0)) s"
else
  log "fortio $FORTIO_VERSION: cached ($FORTIO_DIR)"
fi
ln -sfn "$FORTIO_DIR/bin/fortio" "$BIN/fortio"
