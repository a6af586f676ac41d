#!/usr/bin/env bash
# Writes deploy/.env: the secrets deploy/docker-compose.yml reads (and nothing else).
# Run it once before the first `docker compose up`; running it again only adds what
# is missing — existing values are never changed.
#
#   deploy/compose/init-env.sh [FILE]     default FILE: deploy/.env
#
# The keys are the local stack's (scripts/lib/keys.sh: SECRET_KEYS, generated the
# same way: random hex from openssl) plus the compose-only MariaDB root password.
# The file is created mode 0600 and must stay out of git (.gitignore: /deploy/.env).
#
# Keep the values once MariaDB's volume exists: the image applies the root password
# only when it initialises an empty volume (the db-init job re-applies the service
# passwords on every `up`, the root one it cannot). To start over from nothing:
#   docker compose -f deploy/docker-compose.yml --env-file deploy/.env down -v
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
env_file=${1:-$repo/deploy/.env}

command -v openssl >/dev/null || { echo "!! init-env.sh: openssl not found (apt-get install -y openssl)" >&2; exit 1; }
# shellcheck source=../../scripts/lib/keys.sh
source "$repo/scripts/lib/keys.sh" # SECRET_KEYS and new_secret; defines nothing else that runs

keys=("${SECRET_KEYS[@]}" P2P_MARIADB_ROOT_PASSWORD)
(
  umask 077
  touch "$env_file"
)
chmod 600 "$env_file"
added=0
for key in "${keys[@]}"; do
  grep -q "^$key=" "$env_file" && continue
  printf '%s=%s\n' "$key" "$(new_secret "$key")" >>"$env_file"
  added=$((added + 1))
done
# Not a secret: the compose project's name (the compose file has no `name:`, which
# Debian's docker-compose 1.29 refuses). Written once; edit it freely.
if ! grep -q '^COMPOSE_PROJECT_NAME=' "$env_file"; then
  printf 'COMPOSE_PROJECT_NAME=p2p-dtx\n' >>"$env_file"
fi
echo "==> init-env.sh: $env_file has ${#keys[@]} secrets ($added new)"

if [[ $env_file == "$repo"/* ]] && git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 && ! git -C "$repo" check-ignore -q "$env_file"; then
  echo "!! warning: $env_file is not ignored by git — add it to .gitignore, never commit it" >&2
fi
