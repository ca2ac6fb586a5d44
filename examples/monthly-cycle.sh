#!/usr/bin/env bash
# The monthly job on the example workspace, safely: copies levers.toml and contracts/ into a
# fresh git repository (a temporary folder, or DIR if given) and runs `levers run` there, so the
# levers repository itself is never written to or committed into.
#
#   bash examples/monthly-cycle.sh [DIR] [--today YYYY-MM-DD]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=""
today="2026-11-25"
while [ $# -gt 0 ]; do
  case "$1" in
    --today) today="$2"; shift 2 ;;
    *) dir="$1"; shift ;;
  esac
done
[ -n "$dir" ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/levers-example.XXXXXX")
mkdir -p "$dir"
if [ -e "$dir/levers.toml" ]; then
  echo "$dir already holds a workspace; give an empty folder" >&2
  exit 2
fi
echo "== building levers (cargo build --release; the first build takes a minute or two)"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
levers="$here/target/release/levers"
cp -R "$here/levers.toml" "$here/contracts" "$dir"/
cd "$dir"
git init --quiet
git add -A
git -c user.name="levers example" -c user.email="example@localhost" commit --quiet -m "Example workspace: contracts, data, submissions, challenge log and meetings"
echo "== levers check"
"$levers" check --today "$today"
echo "== levers run --today $today"
echo "   The example ships its history of letters up to mid-November 2026. As of $today the"
echo "   September final letters and the October provisional letters are due: run writes them,"
echo "   and the action logs, and commits each in the copy."
"$levers" run --today "$today"
echo "== levers status --today $today"
"$levers" status --today "$today"
echo
echo "The workspace, its letters and its audit trail (git log) are in $dir"
echo "Read the October provisional letter: $dir/contracts/northshore-acute/letters/2026-10-provisional.md"
