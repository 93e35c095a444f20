#!/usr/bin/env bash
# A throwaway Redis for the test suite, on loopback only, with no persistence, its pid and log
# under <repo>/var/redis.
#
#   scripts/redis.sh start   install the server if missing (Debian's redis-server), start it
#   scripts/redis.sh stop    stop it (fine when it is not running)
#   scripts/redis.sh url     print the URL of the test server
#   scripts/redis.sh with CMD...  start, run CMD with HEALTHAID_TEST_REDIS_URL set, then stop the
#                                 server again if this call started it (`make test` does this,
#                                 so no server outlives the tests); exits with CMD's status
#
# The ports are below Linux's ephemeral range (32768-60999): a client connection's local port
# can never be holding them when the server starts (tests/test_ports.py).
# Port 24379 unless REDIS_PORT_HEALTHAID is set. Humans and CI run exactly this script.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT="${REDIS_PORT_HEALTHAID:-24379}"
ROOT="$REPO/var/redis/$PORT"
PIDFILE="$ROOT/redis.pid"
LOGFILE="$ROOT/redis.log"
HOST=127.0.0.1

die() { echo "redis.sh: $*" >&2; exit 1; }

install_server() {
    [[ $(id -u) -eq 0 ]] || die "redis-server is not installed and only root can apt-get install it"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y redis-server
    # Debian starts its own server on port 6379 where an init system runs; we need only ours.
    if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
        systemctl disable --now redis-server
    fi
}

server() {
    if ! command -v redis-server >/dev/null; then
        install_server >&2
        command -v redis-server >/dev/null || die "apt-get installed redis-server but it is not on PATH"
    fi
    command -v redis-server
}

# Ours only: a server someone else runs on the same port has no pid file here.
is_running() {
    [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

start() {
    local bin
    bin=$(server)
    mkdir -p "$ROOT"
    if ! is_running; then
        # No RDB snapshots and no AOF: the data is disposable.
        "$bin" --bind "$HOST" --port "$PORT" --protected-mode yes --daemonize yes \
            --pidfile "$PIDFILE" --logfile "$LOGFILE" --dir "$ROOT" \
            --save "" --appendonly no >/dev/null
        local tries=0
        until redis-cli -h "$HOST" -p "$PORT" ping >/dev/null 2>&1 && is_running; do
            tries=$((tries + 1))
            if [[ $tries -ge 50 ]]; then
                tail -n 20 "$LOGFILE" >&2 || true
                die "the server did not start on $HOST:$PORT (log: $LOGFILE)"
            fi
            sleep 0.1
        done
    fi
    echo "Redis $("$bin" --version | sed -E 's/.* v=([^ ]+).*/\1/') on $HOST:$PORT, no persistence"
}

stop() {
    if is_running; then
        local pid
        pid=$(cat "$PIDFILE")
        kill -TERM "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && die "the server (pid $pid) did not stop"
        rm -f "$PIDFILE"
        echo "Redis stopped"
    else
        echo "Redis was not running"
    fi
}

url() {
    echo "redis://$HOST:$PORT/0"
}

with_server() {
    [[ $# -gt 0 ]] || die "usage: $0 with COMMAND [ARGS...]"
    local was_running=0 status=0
    if is_running; then was_running=1; fi
    start
    HEALTHAID_TEST_REDIS_URL=$(url) "$@" || status=$?
    # A server someone started by hand (`scripts/redis.sh start`) is theirs; leave it running.
    if [[ $was_running -eq 0 ]]; then stop; fi
    return "$status"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) url ;;
    with) shift; with_server "$@" ;;
    *) echo "usage: $0 {start|stop|url|with COMMAND...}" >&2; exit 2 ;;
esac
