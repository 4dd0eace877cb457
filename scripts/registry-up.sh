#!/usr/bin/env bash
# Starts a local OCI registry (Debian's Docker Distribution, /usr/bin/docker-registry)
# on a free 127.0.0.1 port, with TLS from a CA made here and htpasswd (bcrypt)
# basic auth, then pushes a tiny test image into it (built by hand as an OCI
# layout: no Docker) and checks that the right password can read it and a wrong
# one cannot.
#
# Usage:  [env...] scripts/registry-up.sh [DIR]        (DIR defaults to .cluster/registry)
#
# Environment (all optional):
#   REGISTRY_HTPASSWD  htpasswd file to serve (bcrypt entries: `htpasswd -nbB USER PW`).
#                      Default: DIR/htpasswd, made for REGISTRY_USER/REGISTRY_PASSWORD.
#   REGISTRY_USER      user for the generated file and the test push (default AWS,
#                      as in ECR's docker credentials)
#   REGISTRY_PASSWORD  password for the generated file and the test push. Default:
#                      random, written to DIR/password. Required with REGISTRY_HTPASSWD
#                      unless REGISTRY_SKIP_PUSH=1.
#   REGISTRY_IMAGE     repository:tag of the test image (default ecr-anywhere/test:v1)
#   REGISTRY_SKIP_PUSH=1  start the registry only
#   REGISTRY_ANONYMOUS=1  no auth at all: anyone may pull and push (a public source
#                      registry for the mirror tests); the htpasswd settings are ignored
#
# Produces in DIR:
#   registry.addr   HOST:PORT, e.g. 127.0.0.1:40123
#   registry.pid    the registry's PID (scripts/registry-down.sh DIR stops it)
#   ca.crt          CA that signed the registry's certificate (trust it for https)
#   certs/ca.crt    the same, as a skopeo/containers cert dir: --cert-dir=DIR/certs
#   policy.json     an accept-anything containers policy: skopeo --policy DIR/policy.json
#   image.ref       ADDR/REPO:TAG of the pushed test image; image.digest its manifest digest
#   env             shell snippet: REGISTRY_ADDR, REGISTRY_CA_FILE, REGISTRY_CERT_DIR, ...
#   registry.json   the same for programs: {addr, caFile, certDir, policy, user, image, digest, pid}
#   registry.log, config.yml, storage/
#
# Docker Distribution reads the htpasswd file ONCE, at start. To change who may
# log in, rewrite the file and run this script again: it restarts the registry
# when the file's content differs from the one it was started with (storage is
# kept). Otherwise, if the registry is already up and healthy, this is a no-op
# apart from re-checking the test image.
set -euo pipefail
export HARNESS_NAME=registry
# shellcheck source=scripts/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"
need docker-registry skopeo openssl htpasswd jq curl sha256sum tar gzip

DIR="${1:-$HARNESS_ROOT/.cluster/registry}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
take_lock "$DIR/.lock" ECR_ANYWHERE_REGISTRY_LOCK
USER_NAME="${REGISTRY_USER:-AWS}"
IMAGE="${REGISTRY_IMAGE:-ecr-anywhere/test:v1}"

# ------------------------------------------------------------------ credentials
ANONYMOUS="${REGISTRY_ANONYMOUS:-0}"
if [[ "$ANONYMOUS" == 1 ]]; then
  HTPASSWD="$DIR/htpasswd"
  PASSWORD=""
  : >"$HTPASSWD"
elif [[ -n "${REGISTRY_HTPASSWD:-}" ]]; then
  [[ -s "$REGISTRY_HTPASSWD" ]] || hdie "REGISTRY_HTPASSWD=$REGISTRY_HTPASSWD is missing or empty"
  HTPASSWD="$(cd "$(dirname "$REGISTRY_HTPASSWD")" && pwd)/$(basename "$REGISTRY_HTPASSWD")"
  PASSWORD="${REGISTRY_PASSWORD:-}"
  if [[ -z "$PASSWORD" && "${REGISTRY_SKIP_PUSH:-}" != 1 ]]; then
    hdie "REGISTRY_PASSWORD is needed to push the test image (or set REGISTRY_SKIP_PUSH=1)"
  fi
else
  HTPASSWD="$DIR/htpasswd"
  if [[ -n "${REGISTRY_PASSWORD:-}" ]]; then
    PASSWORD="$REGISTRY_PASSWORD"
  elif [[ -s "$DIR/password" ]]; then
    PASSWORD="$(cat "$DIR/password")"
  else
    PASSWORD="$(openssl rand -hex 24)"
  fi
  (umask 077 && printf '%s' "$PASSWORD" >"$DIR/password")
  # Rewrite only when the password changed, so a re-run does not restart the registry.
  if ! [[ -s "$HTPASSWD" ]] || ! htpasswd -vbB "$HTPASSWD" "$USER_NAME" "$PASSWORD" >/dev/null 2>&1; then
    (umask 077 && htpasswd -cbB "$HTPASSWD" "$USER_NAME" "$PASSWORD" 2>/dev/null)
  fi
fi
HT_SUM="$(sha256sum <"$HTPASSWD" | cut -c1-64)"
[[ "$ANONYMOUS" == 1 ]] && HT_SUM="anonymous"

# ------------------------------------------------------------------ already up?
# An authenticating registry answers /v2/ with 401, an anonymous one with 200.
HEALTHY_CODE=401
[[ "$ANONYMOUS" == 1 ]] && HEALTHY_CODE=200
healthy() { [[ -s "$DIR/registry.addr" ]] && curl -s -o /dev/null --cacert "$DIR/ca.crt" -w '%{http_code}' "https://$(cat "$DIR/registry.addr")/v2/" | grep -qx "$HEALTHY_CODE"; }
restart=1
if pid_alive "$DIR/registry.pid" && healthy; then
  if [[ "$(cat "$DIR/htpasswd.sha256" 2>/dev/null)" == "$HT_SUM" && "$(cat "$DIR/htpasswd.path" 2>/dev/null)" == "$HTPASSWD" ]]; then
    hlog "already up at $(cat "$DIR/registry.addr") (pid $(cat "$DIR/registry.pid"))"
    restart=0
  else
    hlog "htpasswd changed: restarting (Docker Distribution reads it only at start)"
  fi
fi

if ((restart)); then
  stop_pidfile "$DIR/registry.pid" docker-registry
  rm -f "$DIR/registry.addr"

  # ---------------------------------------------------------------- TLS
  if ! [[ -s "$DIR/ca.crt" && -s "$DIR/tls.crt" && -s "$DIR/tls.key" ]]; then
    hlog "generating CA and serving certificate for 127.0.0.1/localhost"
    (
      umask 077
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ecr-anywhere test registry CA" \
        -keyout "$DIR/ca.key" -out "$DIR/ca.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$DIR/tls.key" -out "$DIR/tls.csr" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$DIR/tls.ext"
      openssl x509 -req -in "$DIR/tls.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
        -days 3650 -extfile "$DIR/tls.ext" -out "$DIR/tls.crt" 2>/dev/null
      rm -f "$DIR/tls.csr" "$DIR/tls.ext"
    )
    chmod 644 "$DIR/ca.crt" "$DIR/tls.crt"
  fi
  mkdir -p "$DIR/certs" "$DIR/storage"
  cp "$DIR/ca.crt" "$DIR/certs/ca.crt"
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$DIR/policy.json"

  # ---------------------------------------------------------------- config + start
  started=0
  # Reuse the previous port when it is free, so that a restart (e.g. after the
  # htpasswd file changed) keeps the address that callers already hold.
  prev_port="$(cat "$DIR/registry.port" 2>/dev/null || true)"
  for attempt in 1 2 3; do
    if [[ $attempt == 1 && "$prev_port" =~ ^[0-9]+$ ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$prev_port") 2>/dev/null; then
      PORT="$prev_port"
    else
      PORT="$(free_port)"
    fi
    AUTH_BLOCK="auth:
  htpasswd:
    realm: ecr-anywhere-test
    path: $HTPASSWD"
    [[ "$ANONYMOUS" == 1 ]] && AUTH_BLOCK=""
    cat >"$DIR/config.yml" <<EOF
# Generated by scripts/registry-up.sh
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$PORT
  secret: $(openssl rand -hex 16)
  tls:
    certificate: $DIR/tls.crt
    key: $DIR/tls.key
  headers:
    X-Content-Type-Options: [nosniff]
$AUTH_BLOCK
EOF
    : >"$DIR/registry.log"
    hlog "starting docker-registry on 127.0.0.1:$PORT (log: $DIR/registry.log)"
    start_bg "$DIR/registry.pid" "$DIR/registry.log" docker-registry serve "$DIR/config.yml"
    echo "127.0.0.1:$PORT" >"$DIR/registry.addr"
    echo "$PORT" >"$DIR/registry.port"
    if wait_until 30 "docker-registry" "$DIR/registry.pid" healthy; then
      started=1
      break
    fi
    tail -n 20 "$DIR/registry.log" >&2 || true
    stop_pidfile "$DIR/registry.pid" docker-registry
    rm -f "$DIR/registry.addr"
    hlog "attempt $attempt failed; retrying with another port"
  done
  ((started)) || hdie "docker-registry did not start"
  printf '%s' "$HT_SUM" >"$DIR/htpasswd.sha256"
  printf '%s' "$HTPASSWD" >"$DIR/htpasswd.path"
fi
ADDR="$(cat "$DIR/registry.addr")"

cat >"$DIR/env" <<EOF
# Generated by scripts/registry-up.sh. Source it: . DIR/env
export REGISTRY_DIR='$DIR'
export REGISTRY_ADDR='$ADDR'
export REGISTRY_CA_FILE='$DIR/ca.crt'
export REGISTRY_CERT_DIR='$DIR/certs'
export REGISTRY_POLICY='$DIR/policy.json'
export REGISTRY_USER='$USER_NAME'
export REGISTRY_HTPASSWD_FILE='$HTPASSWD'
export REGISTRY_IMAGE_REF='$ADDR/$IMAGE'
EOF
write_json() { # the same facts for programs: DIR/registry.json
  jq -n --arg dir "$DIR" --arg addr "$ADDR" --arg caFile "$DIR/ca.crt" --arg certDir "$DIR/certs" \
    --arg policy "$DIR/policy.json" --arg user "$USER_NAME" --arg htpasswd "$HTPASSWD" \
    --arg image "$ADDR/$IMAGE" --arg digest "${1:-}" --arg pid "$(cat "$DIR/registry.pid")" \
    '{dir: $dir, addr: $addr, caFile: $caFile, certDir: $certDir, policy: $policy, user: $user,
      htpasswd: $htpasswd, image: $image, digest: (if $digest == "" then null else $digest end),
      pid: ($pid | tonumber)}' >"$DIR/registry.json"
}
write_json

[[ "${REGISTRY_SKIP_PUSH:-}" == 1 ]] && { hlog "ready at $ADDR (no test image pushed)"; exit 0; }

# ------------------------------------------------------------------ test image
# A one-layer OCI image holding /ecr-anywhere.txt, built deterministically
# (fixed mtimes/owners, gzip -n), so its digest is the same on every machine.
OCI="$DIR/oci-image"
if ! [[ -s "$OCI/index.json" ]]; then
  hlog "building test image as an OCI layout in $OCI"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/rootfs" "$OCI.tmp/blobs/sha256"
  printf 'ecr-anywhere test image\n' >"$work/rootfs/ecr-anywhere.txt"
  chmod 644 "$work/rootfs/ecr-anywhere.txt"
  tar --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "$work/rootfs" -cf "$work/layer.tar" ecr-anywhere.txt
  gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"
  diff_id="sha256:$(sha256sum <"$work/layer.tar" | cut -c1-64)"
  blob() { # blob FILE -> prints "digest size", stores it
    local d s
    d="$(sha256sum <"$1" | cut -c1-64)"
    s="$(stat -c %s "$1")"
    cp "$1" "$OCI.tmp/blobs/sha256/$d"
    echo "sha256:$d $s"
  }
  read -r layer_digest layer_size < <(blob "$work/layer.tar.gz")
  jq -cn --arg diff "$diff_id" '{
      architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
      config: {Cmd: ["/ecr-anywhere.txt"]},
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created: "1970-01-01T00:00:00Z", created_by: "scripts/registry-up.sh"}]
    }' | tr -d '\n' >"$work/config.json"
  read -r config_digest config_size < <(blob "$work/config.json")
  jq -cn --arg cd "$config_digest" --argjson cs "$config_size" --arg ld "$layer_digest" --argjson ls "$layer_size" '{
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $ld, size: $ls}]
    }' | tr -d '\n' >"$work/manifest.json"
  read -r manifest_digest manifest_size < <(blob "$work/manifest.json")
  jq -cn --arg md "$manifest_digest" --argjson ms "$manifest_size" '{
      schemaVersion: 2,
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
                   annotations: {"org.opencontainers.image.ref.name": "v1"}}]
    }' >"$OCI.tmp/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}\n' >"$OCI.tmp/oci-layout"
  rm -rf "$OCI"
  mv "$OCI.tmp" "$OCI"
fi

SK=(skopeo --policy "$DIR/policy.json")
if [[ "$ANONYMOUS" == 1 ]]; then
  hlog "pushing test image to $ADDR/$IMAGE (anonymous registry)"
  "${SK[@]}" copy --quiet --dest-cert-dir "$DIR/certs" "oci:$OCI:v1" "docker://$ADDR/$IMAGE"
  digest="$("${SK[@]}" inspect --cert-dir "$DIR/certs" "docker://$ADDR/$IMAGE" | jq -r .Digest)"
  [[ "$digest" == sha256:* ]] || hdie "skopeo inspect of the anonymous registry did not return a digest"
  echo "$ADDR/$IMAGE" >"$DIR/image.ref"
  echo "$digest" >"$DIR/image.digest"
  echo "export REGISTRY_IMAGE_DIGEST='$digest'" >>"$DIR/env"
  write_json "$digest"
  hlog "ready: $ADDR/$IMAGE@$digest (anonymous: anyone may pull and push)"
  exit 0
fi
hlog "pushing test image to $ADDR/$IMAGE"
"${SK[@]}" copy --quiet --dest-cert-dir "$DIR/certs" --dest-creds "$USER_NAME:$PASSWORD" \
  "oci:$OCI:v1" "docker://$ADDR/$IMAGE"

digest="$("${SK[@]}" inspect --cert-dir "$DIR/certs" --creds "$USER_NAME:$PASSWORD" "docker://$ADDR/$IMAGE" | jq -r .Digest)"
[[ "$digest" == sha256:* ]] || hdie "skopeo inspect with the right password did not return a digest"
if "${SK[@]}" inspect --cert-dir "$DIR/certs" --creds "$USER_NAME:wrong-$PASSWORD" "docker://$ADDR/$IMAGE" >/dev/null 2>&1; then
  hdie "the registry accepted a wrong password"
fi
if "${SK[@]}" inspect --cert-dir "$DIR/certs" "docker://$ADDR/$IMAGE" >/dev/null 2>&1; then
  hdie "the registry accepted an anonymous pull"
fi
echo "$ADDR/$IMAGE" >"$DIR/image.ref"
echo "$digest" >"$DIR/image.digest"
echo "export REGISTRY_IMAGE_DIGEST='$digest'" >>"$DIR/env"
write_json "$digest"
hlog "ready: $ADDR/$IMAGE@$digest (right password pulls, wrong password and anonymous are refused)"
hlog "env: $DIR/env"
