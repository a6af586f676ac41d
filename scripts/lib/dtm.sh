# shellcheck shell=bash
# DTM server, built from the version pinned in tools/dtm/go.mod (its own
# module, outside go.work) and run with the MySQL store.

DTM_TOOLS_DIR=$P2P_REPO_ROOT/tools/dtm
DTM_RUN_DIR=$RUN_DIR/dtm
DTM_CONF=$DTM_RUN_DIR/config.yml
DTM_BUILD_LOG=$LOG_DIR/dtm-build.log

# go in tools/dtm, always outside the workspace.
dtm_go() { (cd "$DTM_TOOLS_DIR" && GOWORK=off go "$@"); }

dtm_version() {
  local v
  v=$(sed -n 's#^[[:space:]]*github.com/dtm-labs/dtm[[:space:]]\{1,\}\(v[^[:space:]]*\).*#\1#p' "$DTM_TOOLS_DIR/go.mod" | head -n1)
  [[ -n $v ]] || die "dtm: github.com/dtm-labs/dtm is not required in $DTM_TOOLS_DIR/go.mod"
  printf '%s' "$v"
}

# dtm_module_dir: the module's directory in GOMODCACHE (downloaded if needed).
dtm_module_dir() {
  local dir
  need_cmd go "install Go (see README)"
  dtm_go mod download github.com/dtm-labs/dtm >>"$DTM_BUILD_LOG" 2>&1 ||
    die "dtm: go mod download github.com/dtm-labs/dtm failed — see $DTM_BUILD_LOG"
  dir=$(dtm_go list -m -f '{{.Dir}}' github.com/dtm-labs/dtm 2>>"$DTM_BUILD_LOG") || true
  [[ -n $dir && -d $dir/sqls ]] || die "dtm: module directory of github.com/dtm-labs/dtm not found — see $DTM_BUILD_LOG"
  printf '%s' "$dir"
}

# Build only when the binary is missing or older than tools/dtm/go.{mod,sum}:
# a cold build takes minutes (90 MB binary); go's cache makes rebuilds cheap
# but not free. Built next to the target and renamed: a running dtm keeps
# its inode.
dtm_build() {
  local bin=$BIN_DIR/dtm t0=$EPOCHREALTIME v build
  if [[ -x $bin && ! $DTM_TOOLS_DIR/go.sum -nt $bin && ! $DTM_TOOLS_DIR/go.mod -nt $bin &&
    ! ${BASH_SOURCE[0]} -nt $bin ]]; then
    return 0
  fi
  v=$(dtm_version)
  say "dtm: building github.com/dtm-labs/dtm@$v (first build takes a few minutes; log: $DTM_BUILD_LOG)"
  dtm_go mod download >>"$DTM_BUILD_LOG" 2>&1 || die "dtm: go mod download failed in tools/dtm — see $DTM_BUILD_LOG"
  build=$(dtm_loopback_module "$(dtm_module_dir)")
  (cd "$build" && GOWORK=off timeout 1800 go build -ldflags "-X main.Version=$v" -o "$bin.tmp" github.com/dtm-labs/dtm) \
    >>"$DTM_BUILD_LOG" 2>&1 || die "dtm: go build failed — see $DTM_BUILD_LOG"
  mv -f "$bin.tmp" "$bin"
  say "dtm: built $bin ($(elapsed "$t0"))"
}

# dtm_loopback_module MODULE_DIR: DTM v1.19.0 listens on every interface (":<port>"; it has
# no listen-address setting). The local stack builds it from a run-dir copy of the pinned
# module in which the two listen addresses of dtmsvr/svr.go read 127.0.0.1:<port> (go
# build refuses overlays of GOMODCACHE files), through a run-dir copy of tools/dtm whose
# go.mod replaces the module with that copy. Nothing of DTM is copied into the
# repository. Prints the build directory; dies when the pinned version no longer has the
# two lines it rewrites. (Compose runs the yedf/dtm image, reachable only on the compose
# network and on the host's 127.0.0.1 ports.)
dtm_loopback_module() {
  local mod=$1 src=$RUN_DIR/tools/dtm-src build=$RUN_DIR/tools/dtm-build n
  local pattern='fmt.Sprintf(":%d", conf.\(HTTPPort\|GrpcPort\))'
  n=$(grep -c "$pattern" "$mod/dtmsvr/svr.go" || true)
  ((n == 2)) || die "dtm: $mod/dtmsvr/svr.go has $n of the 2 listen addresses the loopback build rewrites — update dtm_loopback_module in scripts/lib/dtm.sh"
  rm -rf "$src" "$build"
  mkdir -p "$src" "$build"
  cp -R "$mod/." "$src/"
  chmod -R u+w "$src"
  sed -i "s/$pattern/fmt.Sprintf(\"127.0.0.1:%d\", conf.\\1)/" "$src/dtmsvr/svr.go"
  cp "$DTM_TOOLS_DIR/go.mod" "$DTM_TOOLS_DIR/go.sum" "$build/"
  (cd "$build" && GOWORK=off go mod edit -replace "github.com/dtm-labs/dtm=$src") >>"$DTM_BUILD_LOG" 2>&1 ||
    die "dtm: go mod edit -replace failed — see $DTM_BUILD_LOG"
  printf '%s' "$build"
}

# Run-dir copy of deploy/dtm/config.yml plus the LogLevel that applies after
# start-up (see the comment on LOG_LEVEL in that file).
dtm_write_conf() {
  local level=${P2P_DTM_LOG_LEVEL:-info}
  [[ $level =~ ^(debug|info|warn|error)$ ]] || die "dtm: P2P_DTM_LOG_LEVEL must be debug, info, warn or error (got '$level')"
  mkdir -p "$DTM_RUN_DIR"
  {
    cat "$P2P_REPO_ROOT/deploy/dtm/config.yml"
    printf '\n# Appended by scripts/lib/dtm.sh (P2P_DTM_LOG_LEVEL):\nLogLevel: %s\n' "$level"
  } >"$DTM_CONF.tmp"
  mv "$DTM_CONF.tmp" "$DTM_CONF"
}

dtm_prepare() {
  need_cmd go "install Go (see README)"
  dtm_build
  dtm_write_conf
}
# The env given at start (ports, password) is part of the fingerprint too.
dtm_fingerprint() {
  fingerprint "$BIN_DIR/dtm" "$DTM_CONF" "str:$P2P_MYSQL_PORT $P2P_DTM_HTTP_PORT $P2P_DTM_GRPC_PORT" \
    "str:$(secret P2P_DB_PASSWORD_DTM)"
}

# Ready = it hands out a gid (DTM listens only once its store answered a ping).
dtm_healthy() {
  local out
  out=$(curl -fsS --max-time 3 "http://127.0.0.1:$P2P_DTM_HTTP_PORT/api/dtmsvr/newGid" 2>/dev/null) || return 1
  [[ $out == *'"gid"'* ]]
}

dtm_start() {
  SPAWN_ENV=(
    STORE_HOST=127.0.0.1
    "STORE_PORT=$P2P_MYSQL_PORT"
    "STORE_PASSWORD=$(secret P2P_DB_PASSWORD_DTM)"
    "HTTP_PORT=$P2P_DTM_HTTP_PORT"
    "GRPC_PORT=$P2P_DTM_GRPC_PORT"
    LOG_LEVEL=warn
  )
  spawn dtm "$DTM_RUN_DIR" clean "$BIN_DIR/dtm" -c "$DTM_CONF"
  SPAWN_ENV=()
  expect_ready dtm "$(cat "$PID_DIR/dtm.pid")" "${P2P_DTM_START_TIMEOUT:-30}"
}

dtm_stop() { stop_pid dtm "$1" 15; }

