# The real node of `npm run cluster:up -- --node` (sourced by cluster-up.sh, cluster-down.sh, cluster-exec.sh after
# harness.sh; functions only, nothing runs on source). README "Local control plane" says how to use it.
#
# One network namespace made here holds everything: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# containerd, the kubelet, the tests' registry and ECR stand-in, and the tests themselves (cluster-exec.sh). It has
# no default route, so a stray connection or DNS lookup fails at once instead of leaving the machine.
#
#   lo                 127.0.0.1: the control plane and the registry
#   eca0 (veth)        NODE_IP 10.201.0.2/24, the node's InternalIP (the kubelet refuses loopback); peer eca1, no address
#   ecabr0 (bridge)    POD_GATEWAY 10.202.0.1/24, Pods 10.202.0.10-250 (CNI bridge + host-local); the address Pods
#                      reach the harness at (ECR stand-in)
#   10.203.0.0/24      the Service range, routed to the bridge; the `kubernetes` Service IP:443 is DNATed to the
#                      API server on 127.0.0.1 (route_localnet on the bridge). Service webhooks need no route: the
#                      API server runs with aggregator routing and dials the Pod IP.
#
# State: <repo>/.cluster/node/ (containerd root/state/socket, kubelet root, CNI, certs.d mirrors, logs). The host
# settings the kubelet and the runtime change outside it are recorded before start in .cluster/node/host-before and
# put back by node_down.
# shellcheck shell=bash

NODE_NETNS="ecr-anywhere-$(clone_id)"
NODE_NETNS_PATH="/run/netns/$NODE_NETNS"
NODE_STATE="$HARNESS_ROOT/.cluster/node"
NODE_NAME=ecr-anywhere-node
NODE_IP=10.201.0.2
POD_GATEWAY=10.202.0.1
POD_SUBNET=10.202.0.0/24
NODE_SERVICE_CIDR=10.203.0.0/24
NODE_SERVICE_IP=10.203.0.1
NODE_BRIDGE=ecabr0
PAUSE_NAME_FILE="$HARNESS_ROOT/.node/images/pause.name"
# Global sysctls the kubelet sets at start (pkg/kubelet/cm setupKernelTunables).
NODE_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Paths the kubelet, containerd, runc, CNI or `ip netns` write whatever their configured directories.
NODE_HOST_PATHS=(/var/lib/kubelet /var/log/containers /var/log/pods /run/containerd /run/runc /var/lib/cni /opt/containerd /etc/cni /run/netns)
NODE_CONTROLLERS=deployment-controller,replicaset-controller,job-controller,cronjob-controller,endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller,ttl-after-finished-controller,pod-garbage-collector-controller,disruption-controller,node-lifecycle-controller

node_need() { need kubelet kube-scheduler containerd containerd-shim-runc-v2 ctr runc nsenter ip iptables skopeo; }

# True inside this clone's node namespace.
node_in_netns() {
  [[ -e "$NODE_NETNS_PATH" ]] && [[ "$(stat -L -c %i /proc/self/ns/net)" == "$(stat -L -c %i "$NODE_NETNS_PATH")" ]]
}
node_mode_up() { [[ "$(cat "$HARNESS_ROOT/.cluster/mode" 2>/dev/null)" == node ]]; }

# Records what the host looks like before the node changes it (once per bring-up; down restores it).
node_record_host() {
  local f="$NODE_STATE/host-before" s p
  [[ -s "$f" ]] && return 0
  mkdir -p "$NODE_STATE"
  {
    for s in "${NODE_SYSCTLS[@]}"; do printf 'sysctl %s %s\n' "$s" "$(sysctl -n "$s")"; done
    for p in "${NODE_HOST_PATHS[@]}"; do [[ -e "$p" ]] || printf 'absent %s\n' "$p"; done
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

# Creates the namespace and its links (idempotent).
node_netns_up() {
  local in=(ip -n "$NODE_NETNS")
  [[ -e "$NODE_NETNS_PATH" ]] || ip netns add "$NODE_NETNS"
  "${in[@]}" link set lo up
  if ! "${in[@]}" link show eca0 >/dev/null 2>&1; then
    "${in[@]}" link add eca0 type veth peer name eca1
    "${in[@]}" addr add "$NODE_IP/24" dev eca0
  fi
  "${in[@]}" link set eca1 up
  "${in[@]}" link set eca0 up
  if ! "${in[@]}" link show "$NODE_BRIDGE" >/dev/null 2>&1; then
    "${in[@]}" link add "$NODE_BRIDGE" type bridge
    "${in[@]}" addr add "$POD_GATEWAY/24" dev "$NODE_BRIDGE"
  fi
  "${in[@]}" link set "$NODE_BRIDGE" up
  "${in[@]}" route replace "$NODE_SERVICE_CIDR" dev "$NODE_BRIDGE"
  nsenter --net="$NODE_NETNS_PATH" sysctl -qw "net.ipv4.conf.$NODE_BRIDGE.route_localnet=1" net.ipv4.conf.all.route_localnet=1
}

# Runs the rest of the calling script inside the namespace (mount namespace shared with the host: the kubelet's and
# containerd's mounts must see each other).
node_reexec() {
  local script="$1"
  shift
  exec nsenter --net="$NODE_NETNS_PATH" bash "$script" "$@"
}

# node_issue NAME SUBJECT EXTENSIONS: a key and certificate signed by the cluster CA in $PKI.
node_issue() {
  (
    umask 077
    cd "$PKI"
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile <(printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$3") \
      -out "$1.crt" 2>/dev/null
    rm -f "$1.csr"
    chmod 644 "$1.crt"
  )
}
node_pki() {
  [[ -s "$PKI/kubelet.crt" && -s "$PKI/scheduler.crt" ]] && return 0
  hlog "issuing node, kubelet-serving, scheduler and apiserver-kubelet-client certificates"
  node_issue kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "extendedKeyUsage=clientAuth"
  node_issue kubelet-serving "/CN=$NODE_NAME" "extendedKeyUsage=serverAuth
subjectAltName=IP:$NODE_IP,DNS:$NODE_NAME"
  node_issue scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
  node_issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
}

# The API server flags only the node needs (appended to kube-apiserver's command line in node mode).
node_apiserver_flags() {
  NODE_APISERVER_FLAGS=(
    --enable-aggregator-routing=true
    --kubelet-preferred-address-types=InternalIP
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt"
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key"
    --kubelet-certificate-authority "$PKI/ca.crt"
  )
}

node_write_configs() {
  mkdir -p "$NODE_STATE"/{containerd,kubelet,cni/net.d,cni/ipam,cni/cache,certs.d,pod-logs,volume-plugins}
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$NODE_STATE/resolv.conf"
  cat >"$NODE_STATE/containerd.toml" <<EOF
# Generated by scripts/lib/node.sh
version = 2
root = "$NODE_STATE/containerd/root"
state = "$NODE_STATE/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$NODE_STATE/containerd.sock"
[ttrpc]
  address = "$NODE_STATE/containerd.ttrpc.sock"
[debug]
  level = "info"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(cat "$PAUSE_NAME_FILE")"
  # The VM withholds CAP_SYS_RESOURCE: runc cannot set the sandbox's oom_score_adj of -998.
  restrict_oom_score_adj = true
  disable_apparmor = true
  tolerate_missing_hugetlb_controller = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
        Root = "$NODE_STATE/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_STATE/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    # One hosts.toml per ECR host (harness/node.ts writes them): the registry stand-in on 127.0.0.1.
    config_path = "$NODE_STATE/certs.d"
EOF
  cat >"$NODE_STATE/cni/net.d/10-ecr-anywhere.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "ecr-anywhere",
  "plugins": [
    {
      "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": false, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$NODE_STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_SUBNET", "rangeStart": "10.202.0.10", "rangeEnd": "10.202.0.250", "gateway": "$POD_GATEWAY"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
  cat >"$NODE_STATE/kubelet.yaml" <<EOF
# Generated by scripts/lib/node.sh
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
containerRuntimeEndpoint: unix://$NODE_STATE/containerd.sock
cgroupDriver: cgroupfs
failSwapOn: false
makeIPTablesUtilChains: false
staticPodPath: ""
resolvConf: $NODE_STATE/resolv.conf
podLogsDir: $NODE_STATE/pod-logs
volumePluginDir: $NODE_STATE/volume-plugins
clusterDomain: cluster.local
# Pods get nameserver 127.0.0.1 (their own loopback): no lookup leaves the namespace, and no MissingClusterDNS event.
clusterDNS: ["127.0.0.1"]
serializeImagePulls: false
maxPods: 40
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  write_kubeconfig "$NODE_STATE/kubelet.kubeconfig" "system:node:$NODE_NAME" "$PKI/kubelet.crt" "$PKI/kubelet.key"
  write_kubeconfig "$NODE_STATE/scheduler.kubeconfig" system:kube-scheduler "$PKI/scheduler.crt" "$PKI/scheduler.key"
}

node_containerd_ok() { ctr --address "$NODE_STATE/containerd.sock" version; }
node_kubelet_ok() { curl -sf --max-time 2 "http://127.0.0.1:$(cat "$NODE_STATE/kubelet.healthz")/healthz" | grep -qx ok; }
node_ready() {
  kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True
}
node_scheduler_ok() { curl -skf --max-time 2 "https://127.0.0.1:$(cat "$NODE_STATE/scheduler.port")/healthz" | grep -qx ok; }
node_healthy() {
  pid_alive "$NODE_STATE/containerd.pid" && pid_alive "$NODE_STATE/kubelet.pid" && pid_alive "$NODE_STATE/kube-scheduler.pid" &&
    node_scheduler_ok && node_ready
}

# Starts containerd, imports the pause image, then the kubelet and kube-scheduler; waits for the Node to be Ready.
node_start() {
  local t0=$SECONDS port
  [[ -s "$HARNESS_ROOT/.node/images/pause.tar" ]] || hdie "no pause image: scripts/node-image.sh did not run"
  # Pods reach the API server through the `kubernetes` Service IP (no kube-proxy): one DNAT rule.
  # The namespace's own table: flushing it drops only a rule of an earlier bring-up (another API server port).
  iptables -t nat -F PREROUTING
  iptables -t nat -A PREROUTING -d "$NODE_SERVICE_IP/32" -p tcp --dport 443 -j DNAT --to-destination "$(cat "$CL/apiserver.addr")"
  port="$(free_port)"
  echo "$port" >"$NODE_STATE/kubelet.healthz"
  node_write_configs "$port"

  : >"$NODE_STATE/containerd.log"
  hlog "starting containerd $(containerd --version | awk '{print $3}') (log: $NODE_STATE/containerd.log)"
  start_bg "$NODE_STATE/containerd.pid" "$NODE_STATE/containerd.log" containerd --config "$NODE_STATE/containerd.toml"
  wait_until 30 containerd "$NODE_STATE/containerd.pid" node_containerd_ok || { tail -n 30 "$NODE_STATE/containerd.log" >&2; return 1; }
  ctr --address "$NODE_STATE/containerd.sock" -n k8s.io images import "$HARNESS_ROOT/.node/images/pause.tar" >/dev/null

  : >"$NODE_STATE/kubelet.log"
  hlog "starting kubelet $(kubelet --version | awk '{print $2}') as $NODE_NAME on $NODE_IP (log: $NODE_STATE/kubelet.log)"
  start_bg "$NODE_STATE/kubelet.pid" "$NODE_STATE/kubelet.log" kubelet \
    --config "$NODE_STATE/kubelet.yaml" \
    --kubeconfig "$NODE_STATE/kubelet.kubeconfig" \
    --root-dir "$NODE_STATE/kubelet" \
    --cert-dir "$NODE_STATE/kubelet/pki" \
    --hostname-override "$NODE_NAME" \
    --node-ip "$NODE_IP" \
    --v=1

  port="$(free_port)"
  echo "$port" >"$NODE_STATE/scheduler.port"
  : >"$NODE_STATE/kube-scheduler.log"
  hlog "starting kube-scheduler on 127.0.0.1:$port (log: $NODE_STATE/kube-scheduler.log)"
  start_bg "$NODE_STATE/kube-scheduler.pid" "$NODE_STATE/kube-scheduler.log" kube-scheduler \
    --kubeconfig "$NODE_STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$NODE_STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$NODE_STATE/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$port" --leader-elect=false --profiling=false --v=1
  wait_until 60 kube-scheduler "$NODE_STATE/kube-scheduler.pid" node_scheduler_ok || { tail -n 30 "$NODE_STATE/kube-scheduler.log" >&2; return 1; }
  wait_until 60 kubelet "$NODE_STATE/kubelet.pid" node_kubelet_ok || { tail -n 40 "$NODE_STATE/kubelet.log" >&2; return 1; }
  wait_until 60 "node $NODE_NAME Ready" "$NODE_STATE/kubelet.pid" node_ready || { tail -n 40 "$NODE_STATE/kubelet.log" >&2; return 1; }
  hlog "node $NODE_NAME Ready after $((SECONDS - t0)) s"
}

node_write_info() {
  jq -n --arg netns "$NODE_NETNS" --arg name "$NODE_NAME" --arg nodeIP "$NODE_IP" --arg podGateway "$POD_GATEWAY" \
    --arg certsDir "$NODE_STATE/certs.d" --arg containerdLog "$NODE_STATE/containerd.log" --arg kubeletLog "$NODE_STATE/kubelet.log" \
    --arg containerdSocket "$NODE_STATE/containerd.sock" --arg images "$HARNESS_ROOT/.node/images" \
    '{netns: $netns, name: $name, nodeIP: $nodeIP, podGateway: $podGateway, certsDir: $certsDir, containerdLog: $containerdLog,
      kubeletLog: $kubeletLog, containerdSocket: $containerdSocket,
      images: {project: ($images + "/ecr-anywhere.tar"), test: ($images + "/test-image.tar")}}' >"$CL/node.json"
}

# ------------------------------------------------------------------ tear-down

# Kills every container task containerd runs (so no shim or container process outlives the node), by PID.
node_kill_tasks() {
  local sock="$NODE_STATE/containerd.sock" id pidfile pid i
  if pid_alive "$NODE_STATE/containerd.pid" && [[ -S "$sock" ]]; then
    for id in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for ((i = 0; i < 50; i++)); do
      ctr --address "$sock" -n k8s.io tasks ls 2>/dev/null | awk 'NR > 1 && $3 != "STOPPED"' | grep -q . || break
      sleep 0.1
    done
    for id in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io tasks delete "$id" >/dev/null 2>&1 || true
    done
  fi
  # Shims that survive (containerd gone): their PIDs are recorded under containerd's state directory.
  for pidfile in "$NODE_STATE"/containerd/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
    [[ -s "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q containerd-shim; then
      hlog "stopping leftover shim (pid $pid)"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# Unmounts everything under the node's state (Pod volumes, rootfs, sandbox shm, netns files), deepest first.
node_unmount() {
  local m i
  for ((i = 0; i < 5; i++)); do
    mapfile -t mounts < <(awk -v p="$NODE_STATE/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    ((${#mounts[@]})) || return 0
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  awk -v p="$NODE_STATE/" 'index($5, p) == 1 {found = 1} END {exit !found}' /proc/self/mountinfo && return 1
  return 0
}

# Whatever still runs in the namespace was started there by this harness or its tests (a registry, an ECR stand-in,
# a test runner): stop each by PID before the namespace goes, so nothing outlives it unreachable.
node_stop_netns_processes() {
  local ns pid i left
  ns="$(stat -L -c %i "$NODE_NETNS_PATH")"
  for ((i = 0; i < 2; i++)); do
    left=()
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
      [[ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" == "$ns" ]] && left+=("$pid")
    done
    ((${#left[@]})) || return 0
    for pid in "${left[@]}"; do
      hlog "stopping pid $pid left in $NODE_NETNS ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"
      kill "-$([[ $i == 0 ]] && echo TERM || echo KILL)" "$pid" 2>/dev/null || true
    done
    sleep 2
  done
}

# Stops the node (kube-scheduler, kubelet, every container, containerd), unmounts, removes its cgroups and restores
# the sysctls.
node_down() {
  local kind a b
  for name in kube-scheduler kubelet; do stop_pidfile "$NODE_STATE/$name.pid" "$name" 30; done
  node_kill_tasks
  stop_pidfile "$NODE_STATE/containerd.pid" containerd 30
  node_kill_tasks
  node_unmount || hdie "mounts under $NODE_STATE remain; not removing it (see /proc/self/mountinfo)"
  # Pod cgroups first, then kubepods itself: rmdir only removes empty cgroups, deepest first.
  find /sys/fs/cgroup -mindepth 2 -depth -type d \( -name 'kubepods*' -o -path '*/kubepods*/*' \) -exec rmdir {} + 2>/dev/null || true
  if [[ -s "$NODE_STATE/host-before" ]]; then
    while read -r kind a b; do
      case "$kind" in
        sysctl) [[ "$(sysctl -n "$a")" == "$b" ]] || { hlog "restoring $a=$b"; sysctl -qw "$a=$b"; } ;;
      esac
    done <"$NODE_STATE/host-before"
  fi
}

# After the control plane has stopped: deletes the namespace (unless the caller runs inside it: a restart from
# cluster-up keeps it), removes what the node wrote outside .cluster/node, then .cluster/node itself.
node_netns_down() {
  local kind a b cg
  if ! node_in_netns && [[ -e "$NODE_NETNS_PATH" ]]; then
    node_stop_netns_processes
    hlog "deleting network namespace $NODE_NETNS"
    ip netns del "$NODE_NETNS"
  fi
  if [[ -s "$NODE_STATE/host-before" ]]; then
    while read -r kind a b; do
      [[ "$kind" == absent && -e "$a" ]] || continue
      if [[ "$a" == /run/netns ]]; then
        # `ip netns add` made /run/netns a mount point; drop it once no namespace is left in it.
        [[ -n "$(ls -A /run/netns 2>/dev/null)" ]] && continue
        while mountpoint -q /run/netns; do umount /run/netns || break; done
      fi
      if awk -v p="$a/" 'index($5, p) == 1 {found = 1} END {exit !found}' /proc/self/mountinfo; then
        hlog "not removing $a: something is mounted under it"
        continue
      fi
      hlog "removing $a (made by the node)"
      rm -rf --one-file-system "$a"
    done <"$NODE_STATE/host-before"
  fi
  cg="$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name 'kubepods*' 2>/dev/null | head -n 3)"
  [[ -z "$cg" ]] || hlog "WARNING: cgroups left behind: $cg"
  # A restart from inside the namespace keeps the record of the host: the final cluster-down still needs it.
  local before=""
  node_in_netns && before="$(cat "$NODE_STATE/host-before" 2>/dev/null || true)"
  rm -rf --one-file-system "$NODE_STATE"
  if [[ -n "$before" ]]; then mkdir -p "$NODE_STATE" && printf '%s\n' "$before" >"$NODE_STATE/host-before"; fi
  rm -f "$HARNESS_ROOT/.cluster/node.json" "$HARNESS_ROOT/.cluster/mode"
}
