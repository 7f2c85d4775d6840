#!/usr/bin/env bash
# Installs what the browser tests (tests/browser.rs) need on a fresh machine:
# Debian's chromium and chromium-driver, only when they are missing.
set -euo pipefail

if [[ -x "${CHROMIUM:-/usr/bin/chromium}" && -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ]]; then
  exit 0
fi
echo "installing chromium and chromium-driver for the browser tests" >&2
sudo=""
if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
