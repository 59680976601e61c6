#!/bin/bash
# tests/run-lanes.sh [--host-only | --vm-only] [FILE.bats...]
#
# Runs the bats suite (default: tests/*.bats) in both test lanes, one after
# the other:
#   host  bats directly on this machine (HUSK_LANE=host)
#   vm    the same files inside the QEMU guest of tests/vm/run.sh
#         (HUSK_LANE=vm: cgroup v2 with every controller, IPVLAN, ...)
# Each lane's TAP streams as it runs, prefixed with the lane's name (failing
# tests' output is in its '#' lines) and is kept in build/lanes/<lane>.tap.
# Then, again, each failing test with its '#' lines (so that the end of a
# long log, which is all some CI views keep, names what failed), per-lane
# counts and durations, and as the very last line the totals over both lanes:
#   N passed, N failed, N skipped
# Exits non-zero when a test failed in either lane, or a lane did not run to
# its end (the guest failed to boot or return, bats could not start, a file
# had fewer results than it planned): each such lane counts one failure more.
set -uo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
OUTDIR=$TREE/build/lanes

usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

lanes="host vm"
files=()
for arg in "$@"; do
  case $arg in
    --host-only) lanes=host ;;
    --vm-only) lanes=vm ;;
    -h | --help) usage ;;
    -*) echo "run-lanes: unknown option $arg" >&2; usage ;;
    *)
      [ -f "$arg" ] || { echo "run-lanes: no such file: $arg" >&2; exit 2; }
      # Absolute paths: the guest sees the tree at the same path, but may
      # start in another directory.
      files+=("$(cd "$(dirname "$arg")" && pwd -P)/$(basename "$arg")") ;;
  esac
done
if [ ${#files[@]} = 0 ]; then
  files=("$TREE"/tests/*.bats)
  [ -e "${files[0]}" ] || { echo "run-lanes: no tests/*.bats" >&2; exit 2; }
fi

# Each run counts its own copy (runs may overlap); the last one to finish
# leaves its TAP in build/lanes/ to read afterwards.
mkdir -p "$OUTDIR"
work=$(mktemp -d "$OUTDIR/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Counts a lane's TAP into the globals passed, failed, skipped and notes the
# reasons a lane did not finish in $trouble.  $1: TAP file, $2: exit status.
count_tap() {
  local tap=$1 rc=$2 plan
  read -r plan passed failed skipped < <(awk '
    /^1\.\.[0-9]+$/ { split($0, p, "\\.\\."); plan += p[2]; next }
    /^ok [0-9]+ / { if ($0 ~ / # [Ss][Kk][Ii][Pp]( |$)/) s++; else ok++; next }
    /^not ok [0-9]+ / { f++ }
    END { printf "%d %d %d %d\n", plan, ok, f, s }' "$tap")
  trouble=
  local seen=$((passed + failed + skipped))
  if [ "$plan" = 0 ] && [ "$seen" = 0 ]; then
    trouble="no TAP plan: the lane did not run (exit status $rc)"
    failed=$((failed + 1))
  elif [ "$seen" -lt "$plan" ]; then
    trouble="$((plan - seen)) of $plan planned tests reported nothing (exit status $rc)"
    failed=$((failed + plan - seen))
  elif [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
    trouble="bats exited with status $rc without a failing test"
    failed=$((failed + 1))
  fi
}

run_lane() {
  local lane=$1 tap=$work/$1.tap
  local -a cmd=(bats --tap --timing "${files[@]}")
  [ "$lane" = vm ] && cmd=("$TREE/tests/vm/run.sh" "${cmd[@]}")
  echo "== $lane lane: bats ${files[*]#"$TREE"/}"
  local start rc
  start=$(now)
  # stdin from /dev/null: bats and the guest read nothing, and a terminal's
  # input is left alone.
  HUSK_LANE=$lane "${cmd[@]}" < /dev/null 2>&1 | tee "$tap" | sed -u "s/^/[$lane] /"
  rc=${PIPESTATUS[0]}
  dur[$lane]=$(secs "$start" "$(now)")
  count_tap "$tap" "$rc"
  cp "$tap" "$OUTDIR/$lane.tap"
  result[$lane]="$passed passed, $failed failed, $skipped skipped in ${dur[$lane]}s"
  [ -n "$trouble" ] && result[$lane]+=" ($trouble)"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
}

declare -A dur result
total_passed=0 total_failed=0 total_skipped=0
for lane in $lanes; do
  run_lane "$lane"
done

# A failing test's TAP line and the '#' lines that follow it, at most 40
# of them a test.
failures() {
  awk -v lane="$1" '
    /^not ok [0-9]+ / { on = 1; n = 0; print "[" lane "] " $0; next }
    on && /^#/ { if (++n <= 40) print "[" lane "] " $0; else if (n == 41) print "[" lane "] # ..."; next }
    { on = 0 }' "$2"
}

echo
for lane in $lanes; do
  grep -q '^not ok ' "$work/$lane.tap" || continue
  echo "== failed in the $lane lane:"
  failures "$lane" "$work/$lane.tap"
done
echo
for lane in $lanes; do
  printf '%-5s lane: %s\n' "$lane" "${result[$lane]}"
done
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" = 0 ]
