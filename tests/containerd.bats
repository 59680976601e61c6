#!/usr/bin/env bats
# husk under containerd 1.6 and its runc shim (containerd-shim-runc-v2),
# driven with ctr: the file starts a containerd of its own (config, root,
# state, socket and runc root under its tmp dir, stopped in teardown_file
# even on failure), imports a busybox OCI image built from the bundle's
# rootfs (no registry here), and runs containers with the shim's BinaryName
# option set to husk (ctr --runc-binary).  Every test's teardown fails it when
# a task, container, runtime state dir, process, mount or cgroup is left.

load helpers
bats_require_minimum_version 1.5.0

IMG=$CL_IMAGE

setup_file() {
  cl_need containerd ctr umoci || return 1
  # the socket's path must stay short: not under the test's deeper dirs
  export CTD_DIR=$BATS_FILE_TMPDIR/ctd
  export CTD_NS=husk-clients-$$
  ctd_start || return 1
  cl_build_image "$BATS_FILE_TMPDIR/busybox-oci.tar" || return 1
  ctd image import "$BATS_FILE_TMPDIR/busybox-oci.tar" > /dev/null
}

teardown_file() {
  ctd_clean
  ctd_stop
  # the namespace's parent cgroup, in every hierarchy a runtime used
  local h
  for h in /sys/fs/cgroup /sys/fs/cgroup/*/; do
    rmdir "${h%/}/$CTD_NS" 2> /dev/null || true
  done
}

# lc_teardown's view of the runtime's state: the shim's --root.
husk_root() {
  echo "$CTD_DIR/runc/$CTD_NS"
}

setup() {
  # the runc shim's options: BinaryName and Root; the test's mark in the env
  R=(--runc-binary "$(cl_runtime)" --runc-root "$CTD_DIR/runc" --env "$(lc_mark)")
}

teardown() {
  [ -z "${EVPID:-}" ] || kill "$EVPID" 2> /dev/null || true
  local left=
  [ -z "$(ctd task ls -q)" ] || left="$left tasks: $(ctd task ls -q | tr '\n' ' ');"
  [ -z "$(ctd container ls -q)" ] || left="$left containers: $(ctd container ls -q | tr '\n' ' ');"
  ctd_clean
  # shims of deleted tasks exit
  wait_until 30 ctd_no_shims || left="$left shims: $(ctd_shims | tr '\n' ' ');"
  [ -z "$(cl_mounts_under "$CTD_DIR/state")" ] || left="$left mounts: $(cl_mounts_under "$CTD_DIR/state");"
  [ -z "$left" ] || echo "# leftovers in containerd:$left" >&3
  lc_teardown && [ -z "$left" ]
}

# The container's status as the runtime itself reports it.
runtime_status() {
  "$(cl_runtime)" --root "$(husk_root)" state "$1" | jq -r .status
}

# The task's status as ctr reports it.
task_status() {
  ctd task ls | awk -v id="$1" '$1 == id { print $3 }'
}

task_stopped() {
  [ "$(task_status "$1")" = STOPPED ]
}

@test "containerd: the README's CRI runtime snippet names husk as the runc shim's BinaryName" {
  # CRI is off in the file's containerd (ctr does not use it): the snippet
  # alone, as containerd reads it
  cl_readme_snippet containerd-config > "$BATS_TEST_TMPDIR/config.toml"
  run containerd --config "$BATS_TEST_TMPDIR/config.toml" config dump
  [ "$status" -eq 0 ]
  local opts
  opts=$(echo "$output" | sed -n '/runtimes.husk.options\]/,/^ *\[/p')
  echo "$opts"
  [[ "$opts" == *"BinaryName = \"$(cl_runtime)\""* ]]
  [[ "$output" == *'default_runtime_name = "husk"'* ]]
}

@test "ctr run --runc-binary: output, exit code, env, cwd and stdin" {
  run ctd run --rm "${R[@]}" --env FOO=bar --cwd /tmp "$IMG" ct-run \
    sh -c 'read l; echo "$l $FOO $(pwd) $$"; exit 3' <<< hello
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"hello bar /tmp 1"* ]]
}

@test "ctr: detached task, exec (plain and with a tty), ps, pause/resume, metrics, SIGTERM, delete" {
  ctd run -d "${R[@]}" "$IMG" ct-d sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
  # the runtime holds it
  [ "$(runtime_status ct-d)" = running ]

  run ctd task exec --exec-id e1 ct-d sh -c 'echo in-exec $$; exit 5'
  [ "$status" -eq 5 ]
  [[ "$output" == "in-exec "* ]]
  run cl_tty "$(ctd_cmdline) task exec -t --exec-id e2 ct-d sh -c 'tty; exit 6'"
  echo "$output"
  [ "$status" -eq 6 ]
  [[ "$output" == *"/dev/pts/"* ]]

  local pid
  pid=$(ctd task ls | awk '$1 == "ct-d" { print $2 }')
  run ctd task ps ct-d
  [ "$status" -eq 0 ]
  [[ "$output" == *"$pid"* ]]

  ctd task pause ct-d
  [ "$(task_status ct-d)" = PAUSED ]
  [ "$(runtime_status ct-d)" = paused ]
  [ "$(awk '/^State:/ { print $2 }' /proc/$pid/status)" != R ]
  ctd task resume ct-d
  [ "$(task_status ct-d)" = RUNNING ]

  run ctd task metrics --format json ct-d
  echo "$output"
  [ "$status" -eq 0 ]
  if [ "$HUSK_LANE" = vm ]; then
    # cgroup v2: the container's own cgroup (the shim reads it itself)
    [ "$(echo "$output" | jq '.pids.current')" -ge 1 ]
    [ "$(echo "$output" | jq '.memory.usage')" -gt 0 ]
  else
    # cgroup v1 figures, read by the shim from the v1 paths (see README)
    echo "$output" | jq -e '.memory' > /dev/null
  fi

  ctd task kill ct-d
  wait_until 30 task_stopped ct-d
  run ctd task delete ct-d
  [[ "$output" == *"exit code 7"* ]]
  ctd container delete ct-d
}

@test "ctr run: --read-only, --seccomp and --no-pivot; --privileged" {
  run ctd run --rm "${R[@]}" --read-only --seccomp --no-pivot "$IMG" ct-ro \
    sh -c 'touch /x 2>&1; grep Seccomp: /proc/self/status; grep CapEff /proc/self/status'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" == *"Seccomp:"*2* ]]
  [[ "$output" != *"$(grep CapEff: /proc/self/status)"* ]]

  run ctd run --rm "${R[@]}" --privileged "$IMG" ct-priv \
    sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; test -e /dev/kmsg && echo host-devices'
  echo "$output"
  [ "$status" -eq 0 ]
  # every capability the caller has (this sandbox's root lacks some)
  [[ "$output" == *"$(grep CapEff: /proc/self/status)"* ]]
  [[ "$output" == *"Seccomp:"*0* ]]
  [[ "$output" == *host-devices* ]]
}

@test "ctr run --memory-limit: the limit holds and the OOM kill is reported (VM lane); a clear refusal without the controller" {
  if ! cl_has_controllers memory; then
    [ -z "${HUSK_CLIENTS_RUNTIME:-}" ] || skip_because "cgroup v2 has no memory controller (runc uses cgroup v1 here)"
    run ctd run --rm "${R[@]}" --memory-limit 33554432 "$IMG" ct-mem true
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *'cgroup v2 controller "memory" is not available on this host'* ]]
    return 0
  fi
  ctd events > "$BATS_TEST_TMPDIR/events" 2>&1 &
  EVPID=$!
  # the subscription is live once it shows an event made after it started
  wait_until 30 '{ ctd namespaces label "$CTD_NS" probe=$SECONDS; grep -q /namespaces/update "$BATS_TEST_TMPDIR/events"; }'
  ctd run -d "${R[@]}" --memory-limit 33554432 "$IMG" ct-mem sleep 1000
  [ "$(cat "$(cl_cgroup2)/$CTD_NS/ct-mem/memory.max")" = 33554432 ]
  # the process that outgrows it is killed, and the shim reports the OOM
  run ctd task exec --exec-id hog ct-mem tail /dev/zero
  [ "$status" -eq 137 ]
  wait_until 30 grep -q /tasks/oom "$BATS_TEST_TMPDIR/events"
  ctd task kill -s SIGKILL ct-mem
  wait_until 30 task_stopped ct-mem
  ctd task delete ct-mem > /dev/null
  ctd container delete ct-mem
}

@test "ctr run: a process that cannot start fails with the runtime's message (log.json) and leaves nothing" {
  run ctd run --rm "${R[@]}" "$IMG" ct-bad /no/such/program
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/no/such/program"* ]]
  [ -z "$(ls "$(husk_root)" 2> /dev/null)" ]
}
