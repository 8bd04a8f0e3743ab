// Command etcd is the upstream etcd server, built from the go.etcd.io/etcd/server/v3
// Go module for kubeiam's end-to-end tests (Debian's etcd-server is older than the
// minimum the pinned Kubernetes release supports); see docs/e2e.md.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
