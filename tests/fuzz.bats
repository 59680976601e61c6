#!/usr/bin/env bats
# Fuzzing (tests/fuzz/): the libFuzzer targets for config.json parsing and
# the seccomp translation, under ASan and UBSan.  `make fuzz` replays every
# committed regression input, then runs each target for FUZZ_SECONDS (60;
# HUSK_FUZZ_SECONDS here) from the committed corpus and fails on any
# finding.  Host lane only: under the VM lane's emulation a minute of
# fuzzing would be a fraction of the work for many minutes of CI.

load helpers
bats_require_minimum_version 1.5.0

FUZZ_BUILD=$(dirname "$HUSK")

setup() {
  [ "$HUSK_LANE" = host ] || skip_because "fuzzing runs in the host lane"
}

@test "fuzz: the committed regression inputs replay without a finding" {
  run -0 make -s -C "$HUSK_SRC" BUILD="$FUZZ_BUILD" "$FUZZ_BUILD/fuzz/fuzz_config" "$FUZZ_BUILD/fuzz/fuzz_seccomp"
  local name n=0 f
  export LSAN_OPTIONS=suppressions=$HUSK_SRC/tests/fuzz/lsan.supp:print_suppressions=0
  for name in config seccomp; do
    for f in "$HUSK_SRC/tests/fuzz/regressions/$name"/*; do
      [ -e "$f" ] || continue
      run "$FUZZ_BUILD/fuzz/fuzz_$name" -runs=0 "$f"
      [ "$status" -eq 0 ] || { echo "$f: $output"; false; }
      n=$((n + 1))
    done
  done
  echo "# $n regression inputs replayed" >&3
  [ "$n" -ge 1 ]
}

@test "fuzz: config.json parsing and the seccomp translation, each ${HUSK_FUZZ_SECONDS:-60}s, find nothing" {
  run make -s -C "$HUSK_SRC" BUILD="$FUZZ_BUILD" fuzz FUZZ_SECONDS="${HUSK_FUZZ_SECONDS:-60}"
  echo "$output" | grep '^fuzz_' | sed 's/^/# /' >&3
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ "$output" == *"fuzz_config: "*"findings 0"* && "$output" == *"fuzz_seccomp: "*"findings 0"* ]]
}
