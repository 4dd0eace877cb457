#!/usr/bin/env bash
# Builds the local stand-ins for the Dockerfile's base images and the node's pause binary, cached OUTSIDE the clone
# (called by scripts/tools.sh; scripts/node-image.sh imports them into buildah). The official bases
# (node:24-bookworm-slim, gcr.io/distroless/nodejs24-debian12) are not reachable here, so these are Debian rootfs
# tarballs made by mmdebstrap from Debian's own packages:
#
#   build.tar    trixie minbase + nodejs + npm + ca-certificates: the Dockerfile's build stage
#                (bookworm's nodejs 18 is older than package.json's engines >=20.11; trixie has 20.19)
#   runtime.tar  trixie essential + nodejs, /nodejs/bin/node linked to Debian's binary, user nonroot (65532):
#                the Dockerfile's distroless runtime stage
#   pause        a static pause binary (gcc), the node's sandbox image (scripts/node-image.sh wraps it)
#
# Layout: ${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere/node-bases-<16 hex of this file>/ ; a changed recipe is a new
# directory (older ones stay until removed by hand), .done marks a complete set.
# Cold: ~40 s + ~22 s of mmdebstrap on 2 cores, 385 MB + 211 MB; cached: instant.
# Prints the directory on stdout (logs go to stderr).
set -euo pipefail
export HARNESS_NAME=node-bases
# shellcheck source=scripts/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"
need mmdebstrap gcc sha256sum

SUITE=trixie
MIRROR="${ECR_ANYWHERE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere"
KEY="$(sha256sum <"${BASH_SOURCE[0]}" | cut -c1-16)"
OUT="$CACHE/node-bases-$KEY"

if [[ -e "$OUT/.done" ]]; then
  hlog "cached: $OUT" >&2
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
t0=$SECONDS

# Both rootfs: no docs, man pages or locales (the official slim images drop them too), fixed timestamps.
SLIM=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --aptopt='Acquire::Languages "none"' --skip=cleanup/reproducible)
export SOURCE_DATE_EPOCH=1700000000

if [[ ! -s "$OUT/build.tar" ]]; then
  hlog "mmdebstrap $SUITE build base (nodejs, npm, ca-certificates)" >&2
  mmdebstrap --quiet --variant=minbase --include=nodejs,npm,ca-certificates "${SLIM[@]}" \
    "$SUITE" "$OUT/build.tar.tmp" "$MIRROR" >&2
  mv "$OUT/build.tar.tmp" "$OUT/build.tar"
fi

if [[ ! -s "$OUT/runtime.tar" ]]; then
  hlog "mmdebstrap $SUITE runtime base (nodejs, /nodejs/bin/node, nonroot 65532)" >&2
  mmdebstrap --quiet --variant=essential --include=nodejs "${SLIM[@]}" \
    --customize-hook='mkdir -p "$1/nodejs/bin" && ln -sf /usr/bin/node "$1/nodejs/bin/node"' \
    --customize-hook='echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" >>"$1/etc/passwd"' \
    --customize-hook='echo "nonroot:x:65532:" >>"$1/etc/group" && mkdir -p "$1/home/nonroot" && chown 65532:65532 "$1/home/nonroot"' \
    --customize-hook='rm -rf "$1/var/lib/apt/lists"/* "$1/var/cache/apt"/*' \
    "$SUITE" "$OUT/runtime.tar.tmp" "$MIRROR" >&2
  mv "$OUT/runtime.tar.tmp" "$OUT/runtime.tar"
fi

# The sandbox ("pause") process: holds the Pod's namespaces, reaps zombies, exits on SIGINT/SIGTERM.
hlog "gcc -static pause" >&2
src="$(mktemp --suffix=.c)"
trap 'rm -f "$src"' EXIT
cat >"$src" <<'EOF'
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction term = {.sa_handler = stop}, child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &term, NULL);
  sigaction(SIGTERM, &term, NULL);
  sigaction(SIGCHLD, &child, NULL);
  for (;;) pause();
}
EOF
gcc -static -Os -s -o "$OUT/pause" "$src"

touch "$OUT/.done"
hlog "built in $((SECONDS - t0)) s: $OUT ($(du -sh "$OUT" | cut -f1))" >&2
echo "$OUT"
