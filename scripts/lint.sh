#!/usr/bin/env bash
# make lint: gofmt, go vet and staticcheck (integration- and replicas-tagged files too),
# and shellcheck over scripts/.
# Installs what is missing: staticcheck is a pinned tool (tools/go.mod), shellcheck comes
# from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${P2P_RUN_DIR:-$PWD/.run}/tools/bin
SERVICES=(unified-account user-center trade-center repayment bank-custody)
pkgs=(./api/... ./pkg/... ./test/...)
for s in "${SERVICES[@]}"; do pkgs+=("./app/$s/..."); done
# The standard-library tool modules, outside go.work: vetted in module mode, one by one.
# (tools/dtm and tools/jaeger only pin servers; tools/ holds the generators.)
tool_mods=(tools/rmqacl tools/tracetree)

echo "==> gofmt"
unformatted=$(gofmt -l api app pkg test "${tool_mods[@]}")
if [[ -n $unformatted ]]; then
	echo "not gofmt-ed:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "==> go vet"
go vet "${pkgs[@]}"
go vet -tags integration "${pkgs[@]}"
go vet -tags replicas ./test/... # the two-instance scenarios (make test-replicas)
for m in "${tool_mods[@]}"; do (cd "$m" && GOWORK=off go vet ./...); done

echo "==> staticcheck"
if [[ ! -x $TOOLS/staticcheck ]]; then
	mkdir -p "$TOOLS"
	(cd tools && GOWORK=off GOBIN=$TOOLS go install honnef.co/go/tools/cmd/staticcheck)
fi
"$TOOLS/staticcheck" "${pkgs[@]}"
"$TOOLS/staticcheck" -tags integration "${pkgs[@]}"
"$TOOLS/staticcheck" -tags replicas ./test/...
for m in "${tool_mods[@]}"; do (cd "$m" && GOWORK=off "$TOOLS/staticcheck" ./...); done

echo "==> shellcheck"
if ! command -v shellcheck >/dev/null; then
	echo "installing shellcheck with apt-get" >&2
	(apt-get install -y shellcheck || { apt-get update && apt-get install -y shellcheck; }) >/dev/null
fi
# Entry points with -x: the libraries they source are checked in the context they run in.
shellcheck -x scripts/*.sh deploy/compose/*.sh .ci/run
