#!/usr/bin/env bash
# Installs the Debian packages Checkpoint needs that are missing, and nothing else. Idempotent.
#   scripts/deps.sh run    what `make run` needs: Fyne's X11/GL headers, OpenCV (camera), ALSA (sound), Xvfb for a headless display
#   scripts/deps.sh test   what `make test` needs: the above, PostgreSQL, peer QR decoders, screenshot tools,
#                          headless Chromium and a CJK font for the citizen pages' browser test, and poppler's
#                          pdftoppm to read the console's printed code cards
# Runs apt-get as root, or through sudo.
set -euo pipefail
what=${1:-test}

run_pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
	libxxf86vm-dev libopencv-dev libopencv-contrib-dev libasound2-dev xvfb)
test_pkgs=("${run_pkgs[@]}" postgresql x11-apps xdotool imagemagick zbar-tools libzbar-dev zxing-cpp-tools libzxing-dev g++
	chromium fonts-noto-cjk poppler-utils)
case "$what" in
run) pkgs=("${run_pkgs[@]}") ;;
test | bench | all) pkgs=("${test_pkgs[@]}") ;;
*) echo "usage: scripts/deps.sh run|test" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} Debian packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; refresh them at most once an hour.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -60 2>/dev/null | head -n 1)" ]; then
	$sudo apt-get update -qq
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
