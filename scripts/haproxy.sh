#!/usr/bin/env bash
# HAProxy for the production profile (`make run-production`) and its tests: Debian's package,
# installed when missing, the way postgres.sh installs PostgreSQL.
#
#   scripts/haproxy.sh path        install haproxy if missing (root only), print the binary's path
#   scripts/haproxy.sh check FILE  validate a configuration file (haproxy -c -f FILE)
#
# The process itself is started in the foreground by healthaid/production.py (haproxy -db), so
# that Ctrl-C stops it with the rest of the stack; Debian's own service is left disabled.
# Why HAProxy: it hashes on a request header with a consistent hash (one conversation stays on
# one Rasa instance), health-checks and fails over, and is in Debian (2.6 in bookworm), which
# is what a county's IT team can install and update (../shared/research/scale-out.md §3.1).
set -euo pipefail

die() { echo "haproxy.sh: $*" >&2; exit 1; }

install_haproxy() {
    [[ $(id -u) -eq 0 ]] || die "haproxy is not installed and only root can apt-get install it"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y haproxy
    # Debian starts its own instance where an init system runs; we need only ours.
    if command -v systemctl >/dev/null && systemctl is-active --quiet haproxy 2>/dev/null; then
        systemctl disable --now haproxy
    fi
}

binary() {
    if ! command -v haproxy >/dev/null; then
        install_haproxy >&2
        command -v haproxy >/dev/null || die "apt-get installed haproxy but it is not on PATH"
    fi
    command -v haproxy
}

check() {
    [[ $# -eq 1 ]] || die "usage: $0 check FILE"
    # -dW: a warning fails the check too (a dropped log format, a server line it ignores).
    "$(binary)" -c -dW -f "$1"
}

case "${1:-}" in
    path) binary ;;
    check) shift; check "$@" ;;
    *) echo "usage: $0 {path|check FILE}" >&2; exit 2 ;;
esac
