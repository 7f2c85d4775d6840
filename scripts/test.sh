#!/usr/bin/env bash
# Runs every test, on a fresh machine too: the browser tests (tests/browser.rs)
# need Debian's chromium and chromium-driver, installed here when missing.
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" || ! -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ]]; then
  echo "installing chromium and chromium-driver for the browser tests" >&2
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

cargo test "$@"
