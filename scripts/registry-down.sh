#!/usr/bin/env bash
# Stops the registry that scripts/registry-up.sh started in DIR (default
# .cluster/registry), by the PID in DIR/registry.pid, and waits for it to exit.
# Keeps DIR (certificates, storage, test image) unless --purge is given, which
# removes DIR too. Safe when nothing is up.
#
# Usage: scripts/registry-down.sh [DIR] [--purge]
set -euo pipefail
export HARNESS_NAME=registry
# shellcheck source=scripts/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"

DIR="" PURGE=0
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    *) DIR="$a" ;;
  esac
done
DIR="${DIR:-$HARNESS_ROOT/.cluster/registry}"
if [[ ! -d "$DIR" ]]; then
  hlog "nothing to stop ($DIR does not exist)"
  exit 0
fi
take_lock "$DIR/.lock" ECR_ANYWHERE_REGISTRY_LOCK
if pid_alive "$DIR/registry.pid"; then
  stop_pidfile "$DIR/registry.pid" docker-registry
else
  hlog "not running"
  rm -f "$DIR/registry.pid"
fi
rm -f "$DIR/registry.addr" "$DIR/registry.json" "$DIR/htpasswd.sha256" "$DIR/htpasswd.path"
if ((PURGE)); then
  rm -rf "$DIR"
  hlog "removed $DIR"
fi
hlog "down"
