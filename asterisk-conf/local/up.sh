#!/usr/bin/env bash
# up.sh — bring up the local dev Asterisk 22 (Debian sid, debootstrap chroot)
# with the configuration in asterisk-conf/, on loopback. Idempotent.
#
#   asterisk-conf/local/up.sh            (make asterisk)
#
# 1. If ARI already answers at $SWITCHYARD_ARI_URL (default
#    http://127.0.0.1:8088/ari) with our credentials, reuse that Asterisk. If
#    it is our chroot Asterisk, re-sync the configuration first (core reload,
#    or a restart when modules.conf/asterisk.conf changed).
#    If something answers 401, it is someone else's Asterisk: say so, exit 3.
# 2. Otherwise build the root once (debootstrap into a temp dir, renamed
#    atomically into $CACHE/asterisk-root), install our configuration (only
#    ours: Debian's files are kept in etc/asterisk.debian), render ari.conf,
#    mount proc and /dev, start `chroot ROOT /usr/sbin/asterisk`, wait for ARI.
# 3. Check that the modules Switchyard needs are loaded.
#
# stdout: connection facts as KEY=value lines (eval-able / parsed by
# asterisk-conf/asterisktest):
#   SWITCHYARD_ARI_URL=...  SWITCHYARD_ARI_USER=...
#   SWITCHYARD_ARI_PASSWORD_FILE=...  SWITCHYARD_ASTERISK_ROOT=... (ours only)
# stderr: human messages.
#
# Environment:
#   SWITCHYARD_ARI_URL            default http://127.0.0.1:8088/ari
#   SWITCHYARD_ARI_USER           default switchyard
#   SWITCHYARD_ARI_APP            Stasis app of the dialplan (global
#                                 SWITCHYARD_APP, default switchyard)
#   SWITCHYARD_ARI_PASSWORD       password; also written to $CACHE/ari-password
#   SWITCHYARD_ARI_PASSWORD_FILE  file holding the password (first line)
#                                 (neither set: random, generated once, kept in
#                                 $CACHE/ari-password, mode 0600)
#   SWITCHYARD_CACHE_DIR          default ${XDG_CACHE_HOME:-$HOME/.cache}/switchyard
#   SWITCHYARD_DEBIAN_MIRROR      default http://deb.debian.org/debian
#   SWITCHYARD_ASTERISK_TIMEOUT   seconds to wait for ARI after start (60)
#
# Options:
#   --root-only   only build (or verify) the cached root, start nothing
#                 (e.g. to warm a CI cache); prints SWITCHYARD_ASTERISK_ROOT=...
#
# Exit: 0 ready; 1 failure; 2 usage; 3 ARI answers but rejects our credentials.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ARI_URL=${SWITCHYARD_ARI_URL:-$DEFAULT_ARI_URL}
ARI_URL=${ARI_URL%/}
ARI_USER=${SWITCHYARD_ARI_USER:-switchyard}
ARI_APP=${SWITCHYARD_ARI_APP:-switchyard}
MIRROR=${SWITCHYARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
START_TIMEOUT=${SWITCHYARD_ASTERISK_TIMEOUT:-60}
SUITE=sid
PACKAGES=asterisk,asterisk-modules,asterisk-core-sounds-en-gsm

# Modules that must be Running, or Switchyard cannot work.
REQUIRED_MODULES=(
	res_ari.so res_ari_channels.so res_ari_bridges.so res_ari_events.so
	res_ari_playbacks.so res_ari_recordings.so res_ari_endpoints.so
	res_ari_device_states.so res_ari_applications.so res_ari_asterisk.so
	res_stasis.so res_stasis_playback.so res_stasis_recording.so
	res_stasis_answer.so res_stasis_snoop.so res_stasis_device_state.so
	app_stasis.so res_http_websocket.so app_amd.so res_agi.so
	chan_pjsip.so res_pjsip.so pbx_config.so app_dial.so app_playback.so
	app_senddtmf.so res_musiconhold.so bridge_simple.so bridge_softmix.so
	bridge_holding.so format_gsm.so codec_ulaw.so codec_gsm.so
	res_sorcery_astdb.so
)

[[ $ARI_USER =~ ^[A-Za-z0-9._-]+$ ]] ||
	die "SWITCHYARD_ARI_USER='$ARI_USER': use letters, digits, '.', '_' or '-' only"
[[ $ARI_APP =~ ^[A-Za-z0-9._-]+$ ]] ||
	die "SWITCHYARD_ARI_APP='$ARI_APP': use letters, digits, '.', '_' or '-' only"
[[ $START_TIMEOUT =~ ^[0-9]+$ ]] ||
	die "SWITCHYARD_ASTERISK_TIMEOUT='$START_TIMEOUT': want whole seconds"
command -v curl >/dev/null || die "curl is required (apt-get install curl)"

# --- credentials ---------------------------------------------------------------

ARI_PASSWORD=
ARI_PASSWORD_FILE=
read_password_file() { # FILE — first line, surrounding white space removed
	local line=
	IFS= read -r line <"$1" || [ -n "$line" ] || true
	line=${line%$'\r'}
	line="${line#"${line%%[![:space:]]*}"}"
	line="${line%"${line##*[![:space:]]}"}"
	printf '%s' "$line"
}
resolve_password() {
	mkdir -p "$CACHE"
	if [ -n "${SWITCHYARD_ARI_PASSWORD:-}" ]; then
		ARI_PASSWORD=$SWITCHYARD_ARI_PASSWORD
		ARI_PASSWORD_FILE=$CACHE/ari-password
		if [ ! -f "$ARI_PASSWORD_FILE" ] || [ "$(read_password_file "$ARI_PASSWORD_FILE")" != "$ARI_PASSWORD" ]; then
			(umask 077 && printf '%s\n' "$ARI_PASSWORD" >"$ARI_PASSWORD_FILE.new" && mv -f "$ARI_PASSWORD_FILE.new" "$ARI_PASSWORD_FILE")
		fi
	elif [ -n "${SWITCHYARD_ARI_PASSWORD_FILE:-}" ]; then
		ARI_PASSWORD_FILE=$SWITCHYARD_ARI_PASSWORD_FILE
		[ -r "$ARI_PASSWORD_FILE" ] || die "SWITCHYARD_ARI_PASSWORD_FILE=$ARI_PASSWORD_FILE: cannot read it"
		ARI_PASSWORD=$(read_password_file "$ARI_PASSWORD_FILE")
		[ -n "$ARI_PASSWORD" ] || die "SWITCHYARD_ARI_PASSWORD_FILE=$ARI_PASSWORD_FILE: first line is empty"
	else
		ARI_PASSWORD_FILE=$CACHE/ari-password
		if [ ! -s "$ARI_PASSWORD_FILE" ]; then
			log "generating an ARI password in $ARI_PASSWORD_FILE (mode 0600)"
			(umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$ARI_PASSWORD_FILE.new" &&
				echo >>"$ARI_PASSWORD_FILE.new" && mv -f "$ARI_PASSWORD_FILE.new" "$ARI_PASSWORD_FILE")
		fi
		ARI_PASSWORD=$(read_password_file "$ARI_PASSWORD_FILE")
	fi
	# Rules that keep the password the same after Asterisk's config parser.
	case $ARI_PASSWORD in
	*[[:cntrl:]]*) die "the ARI password contains control characters" ;;
	[[:space:]]* | *[[:space:]]) die "the ARI password must not start or end with white space" ;;
	*'\;'*) die "the ARI password must not contain a backslash followed by ';'" ;;
	esac
}

# probe — HTTP status of GET $ARI_URL/asterisk/info with our credentials
# ("000": nothing answers). The password goes through stdin, not argv.
probe() {
	local auth
	auth=$(printf '%s:%s' "$ARI_USER" "$ARI_PASSWORD" | base64 -w0)
	printf 'Authorization: Basic %s\n' "$auth" |
		curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 5 \
			-H @- "$ARI_URL/asterisk/info" 2>/dev/null || true
}

# probe_ws — whether ARI's event websocket accepts a connection within 5 s
# (an HTTP upgrade answered 101 Switching Protocols). Asterisk 22.10 can
# lock up so that plain ARI requests still answer but no websocket is
# accepted any more (a client that stopped reading blocked a websocket
# write; fixed upstream after 22.10): no Switchyard could connect.
probe_ws() (
	set +o pipefail # curl ends on SIGPIPE once head has the status line
	local auth
	auth=$(printf '%s:%s' "$ARI_USER" "$ARI_PASSWORD" | base64 -w0)
	printf 'Authorization: Basic %s\n' "$auth" |
		curl -s -i -N -o - --connect-timeout 2 --max-time 5 -H @- \
			-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
			-H 'Sec-WebSocket-Key: c3dpdGNoeWFyZC11cC1wcm9iZQ==' \
			"$ARI_URL/events?app=switchyard-up-probe" 2>/dev/null | head -c 12 | grep -q ' 101'
)

print_facts() {
	printf 'SWITCHYARD_ARI_URL=%s\n' "$ARI_URL"
	printf 'SWITCHYARD_ARI_USER=%s\n' "$ARI_USER"
	printf 'SWITCHYARD_ARI_PASSWORD_FILE=%s\n' "$ARI_PASSWORD_FILE"
	if [ "${1:-}" = ours ]; then
		printf 'SWITCHYARD_ASTERISK_ROOT=%s\n' "$ROOT"
	fi
}

is_local_default_url() {
	case $ARI_URL in
	http://127.0.0.1:8088/ari | http://localhost:8088/ari) return 0 ;;
	esac
	return 1
}

# --- the root --------------------------------------------------------------------

mounts_below() { # DIR — list mount points at or below DIR
	local d
	d=$(readlink -f "$1")
	findmnt -rn -o TARGET | awk -v d="$d" '$0 == d || index($0, d "/") == 1'
}

safe_rm() { # DIR — rm -rf, but never through a live mount (bind /dev!)
	if [ -n "$(mounts_below "$1")" ]; then
		die "refusing to remove $1: something is mounted below it ($(mounts_below "$1" | tr '\n' ' '))"
	fi
	rm -rf --one-file-system "$1"
}

ensure_root() {
	if [ -x "$ROOT/usr/sbin/asterisk" ] && [ -d "$ROOT/usr/share/asterisk/sounds/en_US_f_Allison" ]; then
		return
	fi
	if [ -e "$ROOT" ]; then
		log "$ROOT is incomplete; rebuilding it"
		safe_rm "$ROOT"
	fi
	if ! command -v debootstrap >/dev/null; then
		log "installing debootstrap (apt-get)"
		apt-get update -qq >&2 || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 ||
			die "apt-get install debootstrap failed"
	fi
	# Leftovers of an interrupted run.
	local old
	for old in "$CACHE"/asterisk-root.tmp.*; do
		[ -d "$old" ] && safe_rm "$old"
	done
	local tmp
	tmp=$(mktemp -d "$CACHE/asterisk-root.tmp.XXXXXX")
	log "building the Asterisk root with debootstrap (Debian $SUITE: $PACKAGES) — a few minutes, once"
	log "  into $tmp; log: $CACHE/debootstrap.log"
	if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
		tail -n 30 "$CACHE/debootstrap.log" >&2 || true
		[ -z "$(mounts_below "$tmp")" ] && rm -rf --one-file-system "$tmp"
		die "debootstrap failed (full log: $CACHE/debootstrap.log)"
	fi
	[ -x "$tmp/usr/sbin/asterisk" ] || die "debootstrap finished but $tmp/usr/sbin/asterisk is missing"
	mv -T "$tmp" "$ROOT"
	log "root ready: $ROOT"
}

# --- configuration -------------------------------------------------------------------

# render_ari CONF_OUT — ari.conf from ari.conf.in with user and password.
render_ari() {
	local tpl pw
	tpl=$(<"$CONF_DIR/ari.conf.in")
	pw=${ARI_PASSWORD//;/\\;} # ';' starts a comment; '\;' is a literal ';'
	# Quoted replacements: in bash 5.2 an unquoted '&' would insert the match.
	tpl=${tpl//@ARI_USER@/"$ARI_USER"}
	tpl=${tpl//@ARI_PASSWORD@/"$pw"}
	(umask 077 && printf '%s\n' "$tpl" >"$1")
}

CHANGED=()
# install_conf — make $ROOT/etc/asterisk hold exactly our files. Sets CHANGED.
install_conf() {
	local etc=$ROOT/etc/asterisk stage f base
	if [ ! -e "$ROOT/etc/asterisk.debian" ]; then
		cp -a "$etc" "$ROOT/etc/asterisk.debian"
		log "Debian's stock configuration kept for reference in $ROOT/etc/asterisk.debian"
	fi
	stage=$(mktemp -d "$ROOT/etc/.asterisk-conf.XXXXXX")
	cp "$CONF_DIR"/*.conf "$stage"/
	render_ari "$stage/ari.conf"
	CHANGED=()
	for f in "$etc"/* "$etc"/.[!.]*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		base=${f##*/}
		if [ ! -e "$stage/$base" ]; then
			rm -rf --one-file-system "$f"
			CHANGED+=("-$base")
		fi
	done
	for f in "$stage"/*; do
		base=${f##*/}
		if ! cmp -s "$f" "$etc/$base"; then
			cp "$f" "$etc/$base"
			CHANGED+=("$base")
		fi
	done
	rm -rf "$stage"
	chmod 0600 "$etc/ari.conf"

	ensure_tls

	# Hold music (musiconhold.conf, class default): links to a few longer
	# prompts of asterisk-core-sounds-en-gsm, since no music package is in
	# the root.
	local moh=$ROOT/var/lib/asterisk/moh/switchyard snd
	mkdir -p "$moh"
	for snd in tt-monkeys tt-allbusy tt-weasels; do
		[ -e "$moh/$snd.gsm" ] || ln -sfn "/usr/share/asterisk/sounds/en/$snd.gsm" "$moh/$snd.gsm"
	done
}

# ensure_tls — the certificate of Asterisk's HTTPS / secure websocket
# (http.conf tlscertfile: the agent desk's WebRTC phone over wss://): made
# once, self-signed, in $CACHE/tls (never in the repository), and copied
# into the root where the chrooted Asterisk reads it.
ensure_tls() {
	local dir=$CACHE/tls keys=$ROOT/var/lib/asterisk/keys
	if [ ! -s "$dir/switchyard-http.pem" ] || [ ! -s "$dir/switchyard-http.key" ]; then
		if ! command -v openssl >/dev/null; then
			log "installing openssl (apt-get) for the local TLS certificate"
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >&2; } ||
				die "openssl is required to make the local TLS certificate (apt-get install openssl)"
		fi
		mkdir -p "$dir"
		log "making a self-signed TLS certificate for Asterisk's HTTPS/WSS in $dir"
		(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
			-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
			-keyout "$dir/switchyard-http.key.new" -out "$dir/switchyard-http.pem.new" >/dev/null 2>&1) ||
			die "openssl could not make the certificate"
		mv -f "$dir/switchyard-http.key.new" "$dir/switchyard-http.key"
		mv -f "$dir/switchyard-http.pem.new" "$dir/switchyard-http.pem"
	fi
	mkdir -p "$keys"
	cmp -s "$dir/switchyard-http.pem" "$keys/switchyard-http.pem" || cp "$dir/switchyard-http.pem" "$keys/switchyard-http.pem"
	cmp -s "$dir/switchyard-http.key" "$keys/switchyard-http.key" || (umask 077 && cp "$dir/switchyard-http.key" "$keys/switchyard-http.key")
}

needs_restart() { # from CHANGED: module set or core options changed
	local c
	for c in "${CHANGED[@]}"; do
		case $c in
		modules.conf | asterisk.conf | -modules.conf | -asterisk.conf) return 0 ;;
		sorcery.conf | -sorcery.conf) return 0 ;; # wizards are set when res_pjsip loads
		esac
	done
	return 1
}

ensure_mounts() {
	mkdir -p "$ROOT/proc" "$ROOT/dev"
	mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
	mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
}

show_logs() {
	local f
	for f in "$ROOT/var/log/asterisk/startup.log" "$ROOT/var/log/asterisk/messages.log"; do
		if [ -s "$f" ]; then
			printf -- '--- %s (last 40 lines) ---\n' "$f" >&2
			tail -n 40 "$f" >&2
		fi
	done
}

start_asterisk() {
	ensure_mounts
	mkdir -p "$ROOT/run/asterisk" "$ROOT/var/log/asterisk" "$ROOT/var/lib/asterisk" \
		"$ROOT/var/spool/asterisk/recording" "$ROOT/var/cache/asterisk"
	# A stale control socket / pid file of a crashed run would make Asterisk
	# think it is already running.
	ours_pid >/dev/null || rm -f "$ROOT/run/asterisk/asterisk.ctl" "$ROOT/run/asterisk/asterisk.pid"
	printf '=== %s up.sh: starting asterisk\n' "$(date -Is)" >>"$ROOT/var/log/asterisk/startup.log"
	log "starting Asterisk in $ROOT"
	# Clean environment (tests' secrets stay out), no inherited stdio (callers
	# read our stdout to EOF) and no lock fd 9.
	(ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
			chroot "$ROOT" /usr/sbin/asterisk \
			</dev/null >>"$ROOT/var/log/asterisk/startup.log" 2>&1 9>&-) ||
		{
			show_logs
			die "asterisk did not start"
		}
}

wait_ari() { # TIMEOUT_SECONDS — until ARI answers 200 with our credentials
	local deadline code=000 wrong=0
	deadline=$((SECONDS + $1))
	while ((SECONDS < deadline)); do
		code=$(probe)
		[ "$code" = 200 ] && return 0
		if [ "$code" != 000 ]; then
			# HTTP answers but ARI does not (404: res_ari not loaded; 401:
			# credentials). Once Asterisk has fully booted that will not
			# change: stop waiting.
			if ((++wrong >= 10)) && [[ $(ast_cli 'core waitfullybooted') == *'fully booted'* ]]; then
				break
			fi
		elif ((SECONDS + $1 - deadline > 5)) && ! ours_pid >/dev/null; then
			break # Asterisk died
		fi
		sleep 0.2
	done
	LAST_CODE=$code
	return 1
}

# set_app_global — the dialplan hands calls to Stasis(${SWITCHYARD_APP});
# extensions.conf sets the global to `switchyard`, this makes it follow
# SWITCHYARD_ARI_APP (again after every start and reload).
set_app_global() {
	local cur
	cur=$(ast_cli 'dialplan show globals')
	if [[ $cur != *"SWITCHYARD_APP=$ARI_APP"$'\n'* ]]; then
		ast_cli "dialplan set global SWITCHYARD_APP $ARI_APP" >/dev/null
		log "dialplan global SWITCHYARD_APP=$ARI_APP (SWITCHYARD_ARI_APP)"
	fi
}

check_modules() {
	local shown m missing=()
	shown=$(ast_cli 'module show like .so') || die "cannot list modules (asterisk -rx 'module show')"
	for m in "${REQUIRED_MODULES[@]}"; do
		grep -Eq "^${m//./\\.}[[:space:]].*[[:space:]]Running([[:space:]]|$)" <<<"$shown" || missing+=("$m")
	done
	if ((${#missing[@]})); then
		show_logs
		die "modules not running: ${missing[*]} (see modules.conf and the log above)"
	fi
	log "modules ok: Stasis/ARI, AMD, AGI, PJSIP, bridges, formats ($(grep -c 'Running' <<<"$shown") modules running)"
}

# --- main --------------------------------------------------------------------------------

ROOT_ONLY=0
for arg in "$@"; do
	case $arg in
	--root-only) ROOT_ONLY=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		printf 'asterisk: error: unknown argument %s (see --help)\n' "$arg" >&2
		exit 2
		;;
	esac
done
if ((ROOT_ONLY)); then
	[ "$(id -u)" = 0 ] || die "building the root needs root (debootstrap)"
	take_lock
	ensure_root
	printf 'SWITCHYARD_ASTERISK_ROOT=%s\n' "$ROOT"
	exit 0
fi

take_lock # before resolve_password: two first runs must not both generate one
resolve_password

if is_local_default_url && ours_running; then
	install_conf
	if ((${#CHANGED[@]})); then
		if needs_restart; then
			log "configuration changed (${CHANGED[*]}): restarting Asterisk"
			stop_asterisk
			start_asterisk
		else
			log "configuration changed (${CHANGED[*]}): core reload"
			ast_cli 'core reload' >/dev/null || die "core reload failed"
		fi
	fi
	if ! wait_ari 20; then
		log "our Asterisk runs but ARI does not answer (HTTP $LAST_CODE): restarting it"
		stop_asterisk
		start_asterisk
		wait_ari "$START_TIMEOUT" || {
			show_logs
			die "ARI did not answer at $ARI_URL within ${START_TIMEOUT}s (HTTP $LAST_CODE)"
		}
	elif ! probe_ws; then
		log "our Asterisk answers ARI requests but accepts no event websocket (locked up): restarting it"
		stop_asterisk
		start_asterisk
		wait_ari "$START_TIMEOUT" || {
			show_logs
			die "ARI did not answer at $ARI_URL within ${START_TIMEOUT}s (HTTP $LAST_CODE)"
		}
	fi
	check_modules
	set_app_global
	log "Asterisk is up (chroot $ROOT), ARI at $ARI_URL as '$ARI_USER'"
	print_facts ours
	exit 0
fi

code=$(probe)
case $code in
200)
	log "ARI already answers at $ARI_URL as '$ARI_USER': reusing that Asterisk (not started by this script)"
	print_facts
	exit 0
	;;
401)
	log "error: an Asterisk answers at $ARI_URL but rejects user '$ARI_USER' (HTTP 401)."
	log "  It is not the local dev Asterisk of $ROOT. Give its ARI credentials"
	log "  (SWITCHYARD_ARI_USER and SWITCHYARD_ARI_PASSWORD or SWITCHYARD_ARI_PASSWORD_FILE)"
	if is_local_default_url; then
		log "  or stop it, so that this script can start the local one on 127.0.0.1:8088."
	else
		log "  or unset SWITCHYARD_ARI_URL to use the local dev Asterisk on 127.0.0.1:8088."
	fi
	exit 3
	;;
000) ;;
*)
	if is_local_default_url; then
		die "something that is not ARI answers at $ARI_URL (HTTP $code); free 127.0.0.1:8088 or set SWITCHYARD_ARI_URL"
	fi
	;;
esac
if ! is_local_default_url; then
	[ "$code" = 000 ] && code="no connection" || code="HTTP $code"
	die "nothing usable answers at SWITCHYARD_ARI_URL=$ARI_URL ($code); a local Asterisk is only started for $DEFAULT_ARI_URL (unset SWITCHYARD_ARI_URL)"
fi
[ "$(id -u)" = 0 ] || die "starting the local Asterisk needs root (debootstrap, chroot, mount); run as root or start Asterisk yourself"
for tool in chroot mount mountpoint findmnt flock; do
	command -v "$tool" >/dev/null || die "$tool is required"
done

ensure_root
install_conf
stop_asterisk # a hung instance whose ARI does not answer
start_asterisk
if ! wait_ari "$START_TIMEOUT"; then
	show_logs
	die "ARI did not answer at $ARI_URL within ${START_TIMEOUT}s (HTTP $LAST_CODE)"
fi
check_modules
set_app_global
log "Asterisk is up (chroot $ROOT), ARI at $ARI_URL as '$ARI_USER'"
print_facts ours
