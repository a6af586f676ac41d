#!/usr/bin/env bash
# make bench-register: registrations/s of p2p-dtx's TCC and XA against the same schemes
# done the bare-DTM way (the peer) and a one-database baseline, on the running stack; then
# p2p-dtx's rows again with tracing off, to show what tracing costs.
#
#   CLIENTS=16 DURATION=20s   load of each mode
#   HASH_COST=4               run user-center with that bcrypt cost for the benchmark (the
#                             baseline and the peer hash at the same cost)
#
# user-center and unified-account run the traced rows with every trace recorded
# (P2P_TRACE_SAMPLE_RATIO=1) and the untraced rows with none (0); afterwards both are
# restarted with the cost and ratio they had before.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${P2P_RUN_DIR:-$PWD/.run}
# shellcheck disable=SC1091
source "$RUN/stack.env"

# running_env SVC VAR: VAR in the environment of the running SVC ("" when unset).
running_env() {
	local pid
	pid=$(cat "$RUN/pids/$1.pid")
	tr '\0' '\n' <"/proc/$pid/environ" | sed -n "s/^$2=//p"
}

prev_cost=$(running_env user-center P2P_BCRYPT_COST)
prev_cost=${prev_cost:-10}
prev_ratio=$(running_env user-center P2P_TRACE_SAMPLE_RATIO)
prev_ratio=${prev_ratio:-1}
cost=${HASH_COST:-$prev_cost}
services=(user-center unified-account)

restart_with() { # restart_with COST RATIO
	P2P_BCRYPT_COST=$1 P2P_TRACE_SAMPLE_RATIO=$2 scripts/stack.sh restart "${services[@]}" >/dev/null
}
trap 'echo "==> ${services[*]} back to bcrypt cost $prev_cost, trace sample ratio $prev_ratio"; restart_with "$prev_cost" "$prev_ratio"' EXIT
echo "==> ${services[*]} with bcrypt cost $cost and every trace recorded (was cost $prev_cost, ratio $prev_ratio)"
restart_with "$cost" 1
go run ./test/cmd/bench-register -clients "${CLIENTS:-16}" -duration "${DURATION:-20s}" -cost "$cost" \
	-repo . -user-center "$P2P_USER_CENTER_HTTP" -mysql "$P2P_MYSQL_ADDR" -dtm "$P2P_DTM_HTTP" \
	-socket "$P2P_MYSQL_SOCKET" \
	-untraced "P2P_BCRYPT_COST=$cost P2P_TRACE_SAMPLE_RATIO=0 scripts/stack.sh restart ${services[*]} >/dev/null"
