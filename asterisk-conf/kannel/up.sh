#!/usr/bin/env bash
# up.sh — bring up the project's own Kannel for `make run` with
# SWITCHYARD_SMS=kannel: a bearerbox with the fake SMSC, an smsbox serving
# sendsms, and fakesmsc (kannel-extras) as the "phone network", which logs
# every SMS it receives. Idempotent: a Kannel of ours that answers is
# reused.
#
#   asterisk-conf/kannel/up.sh     (then asterisk-conf/kannel/down.sh)
#
# The configuration is kannel.conf.tmpl with its @...@ values filled in,
# written to $STATE/kannel.conf; logs go to $STATE/*.log (the received SMS:
# $STATE/fakesmsc.log, lines "Got message N: <from to text …>").
#
# stdout: the settings Switchyard needs, as KEY=value lines:
#   SWITCHYARD_KANNEL_URL=...  SWITCHYARD_KANNEL_USER=...
#   SWITCHYARD_KANNEL_PASSWORD=...
# stderr: human messages.
#
# Environment:
#   SWITCHYARD_CACHE_DIR     default ${XDG_CACHE_HOME:-$HOME/.cache}/switchyard
#   SWITCHYARD_KANNEL_PORT   first of four loopback ports (default 13000:
#                            admin, +1 smsbox, +2 fake SMSC, +13 sendsms)
#   SWITCHYARD_SMS_SENDER    the default sender (default 12025550100)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SWITCHYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}"
state="$cache/kannel"
base="${SWITCHYARD_KANNEL_PORT:-13000}"
admin=$base smsbox=$((base + 1)) fake=$((base + 2)) sendsms=$((base + 13))
sender="${SWITCHYARD_SMS_SENDER:-12025550100}"
fakesmsc=/usr/lib/kannel/test/fakesmsc

for b in /usr/sbin/bearerbox /usr/sbin/smsbox "$fakesmsc"; do
  [ -x "$b" ] || { echo "$b is missing: run .ci/ensure-kannel.sh (Debian packages kannel and kannel-extras)" >&2; exit 1; }
done
mkdir -p "$state"
chmod 700 "$state"
# Passwords: generated once, kept (mode 0600).
for f in sendsms-password admin-password; do
  [ -s "$state/$f" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$state/$f")
done
pw="$(cat "$state/sendsms-password")"
url="http://127.0.0.1:$sendsms/cgi-bin/sendsms"

print() {
  echo "SWITCHYARD_KANNEL_URL=$url"
  echo "SWITCHYARD_KANNEL_USER=switchyard"
  echo "SWITCHYARD_KANNEL_PASSWORD=$pw"
}

alive() { [ -s "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

if alive bearerbox && alive smsbox && alive fakesmsc; then
  echo "Kannel already running (logs in $state)" >&2
  print
  exit 0
fi
"$here/down.sh" >/dev/null 2>&1 || true

sed -e "s/@ADMIN_PORT@/$admin/" -e "s/@ADMIN_PASSWORD@/$(cat "$state/admin-password")/" \
    -e "s/@SMSBOX_PORT@/$smsbox/" -e "s/@FAKESMSC_PORT@/$fake/" -e "s/@SENDSMS_PORT@/$sendsms/" \
    -e "s/@SENDER@/$sender/" -e "s/@SENDSMS_USER@/switchyard/" -e "s/@SENDSMS_PASSWORD@/$pw/" \
    "$here/kannel.conf.tmpl" > "$state/kannel.conf"
chmod 600 "$state/kannel.conf"
if grep -q '@[A-Z_]*@' "$state/kannel.conf"; then
  echo "kannel.conf.tmpl has a placeholder up.sh does not fill in" >&2
  exit 1
fi

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1 (see $state/*.log)" >&2
  return 1
}

cd "$state"
nohup /usr/sbin/bearerbox -v 1 kannel.conf > bearerbox.log 2>&1 &
echo $! > bearerbox.pid
wait_port "$fake"
# fakesmsc sends what it reads on stdin: a FIFO kept open by a sleeper
# gives it none, and keeps it connected.
rm -f fakesmsc.in && mkfifo fakesmsc.in
nohup sleep infinity > fakesmsc.in 2>/dev/null &
echo $! > sleeper.pid
nohup "$fakesmsc" -H 127.0.0.1 -r "$fake" -m 0 < fakesmsc.in > fakesmsc.log 2>&1 &
echo $! > fakesmsc.pid
nohup /usr/sbin/smsbox -v 1 kannel.conf > smsbox.log 2>&1 &
echo $! > smsbox.pid
wait_port "$sendsms"
echo "Kannel up: sendsms $url, fake SMSC on $fake (received SMS in $state/fakesmsc.log)" >&2
print
