# shellcheck shell=bash
# Secrets and RSA keys: generated on the first `up`, reused afterwards.
# Nothing here prints a secret; files are created under umask 077.

# Keys of secrets.env. DB passwords are per database user.
SECRET_KEYS=(
  P2P_DB_PASSWORD_UNIFIED_ACCOUNT
  P2P_DB_PASSWORD_USER_CENTER
  P2P_DB_PASSWORD_TRADE_CENTER
  P2P_DB_PASSWORD_REPAYMENT
  P2P_DB_PASSWORD_BANK_CUSTODY
  P2P_DB_PASSWORD_DTM
  P2P_INSPECT_PASSWORD
  P2P_TOKEN_SECRET
  P2P_ADMIN_PASSWORD
  P2P_OPERATOR_TOKEN
  P2P_BRANCH_KEY
  P2P_RMQ_ADMIN_SECRET
  P2P_RMQ_SECRET_TRADE_CENTER
  P2P_RMQ_SECRET_REPAYMENT
  P2P_RMQ_SECRET_BANK_CUSTODY
  P2P_RMQ_SECRET_TEST
  P2P_MQ_SIGNING_KEY
  P2P_BANK_MQ_SIGNING_KEY
)
KEY_PAIRS=(platform bank)

declare -A SECRET=()

# load_secrets: read secrets.env into the SECRET map (not into the environment).
load_secrets() {
  local key val
  SECRET=()
  [[ -f $SECRETS_FILE ]] || return 0
  while IFS='=' read -r key val; do
    [[ $key =~ ^[A-Z0-9_]+$ ]] && SECRET[$key]=$val
  done <"$SECRETS_FILE"
  return 0
}

# secret KEY: print one secret (for use inside this script only).
secret() {
  [[ -n ${SECRET[$1]:-} ]] || die "secrets: $1 missing from $SECRETS_FILE (run scripts/stack.sh up)"
  printf '%s' "${SECRET[$1]}"
}

# Hex only: safe in SQL literals, YAML, URLs and shell without quoting.
# P2P_TOKEN_SECRET, P2P_OPERATOR_TOKEN, P2P_BRANCH_KEY (DTM branch credentials and
# sealed branch payloads, pkg/dtmx) and the message signing keys (pkg/mq) are 32 random
# bytes; passwords (the databases', the broker accounts') 16 random bytes.
new_secret() {
  case $1 in
    P2P_TOKEN_SECRET | P2P_OPERATOR_TOKEN | P2P_BRANCH_KEY | *SIGNING_KEY) openssl rand -hex 32 ;;
    *) openssl rand -hex 16 ;;
  esac
}

# ensure_secrets: add whatever key is missing; existing values are never changed.
ensure_secrets() {
  local key added=0
  load_secrets
  (
    umask 077
    touch "$SECRETS_FILE"
  )
  chmod 600 "$SECRETS_FILE"
  for key in "${SECRET_KEYS[@]}"; do
    [[ -n ${SECRET[$key]:-} ]] && continue
    printf '%s=%s\n' "$key" "$(new_secret "$key")" >>"$SECRETS_FILE"
    added=$((added + 1))
  done
  load_secrets
  if ((added)); then say "secrets: generated $added new value(s) in $SECRETS_FILE"; fi
}

# ensure_keys: RSA 2048 pairs, PKCS#8 PEM private key (0600) and
# SubjectPublicKeyInfo public ("BEGIN PUBLIC KEY", 0644).
ensure_keys() {
  local name priv pub log=$LOG_DIR/keys.log made=0
  mkdir -p "$KEYS_DIR"
  chmod 700 "$KEYS_DIR"
  for name in "${KEY_PAIRS[@]}"; do
    priv=$KEYS_DIR/${name}_private.pem
    pub=$KEYS_DIR/${name}_public.pem
    if [[ ! -s $priv ]]; then
      (
        umask 077
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$priv.tmp"
      ) >>"$log" 2>&1 || die "keys: generating $priv failed — see $log"
      mv "$priv.tmp" "$priv"
      rm -f "$pub"
      made=$((made + 1))
    fi
    chmod 600 "$priv"
    if [[ ! -s $pub ]]; then
      openssl pkey -in "$priv" -pubout -out "$pub" >>"$log" 2>&1 || die "keys: deriving $pub failed — see $log"
    fi
    chmod 644 "$pub"
  done
  if ((made)); then say "keys: generated $made RSA key pair(s) in $KEYS_DIR"; fi
}

keys_up() {
  local t0=$EPOCHREALTIME
  need_cmd openssl "install it with: apt-get install -y openssl"
  ensure_secrets
  ensure_keys
  say "secrets & keys: ready ($(elapsed "$t0"))"
}
