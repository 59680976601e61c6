#!/bin/bash
# tests/fuzz/run.sh FUZZDIR SECONDS
#
# Runs each libFuzzer target built in FUZZDIR (fuzz_config, fuzz_seccomp)
# for SECONDS under ASan and UBSan, from its committed seed corpus
# (tests/fuzz/corpus/<name>/, plus tests/corpus/good and bad for the
# config parser), after replaying every committed regression input
# (tests/fuzz/regressions/<name>/).  New corpus entries go to
# FUZZDIR/corpus/<name>/ (not the committed tree); a crash, leak, timeout or
# sanitizer report is left in FUZZDIR/findings/<name>/ and fails the run:
# commit it as a regression input once fixed.  Prints one summary line a
# target: runs, coverage, corpus size, findings.
set -uo pipefail

dir=$1
secs=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
tree=$(cd "$src/../.." && pwd -P)
rc=0
export LSAN_OPTIONS=suppressions=$src/lsan.supp:print_suppressions=0

for name in config seccomp; do
  bin=$dir/fuzz_$name
  work=$dir/corpus/$name
  found=$dir/findings/$name
  log=$dir/fuzz_$name.log
  mkdir -p "$work" "$found"
  seeds=("$src/corpus/$name")
  [ "$name" = config ] && seeds+=("$tree/tests/corpus/good" "$tree/tests/corpus/bad")

  regs=("$src/regressions/$name"/*)
  if [ -e "${regs[0]}" ]; then
    if ! "$bin" -runs=0 "${regs[@]}" >"$dir/regressions_$name.log" 2>&1; then
      echo "fuzz_$name: a committed regression input fails again (see $dir/regressions_$name.log)"
      rc=1
    fi
  fi

  # -timeout: one input may not take a second; -rss_limit_mb: nor 2 GB;
  # -max_len: OCI configs past 64 KiB are rare; the parser's size limits
  # are tested by specs.bats.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$found/" -print_final_stats=1 -close_fd_mask=3 \
    "$work" "${seeds[@]}" >"$log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corp=$(ls "$work" | wc -l)
  n_found=$(ls "$found" | wc -l)
  echo "fuzz_$name: ${secs}s, ${runs:-?} runs, cov ${cov:-?} edges, ft ${ft:-?}, corpus $corp, findings $n_found (exit $status)"
  if [ "$status" -ne 0 ] || [ "$n_found" -ne 0 ]; then
    echo "fuzz_$name: FINDING: see $log and $found/"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5
    rc=1
  fi
done
exit $rc
