#!/usr/bin/env bats
# The C unit tests of the modules (built by `make unit` under ASan and UBSan):
# table tests of the cgroup v2 translations and of the network annotations;
# the seccomp optimiser against libseccomp's programs and random ones, the
# kernel judging.
# The config parser's unit program is driven by specs.bats.

load helpers

# run_unit NAME [ARG...]
run_unit() {
  local bin=$HUSK_SRC/build/unit/$1
  [ -x "$bin" ] || { echo "$bin is missing: run make unit" >&2; return 1; }
  shift
  run "$bin" "$@"
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

# podman's default profile, from containers-common's seccomp.json (Docker's
# format) made an OCI one: x86_64 with x86 and x32, the rules that need no
# capability.  Many argument rules, some in conflict (socket).
@test "unit: the smaller seccomp program answers as libseccomp's for podman's default profile (ASan/UBSan)" {
  local src=/usr/share/containers/seccomp.json
  [ -f "$src" ] || skip "$src is missing (golang-github-containers-common, which podman brings and scripts/deps.sh installs)"
  jq '{defaultAction, defaultErrnoRet,
       architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
       syscalls: [.syscalls[]
                  | select((.includes.caps // []) | length == 0)
                  | select((.includes.arches // ["amd64"]) | any(. == "amd64" or . == "x86" or . == "x32"))
                  | {names, action}
                    + (if .errnoRet then {errnoRet} else {} end)
                    + (if (.args // []) | length > 0
                       then {args: [.args[] | {index, value, op} + (if .valueTwo then {valueTwo} else {} end)]}
                       else {} end)]}' "$src" > "$BATS_TEST_TMPDIR/podman.json"
  run_unit seccomp_test "$BATS_TEST_TMPDIR/podman.json"
  [[ "$output" == *"podman.json: the kernel finds the same answers for both (differences: 0)"* ]]
  [[ "$output" != *"not ok"* ]]
}
