#!/usr/bin/env bash
# `make demo`: bring the local stack up (installing what is missing), show it healthy and
# walk the lending lifecycle through the public API (test/cmd/demo). Exits non-zero when a
# step does not turn out as printed.
# A stack this script started is stopped at the end unless KEEP_STACK=1.
set -euo pipefail
cd "$(dirname "$0")/.."

started=0
# "Started by us" means nothing of the stack ran before (MariaDB is its first component).
scripts/stack.sh status mariadb >/dev/null 2>&1 || started=1
if [[ $started == 1 && ${KEEP_STACK:-0} != 1 ]]; then
	trap 'echo; echo "==> stopping the stack this demo started (KEEP_STACK=1 keeps it running)"; scripts/stack.sh down' EXIT
fi

# The custody steps drive the bank's pages in headless Chromium.
P2P_CHROMIUM=$(scripts/ensure-chromium.sh)
export P2P_CHROMIUM
export ROCKETMQ_GO_LOG_LEVEL=${ROCKETMQ_GO_LOG_LEVEL:-warn}

scripts/stack.sh up
# The last step prints traces from Jaeger the way make trace does.
RUN=${P2P_RUN_DIR:-$PWD/.run}
mkdir -p "$RUN/tools/bin"
(cd tools/tracetree && GOWORK=off go build -o "$RUN/tools/bin/tracetree" .)
export P2P_TRACETREE=$RUN/tools/bin/tracetree
echo
scripts/stack.sh status
go run ./test/cmd/demo
