#!/usr/bin/env bash
# The browser test (issue 18): the example workspace's board pack and a letter with its charts,
# rendered in headless Chromium; fails on a blank page, a broken image, a console error or an
# external request, or text overflowing its box. Screenshots go to target/browser/ for a person
# to look at.
#
#   bash tests/browser/run.sh        (needs chromium, pandoc, node and npm; .ci/run installs them)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out="$here/target/browser"
rm -rf "$out" && mkdir -p "$out"
if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
  npm install --silent --no-audit --no-fund --prefix "$here/tests/browser" playwright-core@1 >/dev/null
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/levers-browser.XXXXXX")
bash "$here/examples/monthly-cycle.sh" "$work/ws" > "$out/monthly-cycle.log" 2>&1
levers="$here/target/release/levers"
"$levers" --workspace "$work/ws" report --today 2026-11-25 --out "$out/board-pack.html"
letters="$work/ws/contracts/northshore-acute/letters"
# The letter as the provider reads it: pandoc to HTML beside its charts.
pandoc --standalone --metadata title="Letter" --resource-path="$letters" \
  "$letters/2026-10-provisional.md" -o "$letters/2026-10-provisional.html"
node "$here/tests/browser/check.mjs" "$out" "$out/board-pack.html" "$letters/2026-10-provisional.html"
rm -rf "$work"
echo "screenshots: $out"
