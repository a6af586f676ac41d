// rmqacl provisions the RocketMQ broker's ACL 2.0 users, permissions and topics
// (scripts/lib/rocketmq.sh runs it after every broker start). Standard library only;
// its own module, outside go.work. Build by hand:
//   cd tools/rmqacl && GOWORK=off go build -o /tmp/rmqacl .
module github.com/p2p-dtx/p2p-dtx/tools/rmqacl

go 1.26
