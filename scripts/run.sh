#!/usr/bin/env bash
# Starts the kiosk. On a machine without a display (a server, CI, a container) it first starts a
# virtual one with Xvfb and says so, so that `make run` works everywhere.
set -euo pipefail
bin=$1; shift
# Fyne reads the locale from LANG and complains about "C"; the kiosk speaks Chinese by default anyway.
case "${LANG:-C}" in C | C.* | POSIX) export LANG=zh_CN.UTF-8 ;; esac
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
	export DISPLAY=:${KIOSK_XVFB_DISPLAY:-77}
	if ! xdpyinfo -display "$DISPLAY" >/dev/null 2>&1 && [ ! -e "/tmp/.X11-unix/X${DISPLAY#:}" ]; then
		Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
		sleep 1
	fi
	echo "run: no display found; the kiosk runs on the virtual display $DISPLAY (Xvfb)."
	echo "run: take a look with: xwd -root -display $DISPLAY | convert xwd:- kiosk.png"
fi
exec "$bin" "$@"
