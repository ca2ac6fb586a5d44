#!/usr/bin/env bash
# The monthly-job benchmark (issue 7): levers against polars and DuckDB on the same generated
# month, with the figures checked equal.
#
#   bash benches/monthly.sh                    # 1M and 10M rows, 3 alternating runs each
#   ROWS="1000000" RUNS=5 bash benches/monthly.sh
#   SQL=0 ROWS=10000000 RUNS=7 bash benches/monthly.sh   # without the contract's SQL on DuckDB
#
# For each size it generates a month with the shared generator (../shared/bench/gen_activity.py;
# levers' own generator if that is absent), runs the levers job cold (cache cleared: `levers kpi`,
# then `levers challenges`, which answers from the cache the first command filled), and polars'
# and DuckDB's versions when they are installed (pip install polars duckdb), alternating runs,
# and the contract as SQL from `levers sql` run on DuckDB (its figures checked equal too).
# It reports median wall time, rows per second and peak resident memory, and fails if any
# implementation's figures differ from levers'. Two levers figures jobs are timed: JSON output
# (the figures compared) and table output; and the whole month as cron runs it, `levers run` in
# a fresh git workspace (letter, CSV, workbook, charts, action log, commits), then again on
# unchanged inputs. Every tool writes its output to a file; the month is read once before each
# run; each round starts with a different tool; every paired ratio to polars is printed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared="$here/../shared/bench"
rows_list=${ROWS:-"1000000 10000000"}
runs=${RUNS:-3}
work=${BENCH_DIR:-${TMPDIR:-/tmp}/levers-bench}
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
levers="$here/target/release/levers"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }

have() { python3 -c "import $1" 2>/dev/null; }
measure() { # label, command...: appends "seconds kilobytes" to $work/<label>.times
  # Every tool's output goes to the same kind of sink, a file, and the month is read once
  # before each run, so every run starts from the same warm page cache.
  local label=$1; shift
  cat "$data" > /dev/null
  /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" > "$work/$label.out"
  cat "$work/time.out" >> "$work/$label.times"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
printf '%-10s %-28s %10s %14s %12s\n' rows tool "wall (s)" "rows/s" "peak MiB"
for rows in $rows_list; do
  data="$work/activity_$rows.csv"
  if [ ! -s "$data" ]; then
    if [ -f "$shared/gen_activity.py" ]; then
      python3 "$shared/gen_activity.py" --rows "$rows" --seed 42 --out "$data" 2>/dev/null
    else
      cargo run --release --quiet --manifest-path "$here/Cargo.toml" --example generate -- --activity-rows "$rows" --out "$data" 2>/dev/null
    fi
  fi
  ws="$work/workspace_$rows"
  rm -rf "$ws" && mkdir -p "$ws"
  cp -R "$here/benches/workspace/levers.toml" "$here/benches/workspace/contracts" "$ws/"
  mkdir -p "$ws/contracts/bench/data/activity"
  ln -sf "$data" "$ws/contracts/bench/data/activity/2026-04.csv"
  rm -f "$work"/*.times
  job() { rm -rf "$ws/.levers"; "$levers" --workspace "$ws" kpi -m 2026-04 --today 2026-05-30 --format json > "$work/kpi.json" && "$levers" --workspace "$ws" challenges -m 2026-04 --today 2026-05-30 --format json > "$work/challenges.json"; }
  tables() { rm -rf "$ws/.levers"; "$levers" --workspace "$ws" kpi -m 2026-04 --today 2026-05-30 && "$levers" --workspace "$ws" challenges -m 2026-04 --today 2026-05-30; }
  export -f job tables 2>/dev/null || true
  # The whole month as cron runs it (issue 20): `levers run` in a fresh git workspace each
  # time, cold (the pass, the provisional letter with its CSV, workbook and charts, the action
  # log, the commits). The copy and the first commit are made before the clock starts.
  rws="$work/run_$rows"
  fresh_run_workspace() {
    rm -rf "$rws" && mkdir -p "$rws"
    cp -R "$ws/levers.toml" "$ws/contracts" "$rws/"
    rm -rf "$rws/.levers"
    (cd "$rws" && git init -q && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -qm bench)
  }
  tools=(levers levers-tables levers-run)
  have polars && tools+=(polars)
  have duckdb && tools+=(duckdb)
  # SQL=0 leaves out the contract's SQL on DuckDB (a long run) when only the ratios matter.
  have duckdb && [ "${SQL:-1}" != 0 ] && tools+=(levers-sql-duckdb)
  for round in $(seq "$runs"); do
    # Each round starts with a different tool, so no tool always runs first or after another.
    k=${#tools[@]}
    for i in $(seq 0 $((k - 1))); do
      tool=${tools[$(( (i + round) % k ))]}
      case $tool in
        levers) measure levers bash -c "$(declare -f job); levers='$levers' ws='$ws' work='$work' job" ;;
        levers-tables) measure levers-tables bash -c "$(declare -f tables); levers='$levers' ws='$ws' tables" ;;
        levers-run) fresh_run_workspace; measure levers-run "$levers" --workspace "$rws" run --today 2026-05-29 ;;
        polars) measure polars python3 "$shared/polars_monthly.py" "$data" ;;
        duckdb) measure duckdb python3 "$shared/duckdb_monthly.py" "$data" ;;
        # The contract as SQL (levers sql, issue 19) run on DuckDB: the script written, the
        # month typed under levers' cell rules, both views written to files.
        levers-sql-duckdb) measure levers-sql-duckdb bash -c "'$levers' --workspace '$ws' sql -c bench --month 2026-04 --today 2026-05-30 > '$work/bench.sql' && python3 '$here/benches/sql_duckdb.py' '$work/bench.sql' '$work/sql-views'" ;;
      esac
    done
  done
  # The second, warm question: everything answered from the cache.
  measure levers-cached "$levers" --workspace "$ws" kpi -m 2026-04 --today 2026-05-30 --format json
  python3 "$here/benches/levers_figures.py" "$work/kpi.json" "$work/challenges.json" > "$work/levers.json"
  # Again on unchanged inputs: nothing is due, and the cached month answers.
  measure levers-run-again "$levers" --workspace "$rws" run --today 2026-05-29
  for label in levers levers-tables levers-run levers-run-again levers-cached polars duckdb levers-sql-duckdb; do
    [ -s "$work/$label.times" ] || continue
    wall=$(cut -d' ' -f1 "$work/$label.times" | median)
    mem=$(cut -d' ' -f2 "$work/$label.times" | sort -n | tail -1)
    printf '%-10s %-28s %10.2f %14.0f %12.0f\n' "$rows" "$label" "$wall" "$(echo "$rows / $wall" | bc -l)" "$(echo "$mem / 1024" | bc -l)"
  done
  # The goal of issue 7 is a ratio of medians; the paired runs (the two tools' times in the
  # same round) show how far the machine's noise moves it, and their median, which a slow
  # spell of the machine moves less (it slows both tools of a round), is printed beside it.
  if [ -s "$work/polars.times" ]; then
    pw=$(cut -d' ' -f1 "$work/polars.times" | median)
    for label in levers levers-tables levers-run; do
      lw=$(cut -d' ' -f1 "$work/$label.times" | median)
      ratios=$(paste -d' ' <(cut -d' ' -f1 "$work/$label.times") <(cut -d' ' -f1 "$work/polars.times") |
        awk '{printf "%.4f\n", $1 / $2}')
      paired=$(echo "$ratios" | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1}')
      printf '%-10s %s / polars: %.2fx (medians), %.2fx (median paired); paired runs: %s\n' "$rows" "$label" \
        "$(echo "$lw / $pw" | bc -l)" "$(echo "$ratios" | median)" "$paired"
    done
  fi
  # The whole run against levers' own figures job (the goal: within twice its time).
  fw=$(cut -d' ' -f1 "$work/levers.times" | median)
  rw=$(cut -d' ' -f1 "$work/levers-run.times" | median)
  printf '%-10s levers-run / levers (figures job): %.2fx (medians)\n' "$rows" "$(echo "$rw / $fw" | bc -l)"
  # levers' SQL on DuckDB: every KPI figure and challenge equal to levers' own.
  if have duckdb && [ "${SQL:-1}" != 0 ]; then
    python3 "$here/tests/sql/verify.py" --levers "$levers" --workspace "$ws" --today 2026-05-30 \
      --engines duckdb --months 2026-04 --contracts bench | sed "s|^|$rows levers sql on DuckDB: |"
  fi
  for tool in polars duckdb; do
    if have $tool; then
      python3 "$shared/${tool}_monthly.py" "$data" > "$work/$tool.json"
      python3 "$shared/compare_json.py" "$work/levers.json" "$work/$tool.json" | sed "s|$work/||g"
    fi
  done
done
