#!/usr/bin/env bash
# PostgreSQL on loopback only, from Debian's package: a throwaway one for the test suite, or
# with --production the one `make run-production` keeps (registry and Rasa's tracker store).
#
#   scripts/postgres.sh [--production] start   install the server if missing, initdb once,
#                                              start, create the database(s)
#   scripts/postgres.sh [--production] stop    stop it (fine when it is not running)
#   scripts/postgres.sh [--production] url [DB]  print the SQLAlchemy URL of a database
#                                              (default: the first one below)
#   scripts/postgres.sh with CMD...  start, run CMD with HEALTHAID_TEST_POSTGRES_URL set, then stop
#                                    the server again if this call started it (`make test` does
#                                    this, so no server outlives the tests and two clones on one
#                                    machine do not collide on the fixed port); exits with CMD's
#                                    status
#
#             tests (default)           --production
#   data      <repo>/var/pg             <repo>/var/pg-prod
#   port      24432                     24433
#   databases healthaid_test            healthaid (the registry), rasa (Rasa's tracker store)
#   durable   no (fsync off: the data   yes (PostgreSQL's defaults: a county's records and
#             is disposable)            conversations must survive a power cut)
#
# The ports are below Linux's ephemeral range (32768-60999): a client connection's local port
# can never be holding them when the server starts (tests/test_ports.py).
# PGPORT_HEALTHAID and PGROOT_HEALTHAID (the data folder's parent) override the port and the
# folder, so tests can start a production-mode server of their own. Humans and CI run exactly
# this script.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PRODUCTION=0
if [[ "${1:-}" == --production ]]; then PRODUCTION=1; shift; fi
if [[ $PRODUCTION -eq 1 ]]; then
    PGROOT="${PGROOT_HEALTHAID:-$REPO/var/pg-prod}"
    PORT="${PGPORT_HEALTHAID:-24433}"
    DATABASES=(healthaid rasa)
else
    PGROOT="${PGROOT_HEALTHAID:-$REPO/var/pg}"
    PORT="${PGPORT_HEALTHAID:-24432}"
    DATABASES=(healthaid_test)
fi
PGDATA="$PGROOT/data"
SOCKET_DIR="$PGROOT/run"
LOGFILE="$PGROOT/postgres.log"
HOST=127.0.0.1
SUPERUSER=postgres

die() { echo "postgres.sh: $*" >&2; exit 1; }

find_bindir() {
    # The newest installed major version, e.g. /usr/lib/postgresql/15/bin.
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then echo "$dir"; fi
}

install_server() {
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed and only root can apt-get install it"
    # Debian would otherwise create and start its own cluster on port 5432; we need only ours.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/healthaid.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y postgresql
}

bindir() {
    local dir
    dir=$(find_bindir)
    if [[ -z "$dir" ]]; then
        install_server >&2
        dir=$(find_bindir)
        [[ -n "$dir" ]] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/pg_ctl"
    fi
    echo "$dir"
}

# The server refuses to run as root, so root runs the server tools as the postgres OS user.
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

prepare_dirs() {
    mkdir -p "$PGROOT" "$SOCKET_DIR"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' OS user; is the postgresql package installed?"
        chown -R postgres:postgres "$PGROOT"
        runuser -u postgres -- test -x "$PGROOT" \
            || die "the postgres OS user cannot reach $PGROOT; make its parent directories searchable"
    fi
}

init_cluster() {
    local bin=$1
    [[ -f "$PGDATA/PG_VERSION" ]] && return 0
    as_server_user "$bin/initdb" -D "$PGDATA" -U "$SUPERUSER" -E UTF8 --locale=C --auth=reject >/dev/null
    # initdb wrote "reject" everywhere; now trust TCP from 127.0.0.1 only. No line for the Unix
    # socket, so it is refused.
    as_server_user sh -c "cat > '$PGDATA/pg_hba.conf'" <<EOF
# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  trust
EOF
}

is_running() {
    local bin=$1
    [[ -f "$PGDATA/PG_VERSION" ]] && as_server_user "$bin/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

start() {
    local bin
    bin=$(bindir)
    prepare_dirs
    init_cluster "$bin"
    if ! is_running "$bin"; then
        local options="-c listen_addresses=$HOST -c port=$PORT"
        options+=" -c unix_socket_directories='$SOCKET_DIR'"
        if [[ $PRODUCTION -eq 0 ]]; then
            # fsync and friends off: the data is disposable and tests create many databases.
            options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        fi
        as_server_user "$bin/pg_ctl" start -D "$PGDATA" -l "$LOGFILE" -w -t 60 -o "$options" \
            >/dev/null \
            || { tail -n 20 "$LOGFILE" >&2; die "the server did not start (log: $LOGFILE)"; }
    fi
    local database
    for database in "${DATABASES[@]}"; do create_database "$bin" "$database"; done
    echo "PostgreSQL $("$bin/pg_config" --version | awk '{print $2}') on $HOST:$PORT, data in $PGDATA"
}

create_database() {
    local bin=$1 database=$2 exists
    exists=$("$bin/psql" -h "$HOST" -p "$PORT" -U "$SUPERUSER" -d postgres -tAX \
        -c "SELECT 1 FROM pg_database WHERE datname = '$database'")
    if [[ "$exists" != 1 ]]; then
        "$bin/createdb" -h "$HOST" -p "$PORT" -U "$SUPERUSER" "$database"
    fi
}

stop() {
    local bin
    bin=$(find_bindir)
    if [[ -n "$bin" ]] && is_running "$bin"; then
        as_server_user "$bin/pg_ctl" stop -D "$PGDATA" -m fast -w >/dev/null
        echo "PostgreSQL stopped"
    else
        echo "PostgreSQL was not running"
    fi
}

url() {
    echo "postgresql+psycopg://$SUPERUSER@$HOST:$PORT/${1:-${DATABASES[0]}}"
}

with_server() {
    [[ $# -gt 0 ]] || die "usage: $0 with COMMAND [ARGS...]"
    local bin was_running=0 status=0
    bin=$(bindir)
    if is_running "$bin"; then was_running=1; fi
    start
    HEALTHAID_TEST_POSTGRES_URL=$(url) "$@" || status=$?
    # A server someone started by hand (`make postgres`) is theirs; leave it running.
    if [[ $was_running -eq 0 ]]; then stop; fi
    return "$status"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) shift; url "$@" ;;
    with) shift; with_server "$@" ;;
    *) echo "usage: $0 [--production] {start|stop|url [DB]|with COMMAND...}" >&2; exit 2 ;;
esac
