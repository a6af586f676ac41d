# shellcheck shell=bash
# Schema migrations, applied as root over the socket.
#
#   * sql/<db>/*.sql for each service database, in lexical order
#     (V001__init.sql, V002__...). The version recorded is the file name.
#   * then sql/shared/*.sql, the same DDL in several service databases (the
#     background jobs' job_claim table): a file's first line names them
#     ("-- databases: user_center trade_center"); recorded as shared/<file>.
#   * DTM's own DDL for `dtm` and `dtm_barrier`, read from the pinned module
#     in the Go module cache (never copied into the repo), recorded as
#     dtm-<version>/<file>.
#
# Each database D has D.schema_migrations; a file is applied once, then
# recorded. DDL is not transactional in MariaDB: a file that fails half-way
# leaves what it did; fix it (or the DB) and run `up` again.

MIGRATE_LOG=$LOG_DIR/migrate.log

migrate_all() {
  local db n=0 dir
  for db in "${SERVICE_DBS[@]}"; do
    migrate_dir "$db" "$P2P_REPO_ROOT/sql/$db"
    migrate_shared "$db" "$P2P_REPO_ROOT/sql/shared"
  done
  # DTM's files drop and recreate their tables: never run them twice. They
  # name their tables schema-qualified (dtm.trans_global, dtm_barrier.barrier)
  # and start with CREATE DATABASE IF NOT EXISTS; no USE.
  dir=$(dtm_module_dir)/sqls
  migrate_file dtm "$dir/dtmsvr.storage.mysql.sql" "dtm-$(dtm_version)/dtmsvr.storage.mysql.sql" trans_global
  migrate_file dtm_barrier "$dir/dtmcli.barrier.mysql.sql" "dtm-$(dtm_version)/dtmcli.barrier.mysql.sql" barrier
  n=$MIGRATED
  if ((n)); then say "migrate: applied $n file(s) (log: $MIGRATE_LOG)"; else say "migrate: nothing to apply"; fi
}

MIGRATED=0

ensure_migrations_table() {
  mdb_root "$1" -e "CREATE TABLE IF NOT EXISTS schema_migrations (
      version VARCHAR(191) NOT NULL PRIMARY KEY,
      applied_at DATETIME(6) NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" >>"$MIGRATE_LOG" 2>&1 ||
    die "migrate: cannot create $1.schema_migrations — see $MIGRATE_LOG"
}

is_applied() { # is_applied DB VERSION
  local n
  n=$(mdb_root "$1" -e "SELECT COUNT(*) FROM schema_migrations WHERE version = $(sql_quote "$2")" 2>>"$MIGRATE_LOG") ||
    return 2
  [[ $n == 1 ]]
}

record_applied() { # record_applied DB VERSION
  mdb_root "$1" -e "INSERT INTO schema_migrations (version, applied_at) VALUES ($(sql_quote "$2"), NOW(6))" >>"$MIGRATE_LOG" 2>&1 ||
    die "migrate: applied $2 to $1 but could not record it in $1.schema_migrations — see $MIGRATE_LOG"
}

table_exists() { # table_exists DB TABLE
  local n
  n=$(mdb_root -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $(sql_quote "$1") AND table_name = $(sql_quote "$2")" 2>>"$MIGRATE_LOG") || return 1
  [[ $n == 1 ]]
}

migrate_dir() { # migrate_dir DB DIR: a missing DIR means nothing to apply
  local db=$1 dir=$2 f
  [[ -d $dir ]] || return 0
  for f in "$dir"/*.sql; do
    [[ -f $f ]] || continue
    migrate_file "$db" "$f" "$(basename "$f")"
  done
}

migrate_shared() { # migrate_shared DB DIR: the files of DIR whose first line names DB
  local db=$1 dir=$2 f first
  [[ -d $dir ]] || return 0
  for f in "$dir"/*.sql; do
    [[ -f $f ]] || continue
    IFS= read -r first <"$f" || true
    [[ $first == "-- databases:"* ]] || die "migrate: $f must start with '-- databases: <db> ...'"
    [[ " ${first#-- databases:} " == *" $db "* ]] || continue
    migrate_file "$db" "$f" "shared/$(basename "$f")"
  done
}

# migrate_file DB FILE VERSION [GUARD_TABLE]
# GUARD_TABLE: if that table already exists although VERSION is not recorded
# (schema made by hand or by an older script), record VERSION without running
# FILE — FILE would drop the table and its data.
migrate_file() {
  local db=$1 file=$2 version=$3 guard=${4:-} rc=0
  [[ -f $file ]] || die "migrate: $file not found"
  [[ $version =~ ^[A-Za-z0-9._@/+-]+$ ]] || die "migrate: unsupported file name '$version' ($file): use letters, digits and . _ - only"
  ensure_migrations_table "$db"
  is_applied "$db" "$version" || rc=$?
  ((rc == 0)) && return 0
  ((rc == 2)) && die "migrate: cannot read $db.schema_migrations — see $MIGRATE_LOG"
  if [[ -n $guard ]] && table_exists "$db" "$guard"; then
    warn "migrate: $db.$guard exists but $version is not recorded — recording it without running $file"
    record_applied "$db" "$version"
    return 0
  fi
  printf '%s applying %s to %s\n' "$(date '+%F %T')" "$file" "$db" >>"$MIGRATE_LOG"
  mdb_root "$db" <"$file" >>"$MIGRATE_LOG" 2>&1 || die "migrate: $file failed on database $db — see $MIGRATE_LOG"
  record_applied "$db" "$version"
  MIGRATED=$((MIGRATED + 1))
  say "migrate: $db <- $version"
}
