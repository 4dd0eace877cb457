//go:build tools

// Package tools pins the Kubernetes commands that scripts/tools.sh builds for the
// real-cluster (end-to-end) tests. It is never compiled into anything: the
// build tag keeps it out of every normal build, while `go mod tidy` still sees
// the imports and records the full dependency set in go.mod/go.sum.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
