#!/usr/bin/env bash
# The one-shot init jobs of deploy/docker-compose.yml. They run in the `init` image
# (deploy/Dockerfile) with the repository's scripts/lib, sql/ and deploy/mariadb
# mounted under /p2p, and call the local stack's own functions, so keys, databases,
# accounts, grants and migrations come out exactly as scripts/stack.sh makes them:
#
#   init.sh keys   RSA 2048 key pairs (keys.sh: ensure_keys) into P2P_KEYS_DIR, a
#                  named volume no service mounts; made once, kept afterwards. The
#                  platform's pair and the bank's public key are copied into
#                  P2P_PLATFORM_KEYS_DIR, the bank's pair and the platform's public key
#                  into P2P_BANK_KEYS_DIR; all handed to the user the services run as
#                  (P2P_APP_UID:P2P_APP_GID).
#   init.sh rmq-acl  the broker's accounts, grants and topics (rocketmq.sh: rmq_acl_spec,
#                  without the tests' account) applied by rmqacl (built into the image)
#                  as the super user the broker's command created; on every `up`,
#                  idempotent. Environment: RMQ_BROKER, RMQ_NAMESRV and the P2P_RMQ_*
#                  secrets.
#   init.sh db     the databases and accounts of deploy/mariadb/ (mariadb.sh:
#                  mariadb_provision; account host '%'), then sql/<db>/V*.sql and
#                  DTM's DDL from the pinned module (migrate.sh: migrate_all). As
#                  root over TCP; on every `up`, idempotent.
#
# Environment: P2P_KEYS_DIR (keys); MARIADB_HOST, MARIADB_PORT, MARIADB_ROOT_PASSWORD
# and the DB passwords of keys.sh's SECRET_KEYS (db). Nothing secret is printed; on
# failure the job prints the tail of its logs.
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail

P2P_ROOT=${P2P_ROOT:-/p2p}
export P2P_RUN_DIR=${P2P_RUN_DIR:-/tmp/p2p-run}
# shellcheck source=../../scripts/lib/common.sh
source "$P2P_ROOT/scripts/lib/common.sh"
# shellcheck source=../../scripts/lib/keys.sh
source "$P2P_ROOT/scripts/lib/keys.sh"
# shellcheck source=../../scripts/lib/mariadb.sh
source "$P2P_ROOT/scripts/lib/mariadb.sh"
# shellcheck source=../../scripts/lib/migrate.sh
source "$P2P_ROOT/scripts/lib/migrate.sh"
# shellcheck source=../../scripts/lib/dtm.sh
source "$P2P_ROOT/scripts/lib/dtm.sh"
# shellcheck source=../../scripts/lib/rocketmq.sh
source "$P2P_ROOT/scripts/lib/rocketmq.sh"

# The logs stay inside the container: show their end when the job fails.
on_exit() {
  local rc=$? log
  ((rc == 0)) && return 0
  for log in "$LOG_DIR"/*.log; do
    [[ -s $log ]] || continue
    printf '\n--- %s (last 30 lines)\n' "${log##*/}" >&2
    tail -n 30 "$log" >&2
  done
  printf '!! init.sh %s failed (exit %s)\n' "${MODE:-?}" "$rc" >&2
}
trap on_exit EXIT

init_keys() {
  local owner=${P2P_APP_UID:-65532}:${P2P_APP_GID:-65532}
  need_cmd openssl "the init image installs it"
  KEYS_DIR=${P2P_KEYS_DIR:?P2P_KEYS_DIR: where the keys volume is mounted}
  ensure_keys
  # Each side gets only its own private key: the platform's services mount
  # P2P_PLATFORM_KEYS_DIR, the bank P2P_BANK_KEYS_DIR; both hold both public keys.
  hand_out_keys "${P2P_PLATFORM_KEYS_DIR:-}" platform bank
  hand_out_keys "${P2P_BANK_KEYS_DIR:-}" bank platform
  # Private keys stay 0600 and the directories 0700, as on the local stack; they
  # belong to the unprivileged user of the service images.
  chown -R "$owner" "$KEYS_DIR" ${P2P_PLATFORM_KEYS_DIR:+"$P2P_PLATFORM_KEYS_DIR"} ${P2P_BANK_KEYS_DIR:+"$P2P_BANK_KEYS_DIR"}
  say "keys: $(find "$KEYS_DIR" -name '*.pem' | wc -l) PEM files in $KEYS_DIR (owner $owner)"
}

# hand_out_keys DIR OWN PEER: copy OWN's key pair and PEER's public key into DIR (skipped
# when DIR is empty). Copied on every run, so DIR always matches the master volume.
hand_out_keys() {
  local dir=$1 own=$2 peer=$3 f
  [[ -n $dir ]] || return 0
  mkdir -p "$dir"
  chmod 700 "$dir"
  rm -f "$dir/${peer}_private.pem"
  for f in "${own}_private.pem" "${own}_public.pem" "${peer}_public.pem"; do
    cp -p "$KEYS_DIR/$f" "$dir/$f"
  done
  say "keys: $own's private key and both public keys in $dir"
}

init_db() {
  local key n=0
  : "${MARIADB_ROOT_PASSWORD:?MARIADB_ROOT_PASSWORD is not set}"
  # mdb_root (mariadb.sh) reads its connection from MDB_CNF: root over TCP here
  # instead of the local stack's socket. Written by a shell builtin, mode 0600:
  # the password never reaches a command line. skip-ssl: the MariaDB image serves
  # no TLS, and clients from 11.4 on (Debian trixie's) otherwise insist on it; the
  # traffic stays inside the compose network, like the services' own connections.
  MDB_CNF=$RUN_DIR/root.cnf
  (
    umask 077
    printf '[client]\nhost=%s\nport=%s\nuser=root\npassword=%s\ndefault-character-set=utf8mb4\nskip-ssl\n' \
      "${MARIADB_HOST:-mariadb}" "${MARIADB_PORT:-3306}" "$MARIADB_ROOT_PASSWORD" >"$MDB_CNF"
  )
  # Containers reach MariaDB from addresses of the compose network.
  read -r -a MDB_ACCOUNT_HOSTS <<<"${P2P_DB_ACCOUNT_HOSTS:-%}"
  # The secrets come from the environment (deploy/.env via the compose file), not
  # from secrets.env; secret() reads them from the SECRET map as on the local stack.
  for key in "${SECRET_KEYS[@]}"; do
    [[ -n ${!key:-} ]] || continue
    SECRET[$key]=${!key}
    n=$((n + 1))
  done
  for key in $(grep -o '{{P2P_[A-Z0-9_]*}}' "$MDB_SHARED_DIR/accounts.sql.tmpl" | tr -d '{}' | sort -u); do
    [[ -n ${SECRET[$key]:-} ]] ||
      die "db: $key is not set — the compose file passes it from deploy/.env (deploy/compose/init-env.sh)"
  done
  say "db: $n secret(s) from the environment; accounts for host(s) ${MDB_ACCOUNT_HOSTS[*]}"
  # depends_on waits for the healthy state; this covers a restart in between.
  wait_until "${P2P_DB_WAIT_SECONDS:-60}" mdb_root -e 'SELECT 1' >/dev/null 2>>"$MDB_SETUP_LOG" ||
    die "db: MariaDB at ${MARIADB_HOST:-mariadb}:${MARIADB_PORT:-3306} does not answer"
  mariadb_provision
  migrate_all
  say "db: databases, accounts and migrations ready"
}

# init_rmq_acl: the spec is written from the environment's secrets (the SECRET map that
# keys.sh's secret() reads) into a private temporary file.
init_rmq_acl() {
  local key spec
  for key in P2P_RMQ_ADMIN_SECRET P2P_RMQ_SECRET_TRADE_CENTER P2P_RMQ_SECRET_REPAYMENT P2P_RMQ_SECRET_BANK_CUSTODY; do
    SECRET[$key]=${!key:?$key is not set}
  done
  spec=$(umask 077 && mktemp)
  rmq_acl_spec >"$spec"
  RMQ_ADMIN_USER=$RMQ_ADMIN_USER RMQ_ADMIN_SECRET=${SECRET[P2P_RMQ_ADMIN_SECRET]} \
    rmqacl -broker "${RMQ_BROKER:?}" -namesrv "${RMQ_NAMESRV:?}" -spec "$spec"
  rm -f "$spec"
}

MODE=${1:-}
case $MODE in
  keys) init_keys ;;
  rmq-acl) init_rmq_acl ;;
  db) init_db ;;
  *)
    echo "usage: init.sh keys|db" >&2
    exit 2
    ;;
esac
