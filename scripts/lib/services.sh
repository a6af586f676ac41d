# shellcheck shell=bash
# The five Go services, built from this workspace and run from the repo root, and
# their second instances (REPLICAS=2; <service>-2, see common.sh): same binary, config,
# database and secrets as <service>, their own ports and P2P_INSTANCE.

svc_cmd_dir() { local b; b=$(svc_base "$1"); printf '%s' "$P2P_REPO_ROOT/app/$b/cmd/$b"; }
svc_conf() { local b; b=$(svc_base "$1"); printf '%s' "app/$b/configs/local.yaml"; } # relative to the repo root
svc_present() { [[ -d $(svc_cmd_dir "$1") ]]; }

# Built into a staging file under bin/.build that no process runs: go skips
# the link when that file is already up to date, so an unchanged tree costs
# almost nothing. The binary the service runs is replaced (new inode, by
# rename) only when the staged one differs; an unchanged binary keeps its
# fingerprint and the running service is left alone.
svc_build() {
  local svc=$1 log=$LOG_DIR/$1-build.log t0=$EPOCHREALTIME stage=$BIN_DIR/.build/$1
  if is_replica "$svc"; then
    # A copy of its service's binary under its own name: is_comp_process tells the
    # instances apart by argv[0].
    svc_build "$(svc_base "$svc")"
    if ! cmp -s "$BIN_DIR/$(svc_base "$svc")" "$BIN_DIR/$svc"; then
      cp "$BIN_DIR/$(svc_base "$svc")" "$BIN_DIR/$svc.tmp"
      mv -f "$BIN_DIR/$svc.tmp" "$BIN_DIR/$svc"
    fi
    return 0
  fi
  need_cmd go "install Go (see README)"
  mkdir -p "$BIN_DIR/.build"
  : >"$log"
  (cd "$P2P_REPO_ROOT" && timeout 900 go build -o "$stage" "./app/$svc/cmd/$svc") >>"$log" 2>&1 ||
    die "$svc: go build ./app/$svc/cmd/$svc failed — see $log"
  if ! cmp -s "$stage" "$BIN_DIR/$svc"; then
    cp "$stage" "$BIN_DIR/$svc.tmp"
    mv -f "$BIN_DIR/$svc.tmp" "$BIN_DIR/$svc"
    say "$svc: built $BIN_DIR/$svc ($(elapsed "$t0"))"
  fi
}

svc_prepare() {
  [[ -f $P2P_REPO_ROOT/$(svc_conf "$1") ]] || die "$1: config $(svc_conf "$1") not found"
  [[ ${P2P_TRACE_SAMPLE_RATIO:-1} =~ ^(0|1|0?\.[0-9]+|1\.0*)$ ]] ||
    die "$1: P2P_TRACE_SAMPLE_RATIO must be a fraction from 0 to 1 (got '$P2P_TRACE_SAMPLE_RATIO')"
  svc_build "$1"
}

# svc_tuning SVC: settings a service takes from the caller's environment (one KEY=VAL a
# line); part of its fingerprint, so `make up` with another value restarts it.
#   P2P_BCRYPT_COST         user-center's bcrypt cost, 4..14 (default 10; make test uses 4)
#   P2P_TRACE_SAMPLE_RATIO  every service: the fraction of new traces it samples, 0..1
#                           (default 1: locally every request is traced; 0 turns it off)
svc_tuning() {
  case $(svc_base "$1") in
    user-center) echo "P2P_BCRYPT_COST=${P2P_BCRYPT_COST:-10}" ;;
  esac
  echo "P2P_TRACE_SAMPLE_RATIO=${P2P_TRACE_SAMPLE_RATIO:-1}"
}

svc_fingerprint() {
  local svc=$1
  fingerprint "$BIN_DIR/$svc" "$P2P_REPO_ROOT/$(svc_conf "$svc")" "$STACK_ENV" \
    "str:$(secret "P2P_DB_PASSWORD_$(svc_key "$(svc_base "$svc")")") $(secret P2P_TOKEN_SECRET) $(secret P2P_ADMIN_PASSWORD) $(secret P2P_BRANCH_KEY) $(svc_mq_env "$svc")" \
    "str:$(svc_tuning "$svc")"
}

svc_healthy() {
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(svc_http_port "$1")/healthz" 2>/dev/null
}

# svc_dtm SVC: whether the service starts or serves DTM transactions (and so holds the
# branch key); the bank does not.
svc_dtm() { [[ $(svc_base "$1") != bank-custody ]]; }

# svc_mq_env SVC: the broker account (scripts/lib/rocketmq.sh) and message signing key of
# the services that use RocketMQ: trade-center and repayment share TP_START_REPAYMENT's
# key, the bank has its own for TP_BANK_NOTIFY.
svc_mq_env() {
  local key svc
  svc=$(svc_base "$1")
  case $svc in
    trade-center | repayment) key=P2P_MQ_SIGNING_KEY ;;
    bank-custody) key=P2P_BANK_MQ_SIGNING_KEY ;;
    *) return 0 ;;
  esac
  printf '%s\n' "P2P_RMQ_ACCESS_KEY=$svc" "P2P_RMQ_SECRET_KEY=$(secret "P2P_RMQ_SECRET_$(svc_key "$svc")")" \
    "P2P_MQ_SIGNING_KEY=$(secret "$key")"
}

# svc_env SVC: what one service gets on top of stack.env (one KEY=VAL a line).
# Each service sees only its own DB password; only the DTM services the branch key.
# Tracing: P2P_OTLP_ENDPOINT (the stack's Jaeger, OTLP gRPC) and P2P_JAEGER_QUERY_URL
# come with stack.env, P2P_TRACE_SAMPLE_RATIO with svc_tuning.
svc_env() {
  local svc=$1 key
  key=$(svc_key "$(svc_base "$svc")")
  printf '%s\n' \
    "P2P_SERVICE=$(svc_base "$svc")" \
    "P2P_INSTANCE=$svc" \
    "P2P_HTTP_PORT=$(svc_http_port "$svc")" \
    "P2P_GRPC_PORT=$(svc_grpc_port "$svc")" \
    "P2P_DB_NAME=$(svc_db "$svc")" \
    "P2P_DB_USER=$(svc_db "$svc")" \
    "P2P_DB_PASSWORD=$(secret "P2P_DB_PASSWORD_$key")" \
    "P2P_TOKEN_SECRET=$(secret P2P_TOKEN_SECRET)" \
    "P2P_ADMIN_PASSWORD=$(secret P2P_ADMIN_PASSWORD)" \
    "P2P_OPERATOR_TOKEN=$(secret P2P_OPERATOR_TOKEN)" \
    "ROCKETMQ_GO_LOG_LEVEL=${ROCKETMQ_GO_LOG_LEVEL:-warn}"
  if svc_dtm "$svc"; then printf 'P2P_BRANCH_KEY=%s\n' "$(secret P2P_BRANCH_KEY)"; fi
  svc_mq_env "$svc"
  svc_tuning "$svc"
}

svc_start() {
  local svc=$1 line
  SPAWN_ENV=()
  while IFS= read -r line; do
    [[ $line == *=* && $line != \#* ]] && SPAWN_ENV+=("$line")
  done < <(cat "$STACK_ENV"; svc_env "$svc")
  spawn "$svc" "$P2P_REPO_ROOT" inherit "$BIN_DIR/$svc" -conf "$(svc_conf "$svc")"
  SPAWN_ENV=()
  expect_ready "$svc" "$(cat "$PID_DIR/$svc.pid")" "${P2P_SERVICE_START_TIMEOUT:-30}"
}

svc_stop() { stop_pid "$1" "$2" 15; }
