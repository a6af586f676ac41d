# shellcheck shell=bash
# Shared settings and helpers for scripts/stack.sh. Sourced, never executed.
#
# Conventions
#   * Every component (mariadb, dtm, namesrv, broker, jaeger, one per service) has
#     $PID_DIR/<comp>.pid (written by the process itself just before it execs,
#     so it is the real pid), $LOG_DIR/<comp>.log, and $PID_DIR/<comp>.sum (a
#     fingerprint of binary + config taken at start: `up` restarts a component
#     only when the fingerprint changed or it is unhealthy).
#   * A pid counts as ours only if /proc/<pid>/cmdline still looks like the
#     component (see is_comp_process); a stale pid file never makes us signal a
#     stranger that reused the pid.
#   * Every wait is a poll with a deadline; every failure ends in die(): one
#     line naming what failed and the log to read.

# ---------------------------------------------------------------- locations
P2P_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR=${P2P_RUN_DIR:-$P2P_REPO_ROOT/.run}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)          # absolute: it ends up in env files
BIN_DIR=$RUN_DIR/bin
LOG_DIR=$RUN_DIR/logs
PID_DIR=$RUN_DIR/pids
KEYS_DIR=$RUN_DIR/keys
SECRETS_FILE=$RUN_DIR/secrets.env
STACK_ENV=$RUN_DIR/stack.env
mkdir -p "$BIN_DIR" "$LOG_DIR" "$PID_DIR"

# ---------------------------------------------------------------- ports
# Port overrides given once (P2P_*_PORT=... stack.sh up) are remembered in
# stack.env, so that a later `status`/`down`/`up` without them still talks to
# the ports the stack actually runs on. An explicit env var always wins.
load_remembered_ports() {
  [[ -f $STACK_ENV ]] || return 0
  local key val
  while IFS='=' read -r key val; do
    [[ $key =~ ^P2P_[A-Z0-9_]+_PORT$ && $val =~ ^[0-9]+$ ]] || continue
    [[ -n ${!key:-} ]] && continue
    printf -v "$key" '%s' "$val"
  done <"$STACK_ENV"
  return 0
}
load_remembered_ports

P2P_MYSQL_PORT=${P2P_MYSQL_PORT:-3306}
P2P_DTM_HTTP_PORT=${P2P_DTM_HTTP_PORT:-36789}
P2P_DTM_GRPC_PORT=${P2P_DTM_GRPC_PORT:-36790}
P2P_RMQ_NAMESRV_PORT=${P2P_RMQ_NAMESRV_PORT:-9876}
# The broker also binds listenPort-2 (fast/VIP channel) and listenPort+1 (HA).
P2P_RMQ_BROKER_PORT=${P2P_RMQ_BROKER_PORT:-10911}
# Jaeger (scripts/lib/jaeger.sh): OTLP gRPC and HTTP in, the query API and UI (HTTP) and
# its gRPC twin, Jaeger's own metrics.
P2P_JAEGER_OTLP_GRPC_PORT=${P2P_JAEGER_OTLP_GRPC_PORT:-4317}
P2P_JAEGER_OTLP_HTTP_PORT=${P2P_JAEGER_OTLP_HTTP_PORT:-4318}
P2P_JAEGER_QUERY_PORT=${P2P_JAEGER_QUERY_PORT:-16686}
P2P_JAEGER_QUERY_GRPC_PORT=${P2P_JAEGER_QUERY_GRPC_PORT:-16685}
P2P_JAEGER_METRICS_PORT=${P2P_JAEGER_METRICS_PORT:-8888}

# Services in start order; each gets HTTP 80x0 / gRPC 90x0 unless overridden
# by P2P_<SERVICE>_HTTP_PORT / P2P_<SERVICE>_GRPC_PORT (e.g. P2P_USER_CENTER_HTTP_PORT).
BASE_SERVICES=(unified-account user-center trade-center repayment bank-custody)
SERVICE_DBS=(unified_account user_center trade_center repayment bank_custody)
INFRA=(mariadb dtm namesrv broker jaeger)

# Second instances (REPLICAS=2): <service>-2 runs the same binary and config as
# <service> on its ports + 5 (user-center-2 on 8025/9025), shares its database, broker
# groups and secrets, and is told apart by P2P_INSTANCE (pkg/claims). Override its
# ports with P2P_<SERVICE>_2_HTTP_PORT / _GRPC_PORT. unified-account has no background
# job and stays single here; it is stateless like the rest.
REPLICAS=${REPLICAS:-1}
[[ $REPLICAS == 1 || $REPLICAS == 2 ]] || {
  printf '!! REPLICAS must be 1 or 2 (got %s)\n' "$REPLICAS" >&2
  exit 3
}
REPLICA_SERVICES=(user-center-2 trade-center-2 repayment-2 bank-custody-2)
SERVICES=("${BASE_SERVICES[@]}" "${REPLICA_SERVICES[@]}")

svc_key() { local k=${1^^}; printf '%s' "${k//-/_}"; }   # user-center -> USER_CENTER
svc_base() { printf '%s' "${1%-2}"; }                      # user-center-2 -> user-center
svc_db() { local b; b=$(svc_base "$1"); printf '%s' "${b//-/_}"; } # user-center(-2) -> user_center
is_replica() { [[ $1 != "$(svc_base "$1")" ]]; }
# wanted COMP: whether `up` runs COMP: everything but the second instances, which
# run with REPLICAS=2 only.
wanted() { ! is_replica "$1" || ((REPLICAS == 2)); }

init_service_ports() {
  local i svc key hv gv
  for i in "${!BASE_SERVICES[@]}"; do
    svc=${BASE_SERVICES[$i]}
    key=$(svc_key "$svc")
    hv=P2P_${key}_HTTP_PORT
    gv=P2P_${key}_GRPC_PORT
    printf -v "$hv" '%s' "${!hv:-$((8010 + 10 * i))}"
    printf -v "$gv" '%s' "${!gv:-$((9010 + 10 * i))}"
  done
  for svc in "${REPLICA_SERVICES[@]}"; do
    key=$(svc_key "$svc")
    hv=P2P_${key}_HTTP_PORT
    gv=P2P_${key}_GRPC_PORT
    printf -v "$hv" '%s' "${!hv:-$(($(svc_http_port "$(svc_base "$svc")") + 5))}"
    printf -v "$gv" '%s' "${!gv:-$(($(svc_grpc_port "$(svc_base "$svc")") + 5))}"
  done
}

is_service() {
  local s
  for s in "${SERVICES[@]}"; do [[ $s == "$1" ]] && return 0; done
  return 1
}
svc_http_port() { local v; v=P2P_$(svc_key "$1")_HTTP_PORT; printf '%s' "${!v}"; }
svc_grpc_port() { local v; v=P2P_$(svc_key "$1")_GRPC_PORT; printf '%s' "${!v}"; }
init_service_ports

# comp_ports COMP: the TCP ports COMP listens on (all must be free before it starts).
comp_ports() {
  case $1 in
    mariadb) echo "$P2P_MYSQL_PORT" ;;
    dtm) echo "$P2P_DTM_HTTP_PORT $P2P_DTM_GRPC_PORT" ;;
    namesrv) echo "$P2P_RMQ_NAMESRV_PORT" ;;
    broker) echo "$P2P_RMQ_BROKER_PORT $((P2P_RMQ_BROKER_PORT - 2)) $((P2P_RMQ_BROKER_PORT + 1))" ;;
    jaeger) echo "$P2P_JAEGER_OTLP_GRPC_PORT $P2P_JAEGER_OTLP_HTTP_PORT $P2P_JAEGER_QUERY_PORT $P2P_JAEGER_QUERY_GRPC_PORT $P2P_JAEGER_METRICS_PORT" ;;
    *) echo "$(svc_http_port "$1") $(svc_grpc_port "$1")" ;;
  esac
}

# ---------------------------------------------------------------- output
say() { printf '==> %s\n' "$*"; }
warn() { printf '!! warning: %s\n' "$*" >&2; }
# die exits 3 so that the ERR trap in stack.sh can tell a reported failure
# from an unexpected one (which it reports itself).
die() {
  printf '!! %s\n' "$*" >&2
  exit 3
}
# elapsed START: seconds since START (an $EPOCHREALTIME value), one decimal.
elapsed() {
  local now=${EPOCHREALTIME//[.,]/} start=${1//[.,]/} us
  us=$((now - start))
  printf '%d.%ds' $((us / 1000000)) $((us / 100000 % 10))
}

# ---------------------------------------------------------------- checks
need_cmd() { # need_cmd CMD HINT
  command -v "$1" >/dev/null 2>&1 || die "required command '$1' not found: $2"
}

# wait_until SECONDS CMD...: poll CMD every 0.5 s; 1 when the deadline passes.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.5
  done
}

# ---------------------------------------------------------------- processes
pid_alive() { # alive and not a zombie
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/stat ]] || return 1
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}
pid_gone() { ! pid_alive "$1"; }
pid_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }
pid_argv0() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n1 || true; }

# is_comp_process PID COMP: does PID look like our COMP (not a stranger)?
is_comp_process() {
  local pid=$1 comp=$2 argv0 cmd
  pid_alive "$pid" || return 1
  argv0=$(pid_argv0 "$pid")
  cmd=$(pid_cmdline "$pid")
  case $comp in
    mariadb) [[ $argv0 == *mariadbd && $cmd == *"--defaults-file=$RUN_DIR/mariadb/my.cnf"* ]] ;;
    dtm) [[ $argv0 == "$BIN_DIR/dtm" ]] ;;
    jaeger) [[ $argv0 == "$BIN_DIR/jaeger" && $cmd == *"--config $RUN_DIR/jaeger/config.yaml"* ]] ;;
    namesrv) [[ $argv0 == *java && $cmd == *NamesrvStartup* && $cmd == *"-Duser.home=$RUN_DIR/rocketmq/namesrv "* ]] ;;
    broker) [[ $argv0 == *java && $cmd == *BrokerStartup* && $cmd == *"-Duser.home=$RUN_DIR/rocketmq/broker "* ]] ;;
    *) [[ $argv0 == "$BIN_DIR/$comp" ]] ;;
  esac
}

# comp_pid COMP: print the pid of our running COMP; 1 if it is not running.
comp_pid() {
  local pid
  pid=$(cat "$PID_DIR/$1.pid" 2>/dev/null) || return 1
  is_comp_process "$pid" "$1" || return 1
  printf '%s' "$pid"
}

# stray_pids COMP: processes that look like our COMP but are not the recorded one
# (e.g. the pid file was deleted). `down` stops them too.
stray_pids() {
  local comp=$1 recorded p
  recorded=$(cat "$PID_DIR/$comp.pid" 2>/dev/null || true)
  # Every component's command line names the run dir: one grep finds the
  # candidates, is_comp_process decides.
  for p in $(grep -laF -- "$RUN_DIR/" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    p=${p#/proc/}
    p=${p%/cmdline}
    [[ $p == "$recorded" || $p == "$$" ]] && continue
    is_comp_process "$p" "$comp" && printf '%s\n' "$p"
  done
  return 0
}

# ---------------------------------------------------------------- ports
port_in_use() { [[ -n $(ss -ltnH "sport = :$1" 2>/dev/null) ]]; }
port_pids() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true; }
port_owner() { # human description of who listens on a port
  local pids p out=""
  pids=$(port_pids "$1")
  for p in $pids; do out+="pid $p ($(cat "/proc/$p/comm" 2>/dev/null || echo '?')) "; done
  printf '%s' "${out:-an unknown process }"
}
# port_owned_by PORT PID: PID (or a thread of it) listens on PORT.
port_owned_by() { grep -qx "$2" <<<"$(port_pids "$1")"; }

# require_ports_free COMP: fail if any port COMP needs is taken by someone else.
require_ports_free() {
  local comp=$1 port
  for port in $(comp_ports "$comp"); do
    if port_in_use "$port"; then
      die "$comp: port $port is already in use by $(port_owner "$port")— stop it or choose another port (see scripts/stack.sh env for the P2P_*_PORT variables)"
    fi
  done
}

# ---------------------------------------------------------------- start/stop
# spawn COMP CWD ENVMODE CMD...: start CMD detached (own session, stdin from
# /dev/null, stdout+stderr appended to logs/COMP.log) and record its pid.
#   ENVMODE=inherit: the current environment plus SPAWN_ENV (KEY=VAL array).
#   ENVMODE=clean:   only PATH/HOME/LANG/LC_ALL/TZ/TMPDIR plus SPAWN_ENV
#                    (DTM reads every config field from env vars of generic
#                    names such as HTTP_PORT or LOG_LEVEL: keep strangers out).
# Secrets travel in SPAWN_ENV through the environment, never through argv.
SPAWN_ENV=()
spawn() {
  local comp=$1 cwd=$2 mode=$3
  shift 3
  local pidfile=$PID_DIR/$comp.pid log=$LOG_DIR/$comp.log
  rm -f "$pidfile"
  printf '\n===== %s stack.sh: starting %s =====\n' "$(date '+%F %T')" "$comp" >>"$log"
  (
    cd "$cwd" || exit 1
    exec 9>&- # the stack.sh lock (take_lock) must not outlive this script
    if [[ $mode == clean ]]; then
      for v in $(compgen -e); do
        case $v in PATH | HOME | LANG | LC_ALL | TZ | TMPDIR) ;; *) unset "$v" 2>/dev/null || true ;; esac
      done
    fi
    if ((${#SPAWN_ENV[@]})); then export "${SPAWN_ENV[@]}"; fi
    # The child writes its own pid, then execs: the pid file holds the real pid.
    # shellcheck disable=SC2016
    exec setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@"
  ) </dev/null >>"$log" 2>&1 &
  wait_until 10 test -s "$pidfile" || die "$comp: process did not start — see $log"
}

# wait_ready COMP PID SECONDS: poll COMP's health check until it passes.
# Returns 0 when healthy, 1 at the deadline, 2 as soon as PID has exited.
wait_ready() {
  local comp=$1 pid=$2 deadline=$((SECONDS + $3))
  while :; do
    pid_alive "$pid" || return 2
    comp_healthy "$comp" "$pid" && return 0
    ((SECONDS >= deadline)) && return 1
    sleep 0.5
  done
}

# expect_ready COMP PID SECONDS: wait_ready or die with a one-line reason.
expect_ready() {
  local rc=0
  wait_ready "$1" "$2" "$3" || rc=$?
  case $rc in
    0) return 0 ;;
    2) die "$1: exited during start-up — see $LOG_DIR/$1.log" ;;
    *) die "$1: not healthy after $3s (pid $2) — see $LOG_DIR/$1.log" ;;
  esac
}

# stop_pid COMP PID SECONDS: TERM, wait, then KILL; fail if it survives.
stop_pid() {
  local comp=$1 pid=$2 secs=$3
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$secs" pid_gone "$pid"; then
    warn "$comp: pid $pid ignored SIGTERM for ${secs}s — sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 pid_gone "$pid" ||
      die "$comp: pid $pid survived SIGKILL"
  fi
}

# ---------------------------------------------------------------- fingerprints
# fingerprint ARG...: one hash over the given files' contents (missing = "-");
# an argument "str:TEXT" contributes TEXT itself (ports, env given at start).
fingerprint() {
  local f
  for f in "$@"; do
    if [[ $f == str:* ]]; then
      printf '%s\n' "${f#str:}"
    elif [[ -f $f ]]; then
      sha256sum <"$f"
    else
      echo "-"
    fi
  done | sha256sum | cut -d' ' -f1
}
recorded_fingerprint() { cat "$PID_DIR/$1.sum" 2>/dev/null || true; }
record_fingerprint() { printf '%s\n' "$2" >"$PID_DIR/$1.sum"; }

# ---------------------------------------------------------------- locking
# One stack.sh changing the stack at a time (e.g. two make targets in parallel).
take_lock() {
  exec 9>"$RUN_DIR/.lock"
  flock -w 900 9 || die "another scripts/stack.sh has held $RUN_DIR/.lock for 15 minutes"
}

# ---------------------------------------------------------------- components
# Each component implements <comp>_prepare, _fingerprint, _start, _healthy PID,
# _stop PID (services: svc_<action> SVC ...). comp_call dispatches.
comp_call() {
  local comp=$1 action=$2
  shift 2
  if is_service "$comp"; then "svc_$action" "$comp" "$@"; else "${comp}_$action" "$@"; fi
}
comp_healthy() { comp_call "$1" healthy "$2"; }
ports_str() { local p; p=$(comp_ports "$1"); printf 'port %s' "${p// /,}"; }

# ensure_component COMP: make COMP run, healthy, with the current binary and
# config. A healthy COMP whose fingerprint is unchanged is left alone.
ensure_component() {
  local comp=$1 pid fp t0
  comp_call "$comp" prepare
  fp=$(comp_call "$comp" fingerprint)
  if pid=$(comp_pid "$comp"); then
    if [[ $fp == "$(recorded_fingerprint "$comp")" ]]; then
      if wait_ready "$comp" "$pid" "${P2P_RUNNING_HEALTH_GRACE:-10}"; then
        say "$comp: already running (pid $pid, $(ports_str "$comp"))"
        return 0
      fi
      say "$comp: running (pid $pid) but not healthy — restarting"
    else
      say "$comp: binary or configuration changed — restarting (pid $pid)"
    fi
    stop_component "$comp"
  fi
  require_ports_free "$comp"
  t0=$EPOCHREALTIME
  comp_call "$comp" start
  record_fingerprint "$comp" "$fp"
  say "$comp: started (pid $(comp_pid "$comp" || echo '?'), $(ports_str "$comp")) in $(elapsed "$t0")"
}

# stop_component COMP: stop the recorded process and any stray copy of it.
stop_component() {
  local comp=$1 pid t0=$EPOCHREALTIME
  if pid=$(comp_pid "$comp"); then
    comp_call "$comp" stop "$pid"
    say "$comp: stopped (pid $pid) in $(elapsed "$t0")"
  fi
  for pid in $(stray_pids "$comp"); do
    warn "$comp: stopping stray process pid $pid (not in $PID_DIR/$comp.pid)"
    comp_call "$comp" stop "$pid"
  done
  rm -f "$PID_DIR/$comp.pid" "$PID_DIR/$comp.sum"
}
