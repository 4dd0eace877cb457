#!/usr/bin/env bash
# Builds, with buildah and without Docker, the images the real node runs (`npm run cluster:up -- --node` calls it):
#
#   ecr-anywhere.tar  the project image from the UNCHANGED Dockerfile (`buildah bud --pull=never`), on the local
#                     base images of scripts/node-bases.sh tagged with the Dockerfile's own FROM names
#   test-image.tar    a tiny private image standing in for the seed's `test:<sha>` (a static pause binary as its
#                     entrypoint, so the seed's Pod keeps Running) plus a marker file
#   pause.tar         the node's sandbox image (docker-archive, imported into containerd, never pulled)
#
# The first two are oci-archives that the tests push into their own registry under an ECR-shaped name. Outputs go to
# <repo>/.node/images/ with a .key file each (hash of their inputs): an unchanged input set is not rebuilt. buildah's
# own storage is <repo>/.node/buildah (--layers: an unchanged package-lock.json reuses the `npm ci` layer).
#
# RUN steps use the host network (npm ci reaches the npm registry). This workplace's egress re-signs TLS, so the host's
# /etc/ssl/certs is mounted read-only into every RUN step and the build base's NODE_EXTRA_CA_CERTS points at it.
# runc, not crun: crun refuses this VM's hybrid cgroup layout. runc's state and buildah's CNI directory are kept under
# .node/buildah, so nothing is left in /run/runc or /etc/cni.
set -euo pipefail
export HARNESS_NAME=node-image
# shellcheck source=scripts/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"
need buildah runc sha256sum

NODE_DIR="$HARNESS_ROOT/.node"
IMAGES="$NODE_DIR/images"
STORE="$NODE_DIR/buildah"
mkdir -p "$IMAGES" "$STORE"
take_lock "$NODE_DIR/.image.lock" ECR_ANYWHERE_NODE_IMAGE_LOCK
BASES="$(bash "$HARNESS_ROOT/scripts/node-bases.sh")"
export BUILDAH_RUNTIME=/usr/bin/runc BUILDAH_ISOLATION=oci
# Our own policy and registries files: nothing is ever pulled (--pull=never), short names resolve to docker.io.
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$STORE/policy.json"
printf 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n' >"$STORE/registries.conf"
export CONTAINERS_REGISTRIES_CONF="$STORE/registries.conf"
B=(buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver overlay)
HOST_CERTS=/etc/ssl/certs
CA_IN_BUILD=/etc/ssl/host-certs/ca-certificates.crt

# key_of FILE...: 16 hex of the files' paths and contents.
key_of() { (cd "$HARNESS_ROOT" && for f in "$@"; do printf '%s\n' "$f"; cat "$f"; done) | sha256sum | cut -c1-16; }
fresh() { [[ -s "$IMAGES/$1" && "$(cat "$IMAGES/$1.key" 2>/dev/null)" == "$2" ]]; }

# ------------------------------------------------------------------ base images under the Dockerfile's FROM names
node_major="$(sed -n 's/^ARG NODE_MAJOR=\([0-9]*\).*/\1/p' "$HARNESS_ROOT/Dockerfile")"
[[ -n "$node_major" ]] || hdie "cannot read ARG NODE_MAJOR from the Dockerfile"
mapfile -t froms < <(awk '$1 == "FROM" && $2 !~ /^build$/ {print $2}' "$HARNESS_ROOT/Dockerfile" | sed "s/\${NODE_MAJOR}/$node_major/g" | sort -u)
((${#froms[@]} == 2)) || hdie "expected two base images in the Dockerfile, found: ${froms[*]}"
import_base() { # import_base TARBALL NAME ENV...
  local tarball="$1" name="$2" ctr
  shift 2
  ctr="$("${B[@]}" from --pull=never scratch)"
  "${B[@]}" add --quiet "$ctr" "$tarball" / >/dev/null
  local cfg=(--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  for e in "$@"; do cfg+=(--env "$e"); done
  "${B[@]}" config "${cfg[@]}" --os linux --arch amd64 "$ctr"
  "${B[@]}" commit --quiet --rm "$ctr" "$name" >/dev/null
}
bases_key="$(basename "$BASES")"
if [[ "$(cat "$STORE/bases.key" 2>/dev/null)" != "$bases_key" ]]; then
  for name in "${froms[@]}"; do
    case "$name" in
      gcr.io/distroless/*) hlog "importing $BASES/runtime.tar as $name"; import_base "$BASES/runtime.tar" "$name" ;;
      *) hlog "importing $BASES/build.tar as $name"; import_base "$BASES/build.tar" "$name" "NODE_EXTRA_CA_CERTS=$CA_IN_BUILD" ;;
    esac
  done
  echo "$bases_key" >"$STORE/bases.key"
fi

# ------------------------------------------------------------------ the project image
mapfile -t inputs < <(cd "$HARNESS_ROOT" && { printf '%s\n' Dockerfile package.json package-lock.json tsconfig.json; find src build -type f; } | LC_ALL=C sort)
project_key="$(key_of "${inputs[@]}")-$bases_key"
if fresh ecr-anywhere.tar "$project_key"; then
  hlog "ecr-anywhere image: cached ($IMAGES/ecr-anywhere.tar)"
else
  hlog "buildah bud --pull=never of the unchanged Dockerfile"
  t0=$SECONDS
  "${B[@]}" bud --quiet --pull=never --layers --network host --cni-config-dir "$STORE/cni" --runtime-flag "root=$STORE/runc" \
    --volume "$HOST_CERTS:/etc/ssl/host-certs:ro" \
    -f "$HARNESS_ROOT/Dockerfile" -t localhost/ecr-anywhere:node "$HARNESS_ROOT" >/dev/null
  rm -f "$IMAGES/ecr-anywhere.tar"
  "${B[@]}" push --quiet --signature-policy "$STORE/policy.json" localhost/ecr-anywhere:node "oci-archive:$IMAGES/ecr-anywhere.tar:node"
  echo "$project_key" >"$IMAGES/ecr-anywhere.tar.key"
  hlog "ecr-anywhere image built in $((SECONDS - t0)) s ($(du -h "$IMAGES/ecr-anywhere.tar" | cut -f1))"
fi

# ------------------------------------------------------------------ the pause and test images
small_image() { # small_image ARCHIVE TRANSPORT NAME MARKER
  local ctr
  ctr="$("${B[@]}" from --pull=never scratch)"
  "${B[@]}" copy --quiet "$ctr" "$BASES/pause" /pause >/dev/null
  if [[ -n "$4" ]]; then
    printf '%s\n' "$4" >"$STORE/marker.txt"
    "${B[@]}" copy --quiet "$ctr" "$STORE/marker.txt" /ecr-anywhere-test.txt >/dev/null
  fi
  "${B[@]}" config --entrypoint '["/pause"]' --cmd '' --user 65532:65532 --os linux --arch amd64 "$ctr"
  "${B[@]}" commit --quiet --rm "$ctr" "$3" >/dev/null
  rm -f "$IMAGES/$1"
  "${B[@]}" push --quiet --signature-policy "$STORE/policy.json" "$3" "$2:$IMAGES/$1:$3"
  echo "$bases_key" >"$IMAGES/$1.key"
}
PAUSE_IMAGE=registry.k8s.io/pause:3.10
fresh pause.tar "$bases_key" || { hlog "pause image $PAUSE_IMAGE"; small_image pause.tar docker-archive "$PAUSE_IMAGE" ""; }
fresh test-image.tar "$bases_key" || { hlog "test image"; small_image test-image.tar oci-archive localhost/ecr-anywhere-test:node "ecr-anywhere private test image"; }
printf '%s\n' "$PAUSE_IMAGE" >"$IMAGES/pause.name"
hlog "images ready in $IMAGES"
