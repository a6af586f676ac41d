// tracetree prints the traces of a DTM gid, a custody request number or a project id as
// trees, from Jaeger's HTTP query API (`make trace id=<id>`). Standard library only; its
// own module, outside go.work. Build and test by hand:
//   cd tools/tracetree && GOWORK=off go build -o /tmp/tracetree . && GOWORK=off go test .
module github.com/p2p-dtx/p2p-dtx/tools/tracetree

go 1.26
