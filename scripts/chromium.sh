#!/usr/bin/env bash
# Make sure Debian's headless Chromium and its driver are installed (for the widget's browser
# test). Prints the two paths. CI machines are fresh Debian and we are root there.
set -euo pipefail
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "chromium and chromium-driver are missing; install them (apt-get install chromium chromium-driver)" >&2
    exit 1
  fi
  echo "installing chromium and chromium-driver from Debian's packages…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2
fi
command -v chromium
command -v chromedriver
