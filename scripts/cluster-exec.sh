#!/usr/bin/env bash
# Runs a command against the harness cluster (`npm run cluster:exec -- CMD...`), with KUBECONFIG set and .tools/bin
# on PATH: inside the node's network namespace when `cluster:up -- --node` is up (the only place its API server,
# registry and Pods are reachable), on the host otherwise. Example: npm run cluster:exec -- kubectl get pods -A
set -euo pipefail
export HARNESS_NAME=cluster
# shellcheck source=scripts/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"
# shellcheck source=scripts/lib/node.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"
(($#)) || hdie "usage: cluster-exec.sh CMD [ARG...]"
CL="$HARNESS_ROOT/.cluster"
[[ -s "$CL/kubeconfig" ]] || hdie "no cluster is up: npm run cluster:up [-- --node]"
export KUBECONFIG="$CL/kubeconfig" PATH="$HARNESS_ROOT/.tools/bin:$PATH"
if node_mode_up; then
  export ECR_ANYWHERE_NODE_NETNS="$NODE_NETNS"
  if ! node_in_netns; then
    [[ -e "$NODE_NETNS_PATH" ]] || hdie "the node's network namespace $NODE_NETNS is gone: npm run cluster:down, then up again"
    exec nsenter --net="$NODE_NETNS_PATH" "$@"
  fi
fi
exec "$@"
