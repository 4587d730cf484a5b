#!/usr/bin/env bash
# SMS goes through Kannel: its bearerbox and smsbox (Debian package
# kannel), and in tests the fake SMSC client fakesmsc (kannel-extras).
# Install them when missing. The tests run their own Kannel on free
# loopback ports (messaging/kannel/kanneltest); the packaged service is
# not used.
set -euo pipefail
missing=()
[ -x /usr/sbin/bearerbox ] && [ -x /usr/sbin/smsbox ] || missing+=(kannel)
[ -x /usr/lib/kannel/test/fakesmsc ] || missing+=(kannel-extras)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing ${missing[*]} and apt-get is not available: install Kannel (bearerbox, smsbox) and its extras (fakesmsc) for SMS" >&2
  exit 1
fi
echo "installing ${missing[*]} for SMS"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
