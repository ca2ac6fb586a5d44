#!/usr/bin/env bash
# The challenge workbook at scale (issue 17): the provisional letter of a large generated month
# (its CSV and .xlsx companions), the workbook answered row by row as a provider might, and
# `levers respond` reading it back, then the same file again (a no-op).
#
#   bash benches/workbook.sh                    # the 10M-row month (about 450,000 challenges)
#   ROWS=1000000 bash benches/workbook.sh
#
# Reports wall time and peak resident memory of each step (/usr/bin/time), and the sizes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared="$here/../shared/bench"
rows=${ROWS:-10000000}
work=${BENCH_DIR:-${TMPDIR:-/tmp}/levers-bench}
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin levers --example generate
levers="$here/target/release/levers"
generate="$here/target/release/examples/generate"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }
data="$work/activity_$rows.csv"
if [ ! -s "$data" ]; then
  if [ -f "$shared/gen_activity.py" ]; then
    python3 "$shared/gen_activity.py" --rows "$rows" --seed 42 --out "$data" 2>/dev/null
  else
    "$generate" --activity-rows "$rows" --out "$data" 2>/dev/null
  fi
fi
ws="$work/workbook_$rows"
rm -rf "$ws" && mkdir -p "$ws"
cp -R "$here/benches/workspace/levers.toml" "$here/benches/workspace/contracts" "$ws/"
mkdir -p "$ws/contracts/bench/data/activity"
ln -sf "$data" "$ws/contracts/bench/data/activity/2026-04.csv"
step() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" > "$work/step.out" 2>&1 || { cat "$work/step.out"; exit 1; }
  read -r wall kb < "$work/time.out"
  printf '%-44s %9.2f s %9.0f MiB\n' "$label" "$wall" "$(echo "$kb / 1024" | bc -l)"
}
echo "machine: $(nproc) cores; $rows rows"
step "pass (kpi, fills the cache)" "$levers" --workspace "$ws" kpi -m 2026-04 --today 2026-05-30
letters="$ws/contracts/bench/letters"
step "letter: markdown + CSV + workbook" "$levers" --workspace "$ws" letter -c bench -m 2026-04 --stage provisional --today 2026-05-30 --force
book="$letters/2026-04-provisional-challenges.xlsx"
challenges=$(($(wc -l < "$letters/2026-04-provisional-challenges.csv") - 1))
echo "challenges: $challenges; workbook $(du -h "$book" | cut -f1), CSV $(du -h "$letters/2026-04-provisional-challenges.csv" | cut -f1)"
step "answer every row (the example generator)" "$generate" --answer-workbook "$book" --out "$work/answered.xlsx"
step "respond: read, check, append" "$levers" --workspace "$ws" respond -c bench "$work/answered.xlsx" --today 2026-06-01
step "respond again (nothing to record)" "$levers" --workspace "$ws" respond -c bench "$work/answered.xlsx" --today 2026-06-01
echo "log: $(($(wc -l < "$ws/contracts/bench/challenge-log.csv") - 1)) events"
