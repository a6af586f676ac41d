#!/usr/bin/env bash
# make bench-register: registrations/s of p2p-dtx's TCC and XA against the same schemes
# done the bare-DTM way (the peer) and a one-database baseline, on the running stack.
#
#   CLIENTS=16 DURATION=20s   load of each mode
#   HASH_COST=4               run user-center with that bcrypt cost for the benchmark (the
#                             baseline and the peer hash at the same cost), then restart it
#                             with the cost it had before
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${P2P_RUN_DIR:-$PWD/.run}
# shellcheck disable=SC1091
source "$RUN/stack.env"

running_cost() {
	local pid
	pid=$(cat "$RUN/pids/user-center.pid")
	tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^P2P_BCRYPT_COST=//p'
}

prev=$(running_cost)
prev=${prev:-10}
cost=${HASH_COST:-$prev}
if [[ $cost != "$prev" ]]; then
	trap 'echo "==> user-center back to bcrypt cost $prev"; P2P_BCRYPT_COST=$prev scripts/stack.sh restart user-center >/dev/null' EXIT
	echo "==> user-center with bcrypt cost $cost for the benchmark (was $prev)"
	P2P_BCRYPT_COST=$cost scripts/stack.sh restart user-center >/dev/null
fi
go run ./test/cmd/bench-register -clients "${CLIENTS:-16}" -duration "${DURATION:-20s}" -cost "$cost" \
	-repo . -user-center "$P2P_USER_CENTER_HTTP" -mysql "$P2P_MYSQL_ADDR" -dtm "$P2P_DTM_HTTP" \
	-socket "$P2P_MYSQL_SOCKET"
