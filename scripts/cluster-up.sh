#!/usr/bin/env bash
# Starts a real, minimal Kubernetes control plane on loopback for the e2e tests
# (`npm run cluster:up`): etcd (Debian) + kube-apiserver + kube-controller-manager
# (built by scripts/tools.sh). There is no kubelet, scheduler or kube-proxy: Pods
# are stored but never run; Deployments/Jobs do not create Pods.
#
#   etcd            data in /dev/shm/ecr-anywhere-<hash of the clone path>
#   kube-apiserver  https://127.0.0.1:<free port>, RBAC (Node,RBAC), default
#                   admission plugins (PodSecurity, ServiceAccount, ... on),
#                   service-account signing keys, --endpoint-reconciler-type=none
#   kube-controller-manager  (if built) the controllers an apiserver-only cluster
#                   lacks for our tests: namespace (namespace deletion finishes),
#                   serviceaccount (a `default` ServiceAccount in every namespace),
#                   serviceaccount-token, garbagecollector (ownerReferences),
#                   clusterrole-aggregation (admin/edit/view), root-ca-cert-publisher.
#                   Without it (ECR_ANYWHERE_SKIP_KCM=1 at build time) a deleted
#                   namespace stays Terminating, no `default` ServiceAccount is
#                   created and nothing is garbage-collected.
#
# Service ClusterIPs come from a LOOPBACK range (default 127.100.0.0/24, override
# with ECR_ANYWHERE_SERVICE_CIDR). Nothing routes ClusterIPs here (no kube-proxy);
# when the apiserver calls a webhook given as a Service reference it dials
# <clusterIP>:<port>, and with this range that connection stays on this machine
# (a webhook process can even listen on that 127.100.0.x address).
#
# Writes in <repo>/.cluster/:
#   kubeconfig      admin (CN=admin, O=system:masters), certificates embedded
#   env             shell: export KUBECONFIG=...; ECR_ANYWHERE_APISERVER=...; ...
#   cluster.json    the same for programs: {kubeconfig, server, caFile, serviceCIDR, webhookClientCaFile, ...}
#   pki/            ca.crt/ca.key (cluster CA), apiserver, admin, kcm certs, sa.key/sa.pub; the client
#                   certificate the API server presents to webhooks (webhook-client*, admission-config.yaml)
#   *.log, *.pid    etcd, kube-apiserver, kube-controller-manager
#
# Idempotent: if everything is already up and healthy, exits 0 at once.
# Concurrent runs of cluster-up/cluster-down are serialized (flock .cluster/.lock).
# Stop with scripts/cluster-down.sh.
set -euo pipefail
export HARNESS_NAME=cluster
# shellcheck source=scripts/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"
need etcd kube-apiserver kubectl openssl curl jq

CL="$HARNESS_ROOT/.cluster"
PKI="$CL/pki"
DATA="/dev/shm/ecr-anywhere-$(clone_id)"
SERVICE_CIDR="${ECR_ANYWHERE_SERVICE_CIDR:-127.100.0.0/24}"
READY_TIMEOUT="${ECR_ANYWHERE_READY_TIMEOUT:-90}"
KCM=1
command -v kube-controller-manager >/dev/null 2>&1 || KCM=0
mkdir -p "$CL" "$PKI"
take_lock "$CL/.lock" ECR_ANYWHERE_CLUSTER_LOCK

kc() { kubectl --kubeconfig "$CL/kubeconfig" --request-timeout=10s "$@"; }
apiserver_ready() {
  [[ -s "$CL/apiserver.addr" ]] &&
    curl -sf --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
      "https://$(cat "$CL/apiserver.addr")/readyz" | grep -qx ok
}
kcm_healthy() {
  [[ -s "$CL/kcm.port" ]] && curl -skf --max-time 5 "https://127.0.0.1:$(cat "$CL/kcm.port")/healthz" | grep -qx ok
}

# ------------------------------------------------------------------ already up?
if pid_alive "$CL/etcd.pid" && pid_alive "$CL/kube-apiserver.pid" && apiserver_ready &&
  { ((KCM == 0)) || { pid_alive "$CL/kube-controller-manager.pid" && kcm_healthy; }; }; then
  hlog "already up: https://$(cat "$CL/apiserver.addr") (KUBECONFIG=$CL/kubeconfig)"
  exit 0
fi
if compgen -G "$CL/*.pid" >/dev/null; then
  hlog "partial or unhealthy cluster found: restarting it"
  bash "$HARNESS_ROOT/scripts/cluster-down.sh"
fi
rm -rf "$DATA"
mkdir -p "$DATA"
chmod 700 "$DATA"
t_start=$SECONDS

# ------------------------------------------------------------------ PKI
# First IP of the service range: the `kubernetes` Service's ClusterIP.
first_service_ip() {
  python3 -c 'import ipaddress,sys; print(next(ipaddress.ip_network(sys.argv[1], strict=False).hosts()))' "$1" 2>/dev/null ||
    node -e 'const [a,m]=process.argv[1].split("/");const n=a.split(".").map(Number);n[3]+=1;console.log(n.join("."))' "$1"
}
SVC_IP="$(first_service_ip "$SERVICE_CIDR")"
PKI_PARAMS="v1 $SERVICE_CIDR"
if [[ "$(cat "$PKI/params" 2>/dev/null)" != "$PKI_PARAMS" || ! -s "$PKI/ca.crt" || ! -s "$PKI/sa.key" ]]; then
  hlog "generating cluster CA, certificates and service-account keys in $PKI"
  rm -rf "$PKI"
  mkdir -p "$PKI"
  (
    umask 077
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ecr-anywhere-cluster-ca" \
      -keyout ca.key -out ca.crt \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null
    # issue NAME SUBJECT EXTENSIONS
    issue() {
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    issue apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    issue admin "/O=system:masters/CN=admin" "$client_ext"
    issue kcm "/CN=system:kube-controller-manager" "$client_ext"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 644 ca.crt apiserver.crt admin.crt kcm.crt sa.pub
  )
  echo "$PKI_PARAMS" >"$PKI/params"
fi

# ------------------------------------------------------------------ webhook client certificate
# The API server presents this certificate to every admission webhook it calls (AdmissionConfiguration ->
# kubeconfig with a `*` user), from a CA of its own, so e2e webhooks run with client authentication:
# CLIENT_CA_FILE=pki/webhook-client-ca.crt, CLIENT_ALLOWED_NAMES=$WEBHOOK_CLIENT_CN (see docs/security.md).
WEBHOOK_CLIENT_CN=kube-apiserver-webhook-client
if [[ ! -s "$PKI/webhook-client.crt" || ! -s "$PKI/webhook-client-ca.key" ]]; then
  (
    umask 077
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ecr-anywhere-webhook-client-ca" \
      -keyout webhook-client-ca.key -out webhook-client-ca.crt \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$WEBHOOK_CLIENT_CN" -keyout webhook-client.key -out webhook-client.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >webhook-client.ext
    openssl x509 -req -in webhook-client.csr -CA webhook-client-ca.crt -CAkey webhook-client-ca.key -CAcreateserial -days 3650 \
      -extfile webhook-client.ext -out webhook-client.crt 2>/dev/null
    rm -f webhook-client.csr webhook-client.ext
    chmod 644 webhook-client-ca.crt webhook-client.crt
  )
fi
cat >"$PKI/webhook-client.kubeconfig" <<EOF
apiVersion: v1
kind: Config
users:
- name: "*"
  user:
    client-certificate: $PKI/webhook-client.crt
    client-key: $PKI/webhook-client.key
EOF
cat >"$PKI/admission-config.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: MutatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: $PKI/webhook-client.kubeconfig
- name: ValidatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: $PKI/webhook-client.kubeconfig
EOF

# ------------------------------------------------------------------ etcd
ETCD_PORT="$(free_port)"
ETCD_PEER_PORT="$(free_port)"
: >"$CL/etcd.log"
hlog "starting etcd on 127.0.0.1:$ETCD_PORT (data: $DATA/etcd, log: $CL/etcd.log)"
start_bg "$CL/etcd.pid" "$CL/etcd.log" etcd \
  --name ecr-anywhere \
  --data-dir "$DATA/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "ecr-anywhere=http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster-state new \
  --quota-backend-bytes $((1024 * 1024 * 1024)) \
  --logger zap --log-outputs stderr --log-level warn
echo "$ETCD_PORT" >"$CL/etcd.port"
etcd_ok() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
if ! wait_until 30 etcd "$CL/etcd.pid" etcd_ok; then
  tail -n 30 "$CL/etcd.log" >&2 || true
  bash "$HARNESS_ROOT/scripts/cluster-down.sh" >/dev/null 2>&1 || true
  hdie "etcd did not become healthy"
fi

# ------------------------------------------------------------------ kube-apiserver
API_PORT="$(free_port)"
echo "127.0.0.1:$API_PORT" >"$CL/apiserver.addr"
: >"$CL/kube-apiserver.log"
hlog "starting kube-apiserver $(kube-apiserver --version | awk '{print $2}') on https://127.0.0.1:$API_PORT (log: $CL/kube-apiserver.log)"
start_bg "$CL/kube-apiserver.pid" "$CL/kube-apiserver.log" kube-apiserver \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 \
  --secure-port "$API_PORT" \
  --endpoint-reconciler-type none \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --authorization-mode Node,RBAC \
  --client-ca-file "$PKI/ca.crt" \
  --tls-cert-file "$PKI/apiserver.crt" \
  --tls-private-key-file "$PKI/apiserver.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" \
  --service-account-signing-key-file "$PKI/sa.key" \
  --allow-privileged=true \
  --admission-control-config-file "$PKI/admission-config.yaml" \
  --profiling=false \
  --cert-dir "$DATA/apiserver-certs" \
  --v=1

write_kubeconfig() { # write_kubeconfig FILE USER CERT KEY
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ecr-anywhere
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 <"$3")
    client-key-data: $(base64 -w0 <"$4")
contexts:
- name: ecr-anywhere
  context:
    cluster: ecr-anywhere
    user: $2
    namespace: default
current-context: ecr-anywhere
EOF
  chmod 600 "$1"
}
write_kubeconfig "$CL/kubeconfig" admin "$PKI/admin.crt" "$PKI/admin.key"
write_kubeconfig "$CL/kcm.kubeconfig" system:kube-controller-manager "$PKI/kcm.crt" "$PKI/kcm.key"

if ! wait_until "$READY_TIMEOUT" kube-apiserver "$CL/kube-apiserver.pid" apiserver_ready; then
  hlog "last lines of $CL/kube-apiserver.log:"
  tail -n 40 "$CL/kube-apiserver.log" >&2 || true
  bash "$HARNESS_ROOT/scripts/cluster-down.sh" >/dev/null 2>&1 || true
  hdie "kube-apiserver was not ready within ${READY_TIMEOUT}s"
fi
hlog "kube-apiserver ready after $((SECONDS - t_start)) s"

# ------------------------------------------------------------------ kube-controller-manager
if ((KCM)); then
  KCM_PORT="$(free_port)"
  echo "$KCM_PORT" >"$CL/kcm.port"
  : >"$CL/kube-controller-manager.log"
  hlog "starting kube-controller-manager on 127.0.0.1:$KCM_PORT (log: $CL/kube-controller-manager.log)"
  start_bg "$CL/kube-controller-manager.pid" "$CL/kube-controller-manager.log" kube-controller-manager \
    --kubeconfig "$CL/kcm.kubeconfig" \
    --authentication-kubeconfig "$CL/kcm.kubeconfig" \
    --authorization-kubeconfig "$CL/kcm.kubeconfig" \
    --bind-address 127.0.0.1 \
    --secure-port "$KCM_PORT" \
    --cert-dir "$DATA/kcm-certs" \
    --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file "$PKI/sa.key" \
    --root-ca-file "$PKI/ca.crt" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --controllers namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller \
    --concurrent-gc-syncs 5 \
    --profiling=false \
    --v=1
  if ! wait_until 60 kube-controller-manager "$CL/kube-controller-manager.pid" kcm_healthy; then
    tail -n 40 "$CL/kube-controller-manager.log" >&2 || true
    bash "$HARNESS_ROOT/scripts/cluster-down.sh" >/dev/null 2>&1 || true
    hdie "kube-controller-manager did not become healthy"
  fi
else
  hlog "kube-controller-manager not built: namespaces will not finish deleting and no default ServiceAccounts are made"
fi

# ------------------------------------------------------------------ env files
cat >"$CL/env" <<EOF
# Generated by scripts/cluster-up.sh. Source it: . .cluster/env
export KUBECONFIG='$CL/kubeconfig'
export ECR_ANYWHERE_APISERVER='https://127.0.0.1:$API_PORT'
export ECR_ANYWHERE_CLUSTER_CA='$PKI/ca.crt'
export ECR_ANYWHERE_SERVICE_CIDR='$SERVICE_CIDR'
export ECR_ANYWHERE_KCM='$KCM'
export PATH='$HARNESS_ROOT/.tools/bin':"\$PATH"
EOF
jq -n --arg kubeconfig "$CL/kubeconfig" --arg server "https://127.0.0.1:$API_PORT" \
  --arg caFile "$PKI/ca.crt" --arg caKeyFile "$PKI/ca.key" --arg serviceCIDR "$SERVICE_CIDR" \
  --arg version "$(kube-apiserver --version | awk '{print $2}')" --argjson controllerManager "$KCM" \
  --arg toolsBin "$HARNESS_ROOT/.tools/bin" --arg etcd "http://127.0.0.1:$ETCD_PORT" \
  --arg webhookClientCaFile "$PKI/webhook-client-ca.crt" --arg webhookClientCaKeyFile "$PKI/webhook-client-ca.key" \
  --arg webhookClientName "$WEBHOOK_CLIENT_CN" \
  '{kubeconfig: $kubeconfig, server: $server, caFile: $caFile, caKeyFile: $caKeyFile, serviceCIDR: $serviceCIDR,
    version: $version, controllerManager: ($controllerManager == 1), toolsBin: $toolsBin, etcd: $etcd,
    webhookClientCaFile: $webhookClientCaFile, webhookClientCaKeyFile: $webhookClientCaKeyFile, webhookClientName: $webhookClientName}' >"$CL/cluster.json"

# ------------------------------------------------------------------ smoke checks
kc get namespace default >/dev/null || hdie "namespace default is missing"
if ((KCM)); then
  # A real namespace round trip proves the namespace controller finalizes deletions,
  # and the `default` ServiceAccount proves the serviceaccount controller runs.
  probe="ecr-anywhere-probe-$$"
  kc create namespace "$probe" >/dev/null
  sa_ok() { kc -n "$probe" get serviceaccount default; }
  wait_until 30 "default ServiceAccount" "$CL/kube-controller-manager.pid" sa_ok || hdie "no default ServiceAccount was created"
  kc delete namespace "$probe" --wait=true --timeout=60s >/dev/null || hdie "namespace deletion did not finish"
else
  kc create namespace "ecr-anywhere-probe" --dry-run=server >/dev/null || hdie "cannot create a namespace"
fi
hlog "up in $((SECONDS - t_start)) s: https://127.0.0.1:$API_PORT"
hlog "use: export KUBECONFIG=$CL/kubeconfig   (or: . .cluster/env)"
