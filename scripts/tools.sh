#!/usr/bin/env bash
# Installs and builds everything the end-to-end tests need (`npm run tools`).
#
#   Debian packages (installed only when missing):
#     etcd-server      etcd 3.4, the apiserver's storage
#     docker-registry  Docker Distribution 2.8, the local OCI registry (we run it
#                      ourselves with our own config: scripts/registry-up.sh)
#     skopeo           pulls/pushes images without a container runtime
#     apache2-utils    htpasswd -B (bcrypt) for the registry's auth file
#     openssl jq curl
#   and, for the real node (`npm run cluster:up -- --node`; skipped with ECR_ANYWHERE_SKIP_NODE=1):
#     containerd runc  the container runtime (runc, not crun: crun refuses this VM's hybrid cgroup layout)
#     containernetworking-plugins  the CNI bridge/host-local/loopback plugins in /usr/lib/cni
#     buildah          builds the Dockerfile without Docker (scripts/node-image.sh)
#     mmdebstrap       Debian rootfs tarballs standing in for the Dockerfile's base images (scripts/node-bases.sh)
#     gcc libc6-dev    the node's static pause binary
#   Built from the Go module proxy, cached OUTSIDE the clone:
#     kube-apiserver, kube-controller-manager, kubectl  (tools/k8s wrapper module)
#     kubelet, kube-scheduler                           (same module set; the real node)
#     helm                                              (go install helm.sh/helm/v3)
#   From PyPI, in a virtualenv cached OUTSIDE the clone (python3 and python3-venv from Debian when missing):
#     moto_server  moto[server], the STS stand-in for web-identity sessions (harness/moto-sts.ts)
#
# Layout:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere/kubernetes-<v>-<16 hex of the stamp>/bin/{kube-apiserver,...}
#     keyed by the stamp (Go version, flags, go.mod + go.sum), so clones on different module sets share the
#     machine without rebuilding over each other's binaries
#   ${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere/node-bases-<hash>/  base rootfs tarballs + pause (node-bases.sh)
#   ${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere/helm-<v>/bin/helm
#   <repo>/.tools/bin/*  symlinks to the above and to the Debian binaries (gitignored)
#   <repo>/.tools/env    `source` it, or just prepend <repo>/.tools/bin to PATH
#
# Each cache dir holds a .stamp with a hash of its inputs (go.mod, go.sum, Go
# version, flags); a mismatch rebuilds. A cached run takes a couple of seconds.
#
# First build on this machine (2 cores, 24 GiB, Go 1.26.8, Go build cache empty):
#   kube-apiserver alone: 8 min (module download ~40 s of it);
#   kube-apiserver + kubectl + kube-controller-manager together: 15 min, with
#   another build competing for the 2 cores (KCM and kubectl add ~5 min on top of
#   the apiserver, most packages being shared).
#   helm (empty build cache; its own Kubernetes v0.37 dependencies): 4.5 min of
#   CPU, about 3 min on an idle machine (10 min wall-clock at low priority under load).
#   kubelet + kube-scheduler on top, warm Go build cache: about 4 minutes.
#   node base tarballs (mmdebstrap, deb.debian.org): about 70 s.
# Cached run: about 1 s (nothing is rebuilt; only the .tools/bin links are refreshed).
#
# Versions: Kubernetes v1.32.5 is the newest 1.32 patch for which the module proxy
# serves every staging module at the matching v0.32.N (v1.32.13 lacks
# kube-controller-manager, kube-scheduler, csi-translation-lib, cri-client at
# v0.32.13, so kube-controller-manager cannot be built there). To move, change
# tools/k8s/go.mod (require + every replace) and run `go mod tidy` in tools/k8s.
#
# Environment: ECR_ANYWHERE_SKIP_KCM=1 skips kube-controller-manager (the
# cluster then runs without it, see scripts/cluster-up.sh). ECR_ANYWHERE_SKIP_NODE=1
# skips everything only the real node needs (packages, kubelet, kube-scheduler, bases).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ecr-anywhere"
BIN="$ROOT/.tools/bin"
K8S_MOD="$ROOT/tools/k8s"
HELM_VERSION="v3.22.0"

log() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$BIN" "$CACHE"
start_all=$SECONDS
# One run at a time per machine (two clones share the cache).
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  log "waiting for another scripts/tools.sh run to finish"
  flock 9
fi

# ---------------------------------------------------------------- Debian packages
# command:package, checked in this order
APT_PKGS=(etcd:etcd-server docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils
  openssl:openssl jq:jq curl:curl)
NODE=1
[[ "${ECR_ANYWHERE_SKIP_NODE:-}" == 1 ]] && NODE=0
# An absolute path is checked as a file: the CNI plugins are not on PATH; libc.a makes gcc -static work.
NODE_APT_PKGS=(containerd:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins buildah:buildah
  mmdebstrap:mmdebstrap gcc:gcc /usr/lib/x86_64-linux-gnu/libc.a:libc6-dev iptables:iptables nsenter:util-linux)
((NODE)) && APT_PKGS+=("${NODE_APT_PKGS[@]}")
missing=()
for entry in "${APT_PKGS[@]}"; do
  cmd="${entry%%:*}"
  if command -v "$cmd" >/dev/null 2>&1 || [[ "$cmd" == /* && -e "$cmd" ]]; then
    log "$cmd: installed ($(command -v "$cmd" || echo "$cmd"))"
  else
    log "$cmd: missing (Debian package ${entry#*:})"
    missing+=("${entry#*:}")
  fi
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "apt-get not found; install manually: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) for apt-get install ${missing[*]}"
    SUDO="sudo -n"
  fi
  log "apt-get install ${missing[*]}"
  # Keep apt from starting the packaged etcd / docker-registry services: we run
  # our own instances on random loopback ports. policy-rc.d exit 101 = "don't".
  created_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  if [[ -n "$created_policy" ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  # If a service manager started them anyway, stop and disable them (best effort).
  for svc in etcd docker-registry; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      log "stopping packaged service $svc"
      $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
  done
fi
LINKED=(etcd docker-registry skopeo htpasswd openssl jq curl)
((NODE)) && LINKED+=(containerd containerd-shim-runc-v2 ctr runc buildah)
for cmd in "${LINKED[@]}"; do
  # Resolve symlinks, so that a PATH already holding .tools/bin cannot make a link to itself.
  p="$(command -v "$cmd" || true)"
  [[ -n "$p" ]] && p="$(readlink -f "$p" || true)"
  [[ -n "$p" && -x "$p" ]] || die "$cmd still missing after apt-get"
  ln -sfn "$p" "$BIN/$cmd"
done
log "etcd $(etcd --version 2>/dev/null | awk '/etcd Version/{print $3}'), $(docker-registry --version 2>/dev/null | awk '{print $1, $3}'), $(skopeo --version)"

# ---------------------------------------------------------------- Go builds
command -v go >/dev/null || die "go not found (Go >= 1.23 is needed; helm $HELM_VERSION needs Go >= 1.26)"
GO_VERSION="$(go env GOVERSION)"
# -mod=readonly (the default): a build never rewrites tools/k8s/go.mod or go.sum.
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
export CGO_ENABLED=0
# Never let a go.mod directive trigger a toolchain download.
export GOTOOLCHAIN=local

K8S_VERSION="$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$K8S_MOD/go.mod")"
[[ "$K8S_VERSION" =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read k8s.io/kubernetes version from $K8S_MOD/go.mod"
K8S_MINOR="${BASH_REMATCH[1]}"
# The apiserver and kubectl report this version (Helm's kubeVersion checks read it).
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR"
  K8S_LDFLAGS+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
K8S_CMDS=(kube-apiserver kubectl)
[[ "${ECR_ANYWHERE_SKIP_KCM:-}" == 1 ]] || K8S_CMDS+=(kube-controller-manager)
((NODE)) && K8S_CMDS+=(kubelet kube-scheduler)

# Inputs: Go version, flags, and go.mod's content (not its comments) + go.sum. The directory is named after the
# stamp: another clone with another go.mod builds next to this one instead of deleting it.
K8S_STAMP="$(printf '%s\n%s\n%s\n' "$GO_VERSION" "$K8S_LDFLAGS" \
  "$( (cd "$K8S_MOD" && go mod edit -json && cat go.sum) | sha256sum | cut -c1-16)")"
K8S_DIR="$CACHE/kubernetes-$K8S_VERSION-$(printf '%s' "$K8S_STAMP" | sha256sum | cut -c1-16)"
k8s_missing=()
if [[ "$(cat "$K8S_DIR/.stamp" 2>/dev/null)" != "$K8S_STAMP" ]]; then
  rm -rf "${K8S_DIR:?}/bin"
  k8s_missing=("${K8S_CMDS[@]}")
else
  for c in "${K8S_CMDS[@]}"; do [[ -x "$K8S_DIR/bin/$c" ]] || k8s_missing+=("$c"); done
fi
if ((${#k8s_missing[@]})); then
  log "kubernetes $K8S_VERSION: building ${k8s_missing[*]} (about 15 minutes the first time on 2 cores; later builds reuse Go's caches)"
  t0=$SECONDS
  # Go's build cache keeps whatever an older, unkeyed directory built: rebuilding here reuses it.
  mkdir -p "$K8S_DIR/bin"
  tmp="$(mktemp -d "$K8S_DIR/.build.XXXXXX")"
  pkgs=()
  for c in "${k8s_missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  (cd "$K8S_MOD" && go build -trimpath -ldflags "$K8S_LDFLAGS" -o "$tmp/" "${pkgs[@]}")
  for c in "${k8s_missing[@]}"; do mv -f "$tmp/$c" "$K8S_DIR/bin/$c"; done
  rmdir "$tmp"
  printf '%s' "$K8S_STAMP" >"$K8S_DIR/.stamp"
  log "kubernetes $K8S_VERSION: built in $((SECONDS - t0)) s"
else
  log "kubernetes $K8S_VERSION: cached ($K8S_DIR)"
fi
for c in "${K8S_CMDS[@]}"; do ln -sfn "$K8S_DIR/bin/$c" "$BIN/$c"; done
[[ "${ECR_ANYWHERE_SKIP_KCM:-}" == 1 ]] && rm -f "$BIN/kube-controller-manager"

HELM_DIR="$CACHE/helm-$HELM_VERSION"
HELM_STAMP="$(printf '%s\nv2\n' "$GO_VERSION")"
if [[ "$(cat "$HELM_DIR/.stamp" 2>/dev/null)" != "$HELM_STAMP" || ! -x "$HELM_DIR/bin/helm" ]]; then
  log "helm $HELM_VERSION: building (about 3 minutes the first time on 2 cores)"
  t0=$SECONDS
  mkdir -p "$HELM_DIR"
  rm -f "$HELM_DIR/.stamp"
  # Same -X flags as helm's Makefile: its version, and the default Kubernetes
  # version for `helm template`/`helm lint` (from the client-go it is built with).
  helm_gomod="$(cd "$HELM_DIR" && GOFLAGS="" go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | jq -r .GoMod)"
  client_go="$(awk '$1=="k8s.io/client-go" {print $2; exit}' "$helm_gomod")"
  [[ "$client_go" =~ ^v0\.([0-9]+)\. ]] || die "cannot read k8s.io/client-go version from $helm_gomod"
  HELM_LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    HELM_LDFLAGS+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=${BASH_REMATCH[1]}"
  done
  # go install @version ignores the surrounding module; run it from a neutral dir.
  (cd "$HELM_DIR" && GOFLAGS="" GOBIN="$HELM_DIR/bin" go install -trimpath -ldflags "$HELM_LDFLAGS" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  printf '%s' "$HELM_STAMP" >"$HELM_DIR/.stamp"
  log "helm $HELM_VERSION: built in $((SECONDS - t0)) s"
else
  log "helm $HELM_VERSION: cached ($HELM_DIR)"
fi
ln -sfn "$HELM_DIR/bin/helm" "$BIN/helm"

# ---------------------------------------------------------------- node base images
if ((NODE)); then
  bash "$ROOT/scripts/node-bases.sh" >/dev/null
fi
# ---------------------------------------------------------------- moto (PyPI)
# moto's server answers AssumeRoleWithWebIdentity honouring DurationSeconds (its Expiration follows it): the
# STS stand-in for short role sessions. A virtualenv, so the system Python is left alone.
MOTO_VERSION="5.2.5"
MOTO_DIR="$CACHE/moto-$MOTO_VERSION"
if [[ ! -x "$MOTO_DIR/bin/moto_server" || "$(cat "$MOTO_DIR/.stamp" 2>/dev/null)" != "$MOTO_VERSION" ]]; then
  # Debian ships venv (and pip inside it) separately from python3.
  if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    command -v apt-get >/dev/null || die "python3 with venv is needed for moto (the STS stand-in); install it"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo -n"
    log "installing python3 and python3-venv (Debian) for moto"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  t0=$SECONDS
  rm -rf "$MOTO_DIR"
  python3 -m venv "$MOTO_DIR" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$MOTO_DIR/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  printf '%s' "$MOTO_VERSION" >"$MOTO_DIR/.stamp"
  log "moto $MOTO_VERSION: installed in $((SECONDS - t0)) s"
else
  log "moto $MOTO_VERSION: cached ($MOTO_DIR)"
fi
ln -sfn "$MOTO_DIR/bin/moto_server" "$BIN/moto_server"

# ---------------------------------------------------------------- env file
cat >"$ROOT/.tools/env" <<EOF
# Generated by scripts/tools.sh. Source it: . .tools/env
export PATH="$BIN:\$PATH"
export ECR_ANYWHERE_K8S_VERSION="$K8S_VERSION"
export ECR_ANYWHERE_HELM_VERSION="$HELM_VERSION"
EOF

log "versions: kube-apiserver $("$BIN/kube-apiserver" --version 2>/dev/null | awk '{print $2}'), kubectl $("$BIN/kubectl" version --client -o json 2>/dev/null | jq -r .clientVersion.gitVersion), helm $("$BIN/helm" version --short 2>/dev/null)"
log "done in $((SECONDS - start_all)) s: $BIN (PATH snippet: $ROOT/.tools/env)"
