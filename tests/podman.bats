#!/usr/bin/env bats
# husk under podman 4.3 and conmon: the file's podman has its own --root,
# --runroot and containers.conf (the README's snippet: husk as the default
# runtime, in runtime_supports_json so that podman passes --log-format json)
# and loads a busybox OCI archive built from the bundle's rootfs.  conmon
# calls husk without --root: containers live in husk's default state dir.
# Every test's teardown fails it when a container, conmon, container
# process, runtime state dir, mount or cgroup of it is left.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
  cl_need podman conmon umoci || return 1
  export PM_DIR=$BATS_FILE_TMPDIR/pm
  # in every container's environment (containers.conf), to find them
  export PM_MARK=HUSK_CLIENTS_MARK=$BATS_FILE_TMPDIR
  pm_setup
  export PM_CONF
  cl_build_image "$BATS_FILE_TMPDIR/busybox-oci.tar" || return 1
  pm load -q -i "$BATS_FILE_TMPDIR/busybox-oci.tar" > /dev/null || return 1
  # what was there before, in places shared with the host
  export PM_STATE_BEFORE PM_CGROUPS_BEFORE
  PM_STATE_BEFORE=$(ls "$(cl_default_root)" 2> /dev/null | tr '\n' ' ')
  PM_CGROUPS_BEFORE=$(pm_cgroups | tr '\n' ' ')
  # podman's cgroupfs parent (with conmon's cgroup in it) in every
  # hierarchy, removed at the end where the file made it
  export PM_PARENT_CGS=
  local h
  for h in /sys/fs/cgroup /sys/fs/cgroup/*/; do
    if [ -e "${h%/}/cgroup.procs" ] && [ ! -d "${h%/}/libpod_parent" ]; then
      PM_PARENT_CGS="$PM_PARENT_CGS ${h%/}/libpod_parent"
    fi
  done
}

teardown_file() {
  pm rm -af -t 0 > /dev/null 2>&1 || true
  cl_mounts_under "$PM_DIR" | sort -r | xargs -r -n1 umount -l 2> /dev/null || true
  rm -rf "$PM_DIR"
  local d
  for d in $PM_PARENT_CGS; do
    rmdir "$d/conmon" "$d" 2> /dev/null || true
  done
}

# podman's container cgroups under its cgroupfs parent.
pm_cgroups() {
  ls -d "$(cl_cgroup2)"/libpod_parent/libpod-* 2> /dev/null || true
}

# Entries of the list $2 (words) that are not in $1.
new_entries() {
  local w
  for w in $2; do
    [[ " $1 " == *" $w "* ]] || echo "$w"
  done
}

teardown() {
  local left= ids
  ids=$(pm ps -aq)
  if [ -n "$ids" ]; then
    left="$left containers: $ids;"
    pm rm -af -t 0 > /dev/null 2>&1 || true
  fi
  wait_until 60 pm_no_processes ||
    left="$left processes: $(cl_pids_with_env "$PM_MARK" | tr '\n' ' ') $(cl_pids_with_env "CONTAINERS_CONF=$PM_CONF" | tr '\n' ' ');"
  local state cgroups mounts
  state=$(new_entries "$PM_STATE_BEFORE" "$(ls "$(cl_default_root)" 2> /dev/null)" | grep -E '^[0-9a-f]{64}$' || true)
  [ -z "$state" ] || left="$left runtime state: $state;"
  cgroups=$(new_entries "$PM_CGROUPS_BEFORE" "$(pm_cgroups)")
  [ -z "$cgroups" ] || left="$left cgroups: $cgroups;"
  # the storage's own home mount stays until teardown_file
  mounts=$(cl_mounts_under "$PM_DIR" | grep -vx "$PM_DIR/root/overlay" || true)
  [ -z "$mounts" ] || left="$left mounts: $mounts;"
  [ -z "$left" ] || { echo "# leftovers after the test:$left" >&3; return 1; }
}

# No container process, conmon or exit command (podman container cleanup)
# of the file is running.
pm_no_processes() {
  [ -z "$(cl_pids_with_env "$PM_MARK")" ] && [ -z "$(cl_pids_with_env "CONTAINERS_CONF=$PM_CONF")" ]
}

# The container's status as the runtime itself reports it (its default root).
runtime_status() {
  "$(cl_runtime)" state "$(pm inspect -f '{{.Id}}' "$1")" | jq -r .status
}

@test "podman: husk is the runtime of the README's containers.conf; run: output, exit code, user, env, workdir, hostname, -i" {
  run pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}} {{.Host.OCIRuntime.Version}}'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == "husk $(cl_runtime) "*" version "* ]]

  run pm run --rm --user 1 --env A=b --workdir /tmp --hostname hh "$CL_IMAGE" \
    sh -c 'echo "$(id -u) $A $(pwd) $(hostname)"; exit 3'
  echo "$output"
  [ "$status" -eq 3 ]
  [ "$output" = "1 b /tmp hh" ]

  run pm run --rm -i "$CL_IMAGE" sh -c 'read l; echo "got $l"' <<< hello
  [ "$status" -eq 0 ]
  [ "$output" = "got hello" ]
}

@test "podman run -t: the process has a terminal" {
  run cl_tty "$(pm_cmdline) run --rm -t $CL_IMAGE sh -c 'test -t 0 && test -t 1 && tty; exit 2'"
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"/dev/"* ]]
  [[ "$output" != *"not a tty"* ]]
}

@test "podman: -d, exec (plain, -t, another user), ps, top, pause/unpause, stop, restart, kill, rm" {
  pm run -d --name pm-d "$CL_IMAGE" sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done' > /dev/null
  [ "$(runtime_status pm-d)" = running ]

  run pm exec pm-d sh -c 'echo in-exec; exit 4'
  [ "$status" -eq 4 ]
  [ "$output" = in-exec ]
  run pm exec --user 1 pm-d id -u
  [ "$output" = 1 ]
  run cl_tty "$(pm_cmdline) exec -t pm-d tty"
  echo "$output"
  [[ "$output" == *"/dev/pts/"* ]]

  run pm ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == *"pm-d Up"* ]]
  run pm top pm-d
  echo "$output"
  [[ "$output" == *'trap "exit 9" TERM'* ]]

  pm pause pm-d > /dev/null
  [ "$(pm inspect -f '{{.State.Status}}' pm-d)" = paused ]
  [ "$(runtime_status pm-d)" = paused ]
  pm unpause pm-d > /dev/null
  [ "$(pm inspect -f '{{.State.Status}}' pm-d)" = running ]

  # SIGTERM first: the trap's exit status
  pm stop -t 20 pm-d > /dev/null
  [ "$(pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' pm-d)" = "exited 9" ]
  pm restart pm-d > /dev/null
  [ "$(pm inspect -f '{{.State.Status}}' pm-d)" = running ]
  pm kill pm-d > /dev/null
  [ "$(pm wait pm-d)" = 137 ]
  pm rm pm-d > /dev/null
  run pm ps -aq
  [ -z "$output" ]
}

@test "podman: --network none, --read-only, --cap-drop ALL, default seccomp, --preserve-fds" {
  echo passed-fd > "$BATS_TEST_TMPDIR/fd3"
  run pm run --rm --network none --read-only --cap-drop ALL --preserve-fds 1 "$CL_IMAGE" \
    sh -c 'ls /sys/class/net; touch /x 2>&1; touch /tmp/y && echo tmp-writable; grep -E "^(CapEff|Seccomp):" /proc/self/status; cat <&3' \
    3< "$BATS_TEST_TMPDIR/fd3"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = lo ]
  [[ "$output" == *"/x: Read-only file system"* ]]
  [[ "$output" == *tmp-writable* ]]
  [[ "$output" == *"CapEff:"*"0000000000000000"* ]]
  [[ "$output" == *"Seccomp:"*2* ]]
  [ "${lines[-1]}" = passed-fd ]
}

@test "podman --pid host: stop reaches every process of the container (kill --all)" {
  pm run -d --name pm-host --pid host "$CL_IMAGE" sh -c 'sleep 1000 & exec sleep 1001' > /dev/null
  wait_until 30 sh -c "[ \$(grep -lsxzF '$PM_MARK' /proc/[0-9]*/environ | wc -l) -ge 2 ]"
  pm stop -t 2 pm-host > /dev/null
  # both sleeps, the one that is not the init too
  wait_until 30 sh -c "[ -z \"\$(grep -lsxzF '$PM_MARK' /proc/[0-9]*/environ)\" ]"
  pm rm pm-host > /dev/null
}

@test "podman --memory, --pids-limit and update (VM lane); a clear refusal without the controllers" {
  if ! cl_has_controllers memory pids; then
    [ -z "${HUSK_CLIENTS_RUNTIME:-}" ] || skip_because "cgroup v2 lacks memory or pids (runc uses cgroup v1 here)"
    run pm run --rm --memory 64m "$CL_IMAGE" true
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *'cgroup v2 controller "memory" is not available on this host'* ]]
    # the failed create's clean-up (delete --force) finds nothing and says nothing
    [[ "$output" != *"does not exist"* ]]
    run pm run --rm --pids-limit 50 "$CL_IMAGE" true
    [ "$status" -ne 0 ]
    [[ "$output" == *'cgroup v2 controller "pids" is not available on this host'* ]]
    return 0
  fi
  pm run -d --name pm-lim --memory 64m --pids-limit 50 "$CL_IMAGE" sleep 1000 > /dev/null
  local pid cg
  pid=$(pm inspect -f '{{.State.Pid}}' pm-lim)
  cg=$(cl_cgroup2)$(sed -n 's/^0:://p' /proc/$pid/cgroup)
  [ "$(cat "$cg/memory.max")" = 67108864 ]
  [ "$(cat "$cg/pids.max")" = 50 ]
  # podman 4.3's update has no --pids-limit
  pm update --memory 128m --cpus 0.5 pm-lim > /dev/null
  [ "$(cat "$cg/memory.max")" = 134217728 ]
  [ "$(cat "$cg/cpu.max")" = "50000 100000" ]
  # the pids limit holds: 70 more processes cannot all be made
  run pm exec pm-lim sh -c 'for i in $(seq 70); do sleep 100 & done 2>&1'
  [[ "$output" == *"an't fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
  pm rm -f -t 0 pm-lim > /dev/null
}
