#!/usr/bin/env bash
# Checks that every app/<service>/configs/docker.yaml is its local.yaml with the
# addresses of docker compose, and nothing else changed: comments and blank lines
# aside, local.yaml rewritten by the rules below must equal docker.yaml line for
# line. Run it after editing either file; it needs no Docker engine.
#
#   deploy/compose/check-configs.sh        exit 0 when all five agree; else a diff
#
# The rules (the only differences allowed):
#   listen addresses          {addr: "127.0.0.1:<port>  -> {addr: "0.0.0.0:<port>
#   pages a browser follows   ${BANK_CUSTODY_HTTP:http://127.0.0.1:8050}/gateway
#                                                     -> ${BANK_CUSTODY_PUBLIC_URL}/gateway
#                             ${USER_CENTER_HTTP:http://127.0.0.1:8020}/custody/return
#                                                     -> ${USER_CENTER_PUBLIC_URL}/custody/return
#   the RocketMQ broker       127.0.0.1:${RMQ_BROKER_PORT}        -> broker:${RMQ_BROKER_PORT}
#   the services              127.0.0.1:80x0 / 90x0               -> <service>:80x0 / 90x0
#   fault points              faults: enabled: true               -> enabled: false
#                             (a compose deployment never mounts them)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
services=(unified-account user-center trade-center repayment bank-custody)

# strip FILE: the file without comment lines, trailing comments and blank lines.
strip() { sed -e 's/[[:space:]]#.*$//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$1"; }

# to_docker: local.yaml's lines (on stdin) with compose's addresses.
to_docker() {
  local i
  # shellcheck disable=SC2016 # ${...} is text here: the placeholders of the YAML files
  local rules=(
    -e 's#{addr: "127\.0\.0\.1:#{addr: "0.0.0.0:#'
    -e 's#\${BANK_CUSTODY_HTTP:http://127\.0\.0\.1:8050}/gateway#${BANK_CUSTODY_PUBLIC_URL}/gateway#'
    -e 's#\${USER_CENTER_HTTP:http://127\.0\.0\.1:8020}/custody/return#${USER_CENTER_PUBLIC_URL}/custody/return#'
    -e 's#127\.0\.0\.1:\(\${RMQ_BROKER_PORT}\)#broker:\1#'
    -e 's#^  enabled: true$#  enabled: false#'
  )
  for i in "${!services[@]}"; do
    rules+=(-e "s#127\\.0\\.0\\.1:\\([89]\\)0$((i + 1))0#${services[$i]}:\\10$((i + 1))0#g")
  done
  sed "${rules[@]}"
}

bad=0
for svc in "${services[@]}"; do
  dir=$root/app/$svc/configs
  if [[ ! -f $dir/docker.yaml ]]; then
    echo "!! $svc: $dir/docker.yaml is missing" >&2
    bad=1
    continue
  fi
  if ! out=$(diff -u --label "local.yaml with compose addresses" --label docker.yaml \
    <(strip "$dir/local.yaml" | to_docker) <(strip "$dir/docker.yaml")); then
    printf '!! %s: docker.yaml is out of step with local.yaml:\n%s\n' "$svc" "$out" >&2
    bad=1
    continue
  fi
  if grep -n '127\.0\.0\.1' "$dir/docker.yaml" | grep -v '^[0-9]*:[[:space:]]*#' >&2; then
    echo "!! $svc: docker.yaml still names 127.0.0.1 (add a rule above)" >&2
    bad=1
    continue
  fi
  echo "ok  $svc: docker.yaml = local.yaml with compose addresses"
done
exit "$bad"
