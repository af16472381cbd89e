#!/usr/bin/env bash
# Renders every kiosk screen in a real window on a virtual display (Xvfb) and writes PNGs to OUT:
# the kiosk's own tour mode captures each screen from its canvas, and xwd grabs the whole display
# once, as a person would see it.
set -euo pipefail
bin=$1 out=$2
mkdir -p "$out"
disp=:${SCREENSHOT_DISPLAY:-78}
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
data=$(mktemp -d)
DISPLAY=$disp LANG=zh_CN.UTF-8 "$bin" --demo --data "$data" --tour "$out" --xwd-display "$disp"
rm -rf "$data"
ls -1 "$out"/*.png
