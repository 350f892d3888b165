#!/usr/bin/env bash
# Sets up a fresh Debian machine for the tests and runs them all (unit, contract, AppTest, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
ruff check .
python3 -m mypy studio demo_gateway
python3 -m pytest "$@"
