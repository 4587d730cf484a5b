#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with a database
# `test` that user `postgres` can reach without a password — what the store
# test suite expects (SWITCHYARD_TEST_DATABASE_URL defaults to
# postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
#
# Idempotent:
#   * if something already answers on 127.0.0.1:5432 it is left alone (only
#     a missing `test` database is created, if we can connect);
#   * otherwise, on Debian/Ubuntu: apt-get install postgresql, make sure the
#     newest cluster listens on localhost:5432, trust loopback connections
#     (TEST MACHINES ONLY: any local user can then connect as any role),
#     start it without systemd, create the `test` database and a `root` role.
#
# Prints what it did on stdout; errors go to stderr with a non-zero exit.
set -euo pipefail

HOST=127.0.0.1
PORT=5432
DB=test
MARK="# switchyard ensure-postgres: trust loopback for tests"

say() { echo "ensure-postgres: $*"; }
die() { echo "ensure-postgres: ERROR: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and sudo is missing"
  SUDO=(sudo -n)
fi
as_root() { "${SUDO[@]}" "$@"; }

answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$HOST" -p "$PORT" -t 2
  else
    # No client tools yet: a plain TCP probe.
    timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null
  fi
}

# psql as the postgres role over TCP (the URL the tests use).
pg() { psql -X -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres -d postgres -tA "$@"; }

ensure_test_db() {
  if ! command -v psql >/dev/null; then
    say "psql not installed; cannot check database '$DB'"
    return 1
  fi
  if ! PGCONNECT_TIMEOUT=5 pg -c 'SELECT 1' >/dev/null 2>&1; then
    say "cannot connect as postgres@$HOST:$PORT without a password; not checking database '$DB'"
    return 1
  fi
  if [ "$(pg -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
    say "database '$DB' exists"
  else
    pg -c "CREATE DATABASE \"$DB\"" >/dev/null
    say "created database '$DB'"
  fi
  if [ "$(pg -c "SELECT 1 FROM pg_roles WHERE rolname = 'root'")" != 1 ]; then
    pg -c 'CREATE ROLE root SUPERUSER LOGIN' >/dev/null
    say "created role 'root' (superuser, for psql as root)"
  fi
}

# The fault tests (make test-faults) start private clusters with initdb and
# pg_ctl: the server binaries must be installed even when the test server
# runs elsewhere.
ensure_server_binaries() {
  if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null; then
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    say "WARNING: PostgreSQL server binaries (initdb, pg_ctl) missing and apt-get unavailable: the fault tests will skip"
    return 0
  fi
  say "installing the PostgreSQL server binaries for the fault tests (apt-get install -y postgresql)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
}

# --- already running: leave it alone ------------------------------------
if answers; then
  ensure_server_binaries
  say "PostgreSQL already answers on $HOST:$PORT; leaving it as is"
  ensure_test_db || say "WARNING: check that $HOST:$PORT accepts postgres without a password and has database '$DB'"
  exit 0
fi

# --- fresh machine: install ----------------------------------------------
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  command -v apt-get >/dev/null || die "nothing answers on $HOST:$PORT and apt-get is not available: install PostgreSQL yourself or set SWITCHYARD_TEST_DATABASE_URL"
  say "installing PostgreSQL (apt-get update && apt-get install -y postgresql)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
  say "installed: $(ls /usr/lib/postgresql | tr '\n' ' ')"
fi

VER=$(ls /usr/lib/postgresql | sort -V | tail -n1)
[ -n "$VER" ] || die "no PostgreSQL version found under /usr/lib/postgresql"

# The package normally creates the "main" cluster; create it if it did not
# (e.g. create_main_cluster = false in createcluster.conf).
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$VER" '$1 == v && $2 == "main"' | grep -q .; then
  say "creating cluster $VER/main on port $PORT"
  as_root pg_createcluster "$VER" main --port "$PORT" >/dev/null
fi

CONF=/etc/postgresql/$VER/main
# Port 5432 may have been taken when the cluster was created (then Debian
# picks 5433); we checked above that nothing answers on it now.
if [ "$(as_root pg_conftool -s "$VER" main show port 2>/dev/null || echo "$PORT")" != "$PORT" ]; then
  as_root pg_conftool "$VER" main set port "$PORT"
  say "set port = $PORT in $CONF/postgresql.conf"
fi
listen=$(as_root pg_conftool -s "$VER" main show listen_addresses 2>/dev/null || echo localhost)
case ",$listen," in
  *,localhost,* | *,127.0.0.1,* | *,\*,*) ;;
  *)
    as_root pg_conftool "$VER" main set listen_addresses "localhost"
    say "set listen_addresses = localhost (was '$listen')"
    ;;
esac

# Trust on loopback, prepended so it wins over Debian's peer/scram lines.
HBA=$CONF/pg_hba.conf
if ! as_root grep -qF "$MARK" "$HBA"; then
  tmp=$(mktemp)
  {
    echo "$MARK"
    echo "local   all   all                  trust"
    echo "host    all   all   127.0.0.1/32   trust"
    echo "host    all   all   ::1/128        trust"
    echo "# end switchyard ensure-postgres"
    as_root cat "$HBA"
  } >"$tmp"
  as_root install -m 0640 -o postgres -g postgres "$tmp" "$HBA"
  rm -f "$tmp"
  say "trusting loopback connections in $HBA (test machines only)"
fi

# Start (or restart, to pick up the port/hba changes) without systemd.
if pg_lsclusters -h | awk -v v="$VER" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$VER" main restart
  say "restarted cluster $VER/main"
else
  as_root pg_ctlcluster --skip-systemctl-redirect "$VER" main start
  say "started cluster $VER/main"
fi

for _ in $(seq 1 30); do
  answers && break
  sleep 1
done
answers || die "cluster $VER/main started but $HOST:$PORT does not answer; see /var/log/postgresql/postgresql-$VER-main.log"
say "PostgreSQL $VER answers on $HOST:$PORT"

ensure_test_db || die "cannot connect as postgres@$HOST:$PORT after setup"
