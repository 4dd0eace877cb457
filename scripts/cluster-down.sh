#!/usr/bin/env bash
# Stops exactly what scripts/cluster-up.sh started (`npm run cluster:down`):
# the node if one is up (scripts/lib/node.sh node_down: kube-scheduler, kubelet, every container, containerd;
# unmounts; removes the kubepods cgroups, what the node wrote outside .cluster/node, the network namespace; restores
# the sysctls the kubelet set), then kube-controller-manager, kube-apiserver and etcd, each by the PID in
# .cluster/<name>.pid, waiting for each to exit; then removes the etcd data dir
# in /dev/shm and the kubeconfig/env files. Logs and .cluster/pki are kept (the
# next cluster-up reuses the CA). Safe when nothing is up.
set -euo pipefail
export HARNESS_NAME=cluster
# shellcheck source=scripts/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"
# shellcheck source=scripts/lib/node.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"

CL="$HARNESS_ROOT/.cluster"
DATA="/dev/shm/ecr-anywhere-$(clone_id)"
mkdir -p "$CL"
take_lock "$CL/.lock" ECR_ANYWHERE_CLUSTER_LOCK

stopped=0
if [[ -d "$NODE_STATE" || -e "$NODE_NETNS_PATH" ]]; then
  node_down
  stopped=1
fi
for name in kube-controller-manager kube-apiserver etcd; do
  if [[ -e "$CL/$name.pid" ]]; then
    stop_pidfile "$CL/$name.pid" "$name" 30
    stopped=1
  fi
done
((stopped)) || hlog "nothing running"
node_netns_down
rm -rf "$DATA"
rm -f "$CL/kubeconfig" "$CL/kcm.kubeconfig" "$CL/env" "$CL/cluster.json" "$CL/mode" \
  "$CL/apiserver.addr" "$CL/etcd.port" "$CL/kcm.port"
hlog "down (removed $DATA)"
