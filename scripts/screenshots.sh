#!/usr/bin/env bash
# Renders every kiosk screen in a real window on a virtual display (Xvfb) and writes PNGs, in
# Chinese to OUT and in English to OUT/en: the kiosk's own tour mode drives each screen, and xwd
# grabs the display as a person would see it. Each language runs on a fresh demo. Then the citizen
# pages (吉事办) and the HQ console in headless Chromium.
set -euo pipefail
bin=$1 out=$2
disp=:${SCREENSHOT_DISPLAY:-78}
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
data=$(mktemp -d)
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$data"' EXIT
sleep 1
for lang in zh en; do
	dir=$out
	[ "$lang" = en ] && dir=$out/en
	mkdir -p "$dir"
	rm -f "$dir"/[0-9][0-9]-*.png
	DISPLAY=$disp LANG=zh_CN.UTF-8 "$bin" --demo --data "$data/$lang" --lang "$lang" --tour "$dir" --xwd-display "$disp"
	echo "screenshots ($lang): $(ls -1 "$dir"/*.png | wc -l) in $dir"
done
# 吉事办, the citizen pages, in headless Chromium at a phone's size (360×740, scale 2).
CHECKPOINT_SCREENSHOTS=$(realpath "$out") go test -count=1 -run TestBrowserCitizenFlow ./hq/web/ >/dev/null
echo "screenshots (citizen pages): $(ls -1 "$out"/citizen-*.png | wc -l) in $out"
# The HQ console (登录, 总览, 风险地区, 人员状态, 终端, 签发密钥, 操作员, 审计日志 …) in headless Chromium at
# desktop size (1280×860), and the kiosk scenario's pages (站点与人员, 待处理记录, 设置).
CHECKPOINT_SCREENSHOTS=$(realpath "$out") go test -count=1 -run 'TestBrowserConsole$|TestBrowserKioskScenario' ./hq/console/ >/dev/null
echo "screenshots (console): $(ls -1 "$out"/console-*.png | wc -l) in $out"
