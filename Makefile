# p2p-dtx — run `make help` for the targets.
SHELL := /bin/bash
ROOT  := $(abspath .)
RUN   ?= $(ROOT)/.run
TOOLS := $(RUN)/tools/bin
SERVICES := unified-account user-center trade-center repayment bank-custody
# Go modules whose tests need no running stack (unit tests; integration tests are tagged).
UNIT_MODULES := pkg $(addprefix app/,$(SERVICES))

export P2P_RUN_DIR := $(RUN)

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

## --- run it -------------------------------------------------------------------------------

.PHONY: demo
demo: ## Start the stack (installing what is missing) and walk the whole lending lifecycle.
	@scripts/demo.sh

.PHONY: up
up: ## Start the local stack: MariaDB, DTM, RocketMQ, Jaeger and the five services (idempotent).
	@scripts/stack.sh up

.PHONY: down
down: ## Stop everything the local stack started.
	@scripts/stack.sh down

.PHONY: status
status: ## One line per component: running, pid, port, health.
	@scripts/stack.sh status

.PHONY: logs
logs: ## Last lines of every log (or svc=<component>).
	@scripts/stack.sh logs $(svc)

.PHONY: redrive
redrive: ## Send every dead-lettered message (start-repayment, the bank's notifications) back to its topic now.
	@scripts/stack.sh redrive

.PHONY: restart
restart: ## Rebuild and restart one service: make restart svc=user-center
	@test -n "$(svc)" || { echo "usage: make restart svc=<service>"; exit 2; }
	@scripts/stack.sh restart $(svc)

# Jaeger's address: P2P_JAEGER_QUERY_URL from the environment, else the run directory's
# stack.env, else tracetree's default. args= passes flags, e.g. args="-wait 30s".
.PHONY: trace
trace: ## Print the trace of a gid, requestNo or projectId as a tree: make trace id=<id>
	@test -n "$(id)" || { echo "usage: make trace id=<dtm gid | custody requestNo | project id | trace id> [args='-wait 30s']"; exit 2; }
	@mkdir -p $(TOOLS)
	@cd tools/tracetree && GOWORK=off go build -o $(TOOLS)/tracetree .
	@url=$${P2P_JAEGER_QUERY_URL:-$$(sed -n 's/^P2P_JAEGER_QUERY_URL=//p' $(RUN)/stack.env 2>/dev/null)}; \
	P2P_JAEGER_QUERY_URL=$$url $(TOOLS)/tracetree $(args) -- '$(id)'

## --- test ---------------------------------------------------------------------------------

.PHONY: test
test: ## Everything: unit tests, lint, gen-check, then the stack (started if needed) and every acceptance test.
	@scripts/test.sh all

.PHONY: test-unit
test-unit: ## Unit tests of pkg/, the services and tools/tracetree; needs no stack.
	@scripts/test.sh unit

.PHONY: test-replicas
test-replicas: ## Two instances of each service (REPLICAS=2), the custody, lending and repayment scenarios spread over both.
	@scripts/test.sh replicas

.PHONY: test-acceptance
test-acceptance: ## Acceptance tests against the running stack: make test-acceptance run=TestSmoke
	@scripts/test.sh acceptance $(run)

## --- build and generate -------------------------------------------------------------------

.PHONY: build
build: ## Build the five services into .run/bin (workspace mode: name each module, ./app/... fails).
	@for s in $(SERVICES); do go build -o $(RUN)/bin/$$s ./app/$$s/cmd/$$s || exit 1; done

.PHONY: tools
tools: ## Build the pinned code generators (tools/go.mod) into .run/tools/bin.
	@mkdir -p $(TOOLS)
	@cd tools && GOWORK=off GOBIN=$(TOOLS) go install tool

.PHONY: gen
gen: tools ## Regenerate all generated code: protos (buf), ent and wire.
	PATH=$(TOOLS):$$PATH buf generate
	@for s in $(SERVICES); do \
		echo "ent  app/$$s"; \
		(cd app/$$s/internal/data && GOWORK=off GOFLAGS=-mod=mod $(TOOLS)/ent generate \
			--feature sql/lock,sql/upsert,sql/execquery,sql/modifier ./ent/schema) || exit 1; \
		echo "wire app/$$s"; \
		(cd app/$$s/cmd/$$s && GOWORK=off $(TOOLS)/wire gen . >/dev/null) || exit 1; \
	done

.PHONY: gen-check
gen-check: ## Fail when regenerating changes anything (in a clean clone: differs from what is committed).
	@before=$$(git status --porcelain -- api app pkg; git diff -- api app pkg | sha256sum); \
	$(MAKE) --no-print-directory gen >$(RUN)/gen-check.log 2>&1 || { tail -20 $(RUN)/gen-check.log; exit 1; }; \
	after=$$(git status --porcelain -- api app pkg; git diff -- api app pkg | sha256sum); \
	[ "$$before" = "$$after" ] || { git status --short -- api app pkg; echo "generated code is stale: run make gen and commit"; exit 1; }

.PHONY: third-party
third-party: ## Copy the vendored protos again from the pinned Kratos module.
	@k=$$(go list -m -f '{{.Dir}}' github.com/go-kratos/kratos/v2)/third_party; \
	install -m 644 $$k/google/api/annotations.proto $$k/google/api/http.proto third_party/google/api/; \
	install -m 644 $$k/errors/errors.proto third_party/errors/

.PHONY: tidy
tidy: ## go mod tidy in every module.
	@for m in api pkg test tools tools/rmqacl tools/tracetree $(addprefix app/,$(SERVICES)); do (cd $$m && GOWORK=off go mod tidy) || exit 1; done

.PHONY: lint
lint: ## gofmt, go vet, staticcheck and shellcheck (installs the last two if missing).
	@scripts/lint.sh

## --- measure ------------------------------------------------------------------------------

.PHONY: bench-register
bench-register: up ## Registrations/s, p50/p99: TCC and XA vs the bare-DTM peer and a baseline (HASH_COST=4 for a cheap hash).
	@scripts/bench-register.sh

.PHONY: bench-repay
bench-repay: up ## One repayment run over a 1,000-tender installment: wall time, installments/s, receivable rows/s.
	@go run ./test/cmd/bench-repay -tenders $${TENDERS:-1000} -periods $${PERIODS:-12}

.PHONY: bench-plan
bench-plan: up ## Full-loan approval → complete plan (1,000 tenders × 36 periods) and the consumer's rows/s.
	@go run ./test/cmd/bench-plan -tenders $${TENDERS:-1000} -periods $${PERIODS:-36} -run-dir $(RUN)

.PHONY: bench-tender
bench-tender: up ## Tenders/s on one hot project at 16 and then 64 clients (5,000 tenders each), with the exactness checks.
	@go run ./test/cmd/bench-tender -tenders $${TENDERS:-5000} -clients $${CLIENTS:-16} -then-clients $${THEN_CLIENTS:-64} -run-dir $(RUN)
