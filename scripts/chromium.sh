#!/usr/bin/env bash
# Make sure Debian's headless Chromium and its driver are installed (for the widget's browser
# test). Prints the two paths. CI machines are fresh Debian and we are root there.
set -euo pipefail
# fonts-wqy-microhei: Chinese glyphs, so the test's screenshots are readable by a person.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
   || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: apt-get install chromium chromium-driver fonts-wqy-microhei" >&2
    exit 1
  fi
  echo "installing chromium, chromium-driver and a Chinese font from Debian's packages…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
    fonts-wqy-microhei >&2
fi
command -v chromium
command -v chromedriver
