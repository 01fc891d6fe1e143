// Command etcd runs the etcd server from the upstream etcdmain package, built from the Go module proxy
// so that the e2e harness needs no prebuilt download.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
