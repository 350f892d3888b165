#!/usr/bin/env bash
# Sets up a fresh Debian machine for the tests and runs them all (unit, contract, AppTest, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages, when missing: chromium (browser tests), postgresql (the team library's tests) and
# nginx (the team deployment's sticky proxy config, run in front of two test servers).
MISSING=""
command -v chromium >/dev/null 2>&1 || MISSING="$MISSING chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || MISSING="$MISSING postgresql"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || MISSING="$MISSING nginx-light"
if [ -n "$MISSING" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
ruff check .
python3 -m mypy studio demo_gateway
source scripts/services.sh
trap stop_services EXIT
start_services
python3 -m pytest "$@"
