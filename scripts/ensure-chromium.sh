#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium when it is missing: the acceptance tests
# drive the bank's pages in a real browser. Prints the binary's path.
set -euo pipefail

find_chromium() { command -v chromium || command -v chromium-browser || true; }

bin=$(find_chromium)
if [[ -z $bin ]]; then
	command -v apt-get >/dev/null || { echo "!! chromium: not installed and apt-get is missing — install Chromium by hand" >&2; exit 1; }
	((EUID == 0)) || { echo "!! chromium: not installed; installing it with apt-get needs root" >&2; exit 1; }
	log=${P2P_RUN_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.run}/logs/chromium-install.log
	mkdir -p "$(dirname "$log")"
	echo "==> chromium: installing Debian's chromium with apt-get (log: $log)" >&2
	if ! { timeout 600 apt-get update && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y --no-install-recommends chromium; } >"$log" 2>&1; then
		echo "!! chromium: apt-get install failed — see $log" >&2
		exit 1
	fi
	bin=$(find_chromium)
	[[ -n $bin ]] || { echo "!! chromium: installed but no chromium binary on PATH — see $log" >&2; exit 1; }
fi
echo "$bin"
