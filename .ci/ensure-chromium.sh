#!/usr/bin/env bash
# The console's browser tests drive Debian's chromium headless (chromedp).
# Install it when it is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing and apt-get is not available: install chromium for the console browser tests" >&2
  exit 1
fi
echo "installing chromium for the console browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
