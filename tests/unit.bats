#!/usr/bin/env bats
# The C unit tests of the modules (built by `make unit` under ASan and UBSan):
# table tests of the cgroup v2 translations and of the network annotations;
# the seccomp optimiser against libseccomp's programs, the kernel judging.
# The config parser's unit program is driven by specs.bats.

load helpers

run_unit() {
  local bin=$HUSK_SRC/build/unit/$1
  [ -x "$bin" ] || { echo "$bin is missing: run make unit" >&2; return 1; }
  run "$bin"
  echo "$output" | tail -n 20
  [ "$status" -eq 0 ]
}

@test "unit: cgroup v2 translations, device program and stats JSON (ASan/UBSan)" {
  run_unit cgroups_test
  [[ "$output" == *"1.."* ]]
  [[ "$output" != *"not ok"* ]]
}

@test "unit: network annotations parsing and validation (ASan/UBSan)" {
  run_unit network_test
  [[ "$output" == *", 0 failures"* ]]
}

@test "unit: the smaller seccomp program answers as libseccomp's, by the kernel's judgement (ASan/UBSan)" {
  run_unit seccomp_test
  [[ "$output" == *"1.."* ]]
  [[ "$output" != *"not ok"* ]]
}
