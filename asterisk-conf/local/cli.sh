#!/usr/bin/env bash
# cli.sh ARGS... — run one Asterisk CLI command in the local dev Asterisk:
#   asterisk-conf/local/cli.sh core show channels
#   asterisk-conf/local/cli.sh 'dialplan show customers'
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -gt 0 ] || die "usage: $0 CLI-COMMAND..."
[ -x "$ROOT/usr/sbin/asterisk" ] || die "no local Asterisk root at $ROOT (run up.sh)"
[ -S "$ROOT/run/asterisk/asterisk.ctl" ] || die "the local Asterisk is not running (run up.sh)"
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	chroot "$ROOT" /usr/sbin/asterisk -rx "$*"
