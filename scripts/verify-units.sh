#!/usr/bin/env bash
# Check deploy/systemd/ with `systemd-analyze verify`, as a county server would load the units.
#
#   scripts/verify-units.sh    exits 0 when systemd finds nothing to say about any unit
#
# The units run programs under /opt/healthaid, which does not exist here, so they are checked
# in a scratch root (--root) holding the units, this machine's own system units (sysinit.target
# and the rest) and an empty executable at every path an ExecStart= names. Unknown keys only
# warn in systemd-analyze, so any output at all counts as a failure. Needs systemd-analyze
# (Debian's systemd package); it does not need systemd to be running.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UNITS="$REPO/deploy/systemd"

command -v systemd-analyze >/dev/null || { echo "verify-units.sh: no systemd-analyze" >&2; exit 2; }

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/usr/lib/systemd" "$ROOT/etc/systemd/system"
cp -a /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
cp "$UNITS"/* "$ROOT/etc/systemd/system/"
# An empty executable for each program the units start (the first word of ExecStart=).
for program in $(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$UNITS"/* | sort -u); do
    mkdir -p "$ROOT$(dirname "$program")"
    printf '#!/bin/sh\n' > "$ROOT$program"
    chmod +x "$ROOT$program"
done

# Templates are verified through one instance each, as the target starts them.
units=()
for path in "$UNITS"/*; do
    name=$(basename "$path")
    case "$name" in
        *@.service) units+=("${name%@.service}@1.service") ;;
        *) units+=("$name") ;;
    esac
done

said=$(cd "$ROOT/etc/systemd/system" && systemd-analyze verify --root="$ROOT" "${units[@]}" 2>&1) \
    || status=$?
if [[ -n "$said" || ${status:-0} -ne 0 ]]; then
    echo "$said" >&2
    echo "verify-units.sh: systemd-analyze verify found problems in deploy/systemd" >&2
    exit 1
fi
echo "deploy/systemd: ${#units[@]} units verified by $(systemd-analyze --version | head -n 1)"
