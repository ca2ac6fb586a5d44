#!/usr/bin/env bash
# Charts and the board pack (issue 18): on a copy of the example workspace, the median of RUNS
# runs of `levers report` (every contract's month, 26 KPIs with their charts, one HTML page) and
# of a letter with its charts (13 KPIs over up to 19 months), cache warm.
#
#   bash benches/board.sh            RUNS=11 bash benches/board.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-7}
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
levers="$here/target/release/levers"
ws=$(mktemp -d "${TMPDIR:-/tmp}/levers-board.XXXXXX")
cp -R "$here/levers.toml" "$here/contracts" "$ws/"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
time_of() { # command...: wall seconds
  local start end
  start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
"$levers" --workspace "$ws" report --today 2026-11-25 > /dev/null # fills the cache
report=$(for _ in $(seq "$runs"); do time_of "$levers" --workspace "$ws" report --today 2026-11-25 --out "$ws/pack.html"; done | median)
letter=$(for _ in $(seq "$runs"); do
  rm -rf "$ws/contracts/northshore-acute/letters/2026-10-charts" "$ws/contracts/northshore-acute/letters/2026-10-provisional.md"
  time_of "$levers" --workspace "$ws" letter -c northshore-acute -m 2026-10 --stage provisional --today 2026-11-25
done | median)
printf 'board pack (2 contracts, 26 KPIs, %s KB): %.3f s (median of %s)\n' "$(( $(wc -c < "$ws/pack.html") / 1024 ))" "$report" "$runs"
printf 'letter with its charts and icons (13 KPIs): %.3f s (median of %s)\n' "$letter" "$runs"
rm -rf "$ws"
