#!/usr/bin/env bash
# The test entry points behind `make test`, `make test-unit` and `make test-acceptance`.
#
#   scripts/test.sh all                 unit tests, lint and gen-check, then the stack
#                                       (started if it is not running) and every
#                                       acceptance test
#   scripts/test.sh unit                unit tests only; no stack needed
#   scripts/test.sh acceptance [regex]  acceptance tests (optionally -run regex) against
#                                       the stack, starting it if needed
#   scripts/test.sh replicas            the two-instance scenarios (REPLICAS=2), starting
#                                       the stack if needed; `all` runs them last
#
# A stack this script started is stopped again when it ends (KEEP_STACK=1 keeps it); a
# stack that was already running is left running.
set -euo pipefail
cd "$(dirname "$0")/.."

# rocketmq-client-go complains about an empty level on every start.
export ROCKETMQ_GO_LOG_LEVEL=${ROCKETMQ_GO_LOG_LEVEL:-warn}
# A cheap password hash, so the registration load test loads the transaction path rather
# than bcrypt (TestRegistrationStaysAtomicUnderLoad). The stack keeps it after the tests;
# a plain `make up` puts user-center back to the default cost 10.
export P2P_BCRYPT_COST=${P2P_BCRYPT_COST:-4}

SERVICES=(unified-account user-center trade-center repayment bank-custody)

# Flags of every go test below; `all` adds -vet=off, since its lint step runs go vet over
# every package (integration-tagged files too) anyway.
TEST_FLAGS=(-count=1)

# Unit tests: every module but test/. Packages are named per module because ./... does
# not cross module boundaries in a workspace.
unit() {
	local pkgs=(./api/... ./pkg/... ./test/layout)
	for s in "${SERVICES[@]}"; do pkgs+=("./app/$s/..."); done
	echo "==> unit tests"
	go test "${TEST_FLAGS[@]}" "${pkgs[@]}"
	# Tool modules outside go.work, each in module mode.
	echo "==> unit tests of tools/tracetree"
	(cd tools/tracetree && GOWORK=off go test "${TEST_FLAGS[@]}" ./...)
	echo "==> compose configs agree with the local ones"
	deploy/compose/check-configs.sh
}

# Repository tests (build tag integration) and the black-box scenarios in test/, against
# the running stack.
acceptance() {
	local run=${1:-}
	start_stack
	# up also rebuilds the services and restarts the ones whose binary changed, so the
	# tests always run against the code in this tree.
	scripts/stack.sh up

	# The custody scenarios drive the bank's pages in a real headless Chromium.
	P2P_CHROMIUM=$(scripts/ensure-chromium.sh)
	export P2P_CHROMIUM

	echo "==> repository tests against MariaDB"
	repository_tests "${run:-.}"

	echo "==> acceptance tests against the stack"
	# -p 1: scenarios share the stack's fault points, so packages run one at a time;
	# tests inside a package use t.Parallel where they can.
	go test "${TEST_FLAGS[@]}" -p 1 -timeout 20m -run "${run:-.}" ./test/...

	[[ -n $run ]] || { port_override && replicas; }
}

# start_stack: remember whether this run starts the stack, and stop it at exit if so.
start_stack() {
	local started=0
	# "Started by us" means nothing of the stack ran before (MariaDB is its first
	# component): a partly running stack belongs to someone and is left running.
	if ! scripts/stack.sh status mariadb >/dev/null 2>&1; then
		started=1
	fi
	if [[ $started == 1 && ${KEEP_STACK:-0} != 1 ]]; then
		trap 'echo "==> stopping the stack this test run started"; scripts/stack.sh down' EXIT
	fi
}

# Two instances of user-center, trade-center, repayment and the bank (REPLICAS=2), every
# request of the tests spread over both (P2P_SPREAD=1, test/stack/spread.go): the
# scenarios that arm no fault point — fault points belong to one process, and a request
# spread to the other instance would not hit them — plus TestReplicasShareTheRequests,
# which checks that both instances of each service served their share. The stack goes
# back to one instance each afterwards.
# One -run pattern per go test: -run splits a pattern into levels at every "/", so
# patterns for the subtests of several tests cannot share one.
REPLICA_RUNS=(
	'TestReplicas|TestCustody(AccountOpens|DuplicateNotifications|ForgedAndReplayed|RechargeAgrees|MismatchedPasswords)'
	'TestLending/(custody|WholePath|RetriedTender|ConcurrentTenders|BadRequests)'
	'TestRepayment/(EveryPeriod|TwoRunsAtOnce|RunsNeedTheAdmin)'
	'TestRefund/(RejectedLoan|CollectionDeadline|ATenderRacing)'
)
replicas() {
	echo "==> two instances of each service (REPLICAS=2), requests spread over both"
	REPLICAS=2 scripts/stack.sh up | grep -E -- '-2: |up: done' || true
	[[ -n ${P2P_CHROMIUM:-} ]] || { P2P_CHROMIUM=$(scripts/ensure-chromium.sh); export P2P_CHROMIUM; }
	local rc=0 run
	for run in "${REPLICA_RUNS[@]}"; do
		P2P_SPREAD=1 go test "${TEST_FLAGS[@]}" -p 1 -timeout 15m -tags replicas -run "$run" ./test/ || rc=$?
	done
	echo "==> back to one instance each"
	scripts/stack.sh up >/dev/null
	return "$rc"
}

# A port override reaches every caller: the bank moves to other ports, the services that
# call it (user-center, trade-center) and the browser's form follow through stack.env,
# and the smoke and custody scenarios pass against it. The ports go back afterwards.
port_override() {
	local env_file=${P2P_RUN_DIR:-.run}/stack.env http grpc
	http=$(sed -n 's/^P2P_BANK_CUSTODY_HTTP_PORT=//p' "$env_file")
	grpc=$(sed -n 's/^P2P_BANK_CUSTODY_GRPC_PORT=//p' "$env_file")
	echo "==> port override: the bank on 18050/19050 instead of $http/$grpc"
	P2P_BANK_CUSTODY_HTTP_PORT=18050 P2P_BANK_CUSTODY_GRPC_PORT=19050 scripts/stack.sh up >/dev/null
	local rc=0
	go test "${TEST_FLAGS[@]}" -p 1 -timeout 10m \
		-run 'TestSmoke|TestCustodyAccountOpensThroughTheBankPage|TestCustodyRechargeAgreesWithTheBank' ./test/ || rc=$?
	echo "==> port override: the bank back on $http/$grpc"
	P2P_BANK_CUSTODY_HTTP_PORT=$http P2P_BANK_CUSTODY_GRPC_PORT=$grpc scripts/stack.sh up >/dev/null
	return "$rc"
}

# Each service's repository tests log in as that service's own database user.
repository_tests() {
	local run=$1 s db var
	# shellcheck disable=SC1090,SC1091
	source "${P2P_RUN_DIR:-.run}/secrets.env"
	# shellcheck disable=SC1090,SC1091
	source "${P2P_RUN_DIR:-.run}/stack.env"
	for s in "${SERVICES[@]}"; do
		db=${s//-/_}
		var="P2P_DB_PASSWORD_${db^^}"
		P2P_TEST_MYSQL_ADDR=$P2P_MYSQL_ADDR P2P_TEST_DB_USER=$db P2P_TEST_DB_PASSWORD=${!var} \
			go test "${TEST_FLAGS[@]}" -tags integration -run "$run" "./app/$s/internal/data"
	done
	# Row claims of the background jobs, on a service database that has job_claim.
	P2P_TEST_MYSQL_ADDR=$P2P_MYSQL_ADDR P2P_TEST_DB_USER=trade_center \
		P2P_TEST_DB_PASSWORD=$P2P_DB_PASSWORD_TRADE_CENTER \
		go test "${TEST_FLAGS[@]}" -tags integration -run "$run" ./pkg/claims
	# The XA branch runner, with a participant's own login (XA and the barrier table).
	P2P_TEST_MYSQL_ADDR=$P2P_MYSQL_ADDR P2P_TEST_DB_USER=unified_account \
		P2P_TEST_DB_PASSWORD=$P2P_DB_PASSWORD_UNIFIED_ACCOUNT \
		go test "${TEST_FLAGS[@]}" -tags integration -run "$run" ./pkg/dtmx
}

# The habits CI holds the code to: lint (gofmt, vet, staticcheck, shellcheck) and
# generated code that is what the generators make from the committed sources.
habits() {
	echo "==> lint"
	scripts/lint.sh
	echo "==> generated code is reproducible"
	make --no-print-directory gen-check
}

case ${1:-all} in
unit) unit ;;
acceptance) shift; acceptance "${1:-}" ;;
replicas) start_stack; scripts/stack.sh up; replicas ;;
all)
	TEST_FLAGS+=(-vet=off)
	# DTM's and Jaeger's first builds take minutes: they run while the unit tests do.
	prebuild_log=${P2P_RUN_DIR:-.run}/logs/prebuild.log
	mkdir -p "$(dirname "$prebuild_log")"
	echo "==> building DTM and Jaeger in the background (log: $prebuild_log)"
	scripts/stack.sh prebuild >"$prebuild_log" 2>&1 &
	prebuild=$!
	# So do the code generators gen-check needs (buf alone takes minutes from cold).
	tools_log=${P2P_RUN_DIR:-.run}/logs/tools.log
	make --no-print-directory tools >"$tools_log" 2>&1 &
	tools=$!
	trap 'kill "$prebuild" "$tools" 2>/dev/null || true' EXIT
	unit
	wait "$tools" || { tail -5 "$tools_log"; echo "!! make tools failed — see $tools_log" >&2; exit 1; }
	habits
	wait "$prebuild" || { tail -5 "$prebuild_log"; echo "!! prebuild failed — see $prebuild_log" >&2; exit 1; }
	trap - EXIT
	grep -h '^==> ' "$prebuild_log" || true
	acceptance
	;;
*) echo "usage: $0 all|unit|acceptance [regex]|replicas" >&2; exit 2 ;;
esac
