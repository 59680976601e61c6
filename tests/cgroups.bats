#!/usr/bin/env bats
# cgroup v2 (cgroups/): limits that hold, device control in eBPF, pause and
# resume, kill --all, ps, update, events and removal, asserted on what the
# container can do and on the host's view of its cgroup.  Tests that need a
# controller skip with the reason where the lane lacks it (the host lane's
# cgroup2 has only hugetlb); the VM lane has every controller.

load helpers
bats_require_minimum_version 1.5.0

CG_MNT=/sys/fs/cgroup
[ "$(stat -fc %T "$CG_MNT" 2>/dev/null)" = cgroup2fs ] || CG_MNT=/sys/fs/cgroup/unified

setup() {
  ID=cg-$BATS_TEST_NUMBER-$$
  # An absolute cgroupsPath of the test's own, so the host can look at it.
  CG_REL=/husk-test/$ID
  CG=$CG_MNT$CG_REL
}

teardown() {
  husk delete --force "$ID" > /dev/null 2>&1 || true
  [ -z "${ID2:-}" ] || husk delete --force "$ID2" > /dev/null 2>&1 || true
  [ -z "${EVPID:-}" ] || kill "$EVPID" 2> /dev/null || true
  [ -z "${LOOP:-}" ] || losetup -d "$LOOP" || true
  [ -z "${CG_RESTORE_OPTS+set}" ] || cg_set_root_opts "$CG_RESTORE_OPTS" || true
  local left=
  [ -d "$CG" ] && left=$CG
  [ -d "$CG-sib" ] && left="$left $CG-sib"
  rmdir "$CG" "$CG-sib" "$CG_MNT/husk-test" 2> /dev/null || true
  [ -z "$left" ] || { echo "cgroup $left was left behind"; return 1; }
}

# need_controllers C...: skips (saying why) unless cgroup v2 has them all.
need_controllers() {
  [ "$(stat -fc %T "$CG_MNT" 2>/dev/null)" = cgroup2fs ] || skip_because "no cgroup2 mount"
  local have c missing=
  have=" $(cat "$CG_MNT/cgroup.controllers") "
  for c in "$@"; do
    case $have in *" $c "*) ;; *) missing="$missing $c" ;; esac
  done
  [ -z "$missing" ] || skip_because "cgroup v2 at $CG_MNT lacks controller(s):$missing"
}

# need_missing_controller: sets $missing to a controller among memory, pids,
# cpu, io that cgroup v2 lacks here and $res to linux.resources asking for
# it; skips (saying why) when it has them all.
need_missing_controller() {
  local c
  missing=
  for c in memory pids cpu io; do
    grep -qw "$c" "$CG_MNT/cgroup.controllers" || { missing=$c; break; }
  done
  [ -n "$missing" ] || skip_because "cgroup v2 at $CG_MNT has every controller: nothing to refuse"
  case $missing in
    memory) res='{"memory":{"limit":33554432}}' ;;
    pids) res='{"pids":{"limit":10}}' ;;
    cpu) res='{"cpu":{"shares":512}}' ;;
    io) res='{"blockIO":{"weight":500}}' ;;
  esac
}

# bundle RESOURCES-JSON SCRIPT [FILTER]: a bundle running `sh -c SCRIPT`
# with linux.resources = RESOURCES-JSON and linux.cgroupsPath = $CG_REL.
bundle() {
  local args
  args=$(jq -cn --arg s "$2" '["sh", "-c", $s]')
  make_bundle ".process.args = $args | .linux.cgroupsPath = \"$CG_REL\"
    | .linux.resources = ((.linux.resources // {}) * $1) | ${3:-.}"
}

# ctr RESOURCES SCRIPT [FILTER]: husk run in the foreground; $status/$output.
ctr() {
  bundle "$@"
  run husk run --bundle "$BUNDLE" "$ID"
  printf 'husk run: status %s\n%s\n' "$status" "$output"
}

# bg RESOURCES SCRIPT [FILTER]: create + start, detached from the test's stdio.
bg() {
  bundle "$@"
  husk create --bundle "$BUNDLE" "$ID" < /dev/null > /dev/null 2>&1
  husk start "$ID"
}

key() { # key FILE KEY: the value of KEY in a flat keyed cgroup file
  awk -v k="$2" '$1 == k { print $2 }' "$1"
}

@test "cgroup: the container's init is in the cgroupsPath cgroup, and delete removes it" {
  bg '{}' 'sleep 100'
  [ -d "$CG" ]
  pid=$(husk state "$ID" | jq .pid)
  grep -qx "$pid" "$CG/cgroup.procs"
  husk delete --force "$ID"
  [ ! -d "$CG" ]
}

@test "cgroup: without cgroupsPath the cgroup is <id> beside husk's own" {
  local own parent
  own=$(sed -n 's/^0:://p' /proc/self/cgroup)
  parent=$(dirname "$own")
  [ "$parent" = / ] && parent=
  make_bundle '.process.args = ["sleep", "100"] | del(.linux.cgroupsPath)'
  husk create --bundle "$BUNDLE" "$ID" < /dev/null > /dev/null 2>&1
  CG=$CG_MNT$parent/$ID
  [ -d "$CG" ]
  grep -qx "$(husk state "$ID" | jq .pid)" "$CG/cgroup.procs"
}

@test "cgroup: systemd's slice:prefix:name cgroupsPath is refused and nothing is left" {
  make_bundle '.linux.cgroupsPath = "system.slice:husk:'"$ID"'"'
  run husk run --bundle "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *'slice:prefix:name'* ]]
  [ -z "$(husk list -q)" ]
}

@test "cgroup: a limit on a controller the host lacks is refused by name, leaving nothing" {
  local missing res
  need_missing_controller
  ctr "$res" 'true'
  [ "$status" -eq 1 ]
  [[ $output == *"cgroup v2 controller \"$missing\" is not available on this host"* ]]
  [ ! -d "$CG" ]
  [ -z "$(husk list -q)" ]
}

@test "memory.limit: a 64 MiB allocation is OOM-killed under 32 MiB and memory.events counts it" {
  need_controllers memory
  bg '{"memory":{"limit":33554432,"swap":33554432}}' \
    'dd if=/dev/zero of=/dev/null bs=64M count=1; echo dd=$? > /dev/null; sleep 100'
  [ "$(cat "$CG/memory.max")" = 33554432 ]
  wait_until 30 sh -c "[ \"\$(awk '\$1 == \"oom_kill\" { print \$2 }' $CG/memory.events)\" -ge 1 ]"
  # The shell survived its child's OOM kill: the kill hit dd, not the container.
  [ "$(husk state "$ID" | jq -r .status)" = running ]
}

@test "memory.limit: the container's exit status is 137 when its init is OOM-killed" {
  need_controllers memory
  ctr '{"memory":{"limit":33554432,"swap":33554432}}' 'exec dd if=/dev/zero of=/dev/null bs=64M count=1'
  [ "$status" -eq 137 ]
}

@test "memory.swap: memory.swap.max is swap minus limit (runc's semantics)" {
  need_controllers memory
  bg '{"memory":{"limit":33554432,"swap":50331648,"reservation":16777216}}' 'sleep 100'
  [ -e "$CG/memory.swap.max" ] || skip_because "the kernel has no swap accounting (memory.swap.max)"
  [ "$(cat "$CG/memory.swap.max")" = 16777216 ]
  [ "$(cat "$CG/memory.low")" = 16777216 ]
}

@test "pids.limit: a fork bomb is held to 16 processes" {
  need_controllers pids
  bg '{"pids":{"limit":16}}' '(for i in $(seq 60); do sleep 100 & done) 2> /dev/null; sleep 100'
  wait_until 20 sh -c "[ \"\$(awk '\$1 == \"max\" { print \$2 }' $CG/pids.events)\" -ge 1 ]"
  [ "$(cat "$CG/pids.current")" -le 16 ]
  [ "$(wc -l < "$CG/cgroup.procs")" -le 16 ]
}

@test "cpu.quota: a busy loop under 10 ms / 100 ms is throttled" {
  need_controllers cpu
  bg '{"cpu":{"quota":10000,"period":100000,"shares":1024}}' 'while :; do :; done'
  [ "$(cat "$CG/cpu.max")" = "10000 100000" ]
  [ "$(cat "$CG/cpu.weight")" = 39 ]
  wait_until 30 sh -c "[ \"\$(awk '\$1 == \"nr_throttled\" { print \$2 }' $CG/cpu.stat)\" -ge 3 ]"
}

@test "cpu.cpus: the container runs on the one CPU it is given" {
  need_controllers cpuset
  [ "$(nproc)" -ge 2 ] || skip_because "one CPU only: pinning shows nothing"
  ctr '{"cpu":{"cpus":"1","mems":"0"}}' 'grep Cpus_allowed_list /proc/self/status'
  [ "$status" -eq 0 ]
  [[ $output == *"Cpus_allowed_list:"*$'\t'"1"* ]]
}

@test "unified: keys are written as given; a key naming no file is refused by name" {
  need_controllers memory
  bg '{"unified":{"memory.high":"41943040"}}' 'sleep 100'
  [ "$(cat "$CG/memory.high")" = 41943040 ]
  husk delete --force "$ID"
  ctr '{"unified":{"memory.nosuchfile":"1"}}' 'true'
  [ "$status" -eq 1 ]
  [[ $output == *memory.nosuchfile* ]]
  [ ! -d "$CG" ]
}

@test "devices: a device node outside the allowed list cannot be opened; allowing it lets it" {
  # /dev/kmsg opened write-only needs no capability: only the device
  # program stands in the way.
  local dev='.linux.devices = [{"path":"/dev/kmsg","type":"c","major":1,"minor":11}]'
  ctr '{"devices":[{"allow":false,"access":"rwm"}]}' 'exec 3> /dev/kmsg && echo opened' "$dev"
  [ "$status" -ne 0 ]
  [[ $output == *"Operation not permitted"* ]]
  [[ $output != *opened* ]]
  ctr '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"w"}]}' \
    'exec 3> /dev/kmsg && echo opened; (exec 4< /dev/kmsg) 2> /dev/null || echo read-denied' "$dev"
  [ "$status" -eq 0 ]
  [[ $output == *opened* ]]
  [[ $output == *read-denied* ]]
  # runc's defaults stay allowed whatever the list says.
  ctr '{"devices":[{"allow":false,"access":"rwm"}]}' 'echo x > /dev/null && head -c 4 /dev/urandom | wc -c'
  [ "$status" -eq 0 ]
  [[ $output == *4* ]]
}

@test "pause/resume: a frozen busy loop uses no CPU until resumed" {
  bg '{}' 'while :; do :; done'
  husk pause "$ID"
  [ "$(husk state "$ID" | jq -r .status)" = paused ]
  [ "$(key "$CG/cgroup.events" frozen)" = 1 ]
  a=$(key "$CG/cpu.stat" usage_usec)
  sleep 1
  b=$(key "$CG/cpu.stat" usage_usec)
  [ "$a" = "$b" ]
  husk resume "$ID"
  [ "$(husk state "$ID" | jq -r .status)" = running ]
  # the thawed loop runs again (once the guest's one host thread lets it)
  wait_until 20 cpu_used_more "$b"
}

cpu_used_more() { # cpu_used_more USEC: the container's CPU time passed USEC
  [ "$(key "$CG/cpu.stat" usage_usec)" -gt "$1" ]
}

@test "kill --all: every process of the container gets the signal" {
  bg '{}' 'sleep 100 & sleep 100 & sleep 100'
  wait_until 10 sh -c "[ \$(wc -l < $CG/cgroup.procs) -ge 3 ]"
  husk kill --all "$ID" KILL
  wait_until 10 sh -c "[ ! -s $CG/cgroup.procs ]"
}

@test "ps: lists the host pids of the container's cgroup" {
  bg '{}' 'sleep 100 & sleep 100'
  wait_until 10 sh -c "[ \$(wc -l < $CG/cgroup.procs) -ge 2 ]"
  run husk ps --format json "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -c 'sort')" = "$(sort -n "$CG/cgroup.procs" | jq -sc .)" ]
}

@test "exec: the exec'd process joins the container's cgroup" {
  bg '{}' 'sleep 100'
  husk exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 50
  grep -qx "$(cat "$BATS_TEST_TMPDIR/exec.pid")" "$CG/cgroup.procs"
}

# A move through cgroup.procs takes the cgroup core's global rwsem for
# writing and waits for an RCU grace period (10-20 ms on an idle machine).
@test "exec: the process is born in the container's cgroup (clone3 into it), not moved there through cgroup.procs" {
  command -v strace > /dev/null || skip_because "strace is not installed (scripts/deps.sh installs it)"
  bg '{}' 'sleep 100'
  strace -f -qq -e trace=openat,clone3 -o "$BATS_TEST_TMPDIR/strace" \
    "$HUSK" --root "$(husk_root)" exec "$ID" sh -c 'grep "^0::" /proc/self/cgroup' > "$BATS_TEST_TMPDIR/out"
  cat "$BATS_TEST_TMPDIR/out"
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = "0::$CG_REL" ]
  grep -q 'clone3(.*CLONE_INTO_CGROUP' "$BATS_TEST_TMPDIR/strace"
  ! grep -q 'cgroup\.procs' "$BATS_TEST_TMPDIR/strace"
}

@test "update: a new pids limit holds; checkBeforeUpdate refuses a memory limit below usage" {
  need_controllers pids memory
  bg '{"pids":{"limit":100},"memory":{"limit":104857600}}' 'sleep 100'
  echo '{"pids":{"limit":5}}' > "$BATS_TEST_TMPDIR/r.json"
  husk update --resources "$BATS_TEST_TMPDIR/r.json" "$ID"
  [ "$(cat "$CG/pids.max")" = 5 ]
  run husk exec "$ID" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait'
  [ "$(key "$CG/pids.events" max)" -ge 1 ]
  echo '{"memory":{"limit":4096,"checkBeforeUpdate":true}}' > "$BATS_TEST_TMPDIR/m.json"
  run husk update --resources "$BATS_TEST_TMPDIR/m.json" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"rejecting memory limit 4096"* ]]
  [ "$(cat "$CG/memory.max")" = 104857600 ]
}

@test "events --stats: one stats line in runc's format" {
  need_controllers memory pids
  bg '{"memory":{"limit":33554432},"pids":{"limit":20}}' 'sleep 100'
  run husk events --stats "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .type)" = stats ]
  [ "$(echo "$output" | jq -r .id)" = "$ID" ]
  [ "$(echo "$output" | jq .data.memory.usage.limit)" = 33554432 ]
  [ "$(echo "$output" | jq .data.pids.limit)" = 20 ]
  [ "$(echo "$output" | jq .data.pids.current)" -ge 1 ]
  [ "$(echo "$output" | jq '.data.cpu.usage.total > 0')" = true ]
}

@test "update: a limit on a controller the host lacks is refused by name; the container runs on" {
  [ "$(stat -fc %T "$CG_MNT" 2>/dev/null)" = cgroup2fs ] || skip_because "no cgroup2 mount"
  local missing res
  need_missing_controller
  bg '{}' 'sleep 100'
  echo "$res" > "$BATS_TEST_TMPDIR/r.json"
  run husk update --resources "$BATS_TEST_TMPDIR/r.json" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"cgroup v2 controller \"$missing\" is not available on this host"* ]]
  [[ $output != *"No such file"* ]]
  [ "$(husk state "$ID" | jq -r .status)" = running ]
  # The refused limit was not saved: a later update does not trip on it.
  echo '{}' > "$BATS_TEST_TMPDIR/empty.json"
  husk update --resources "$BATS_TEST_TMPDIR/empty.json" "$ID"
}

@test "io.max: a throttle rule for a real block device reads back as the kernel prints it, and holds" {
  need_controllers io
  command -v losetup > /dev/null || skip_because "no losetup"
  modprobe loop 2> /dev/null || true
  truncate -s 8M "$BATS_TEST_TMPDIR/disk"
  LOOP=$(losetup -f --show "$BATS_TEST_TMPDIR/disk" 2> /dev/null) ||
    skip_because "no loop device (modprobe loop failed)"
  local mm maj min res
  mm=$(cat "/sys/block/${LOOP#/dev/}/dev")
  maj=${mm%:*} min=${mm#*:}
  res=$(jq -cn --argjson a "$maj" --argjson i "$min" '{
    blockIO: {throttleWriteBpsDevice: [{major: $a, minor: $i, rate: 1048576}],
              throttleReadIOPSDevice: [{major: $a, minor: $i, rate: 100}]},
    devices: [{allow: false, access: "rwm"}, {allow: true, type: "b", major: $a, minor: $i, access: "rw"}]}')
  bg "$res" 'sleep 100' \
    ".linux.devices = ((.linux.devices // []) + [{path: \"/dev/hdisk\", type: \"b\", major: $maj, minor: $min}])"
  cat "$CG/io.max"
  grep -qx "$mm rbps=max wbps=1048576 riops=100 wiops=max" "$CG/io.max"
  # 2 MiB of direct writes at 1 MiB/s take about 2 s (the first slice may
  # run ahead a little); unthrottled they take a blink.  Bounded by timeout.
  run husk exec "$ID" sh -c 'a=$(cut -d" " -f1 /proc/uptime)
    timeout 20 dd if=/dev/zero of=/dev/hdisk bs=64k count=32 oflag=direct || exit 1
    b=$(cut -d" " -f1 /proc/uptime)
    awk -v a="$a" -v b="$b" "BEGIN { printf \"elapsed_cs=%d\\n\", (b - a) * 100 }"'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output == *"32+0 records out"* ]]
  cs=$(echo "$output" | sed -n 's/^elapsed_cs=//p')
  [ "$cs" -ge 150 ]
}

@test "events: an OOM kill in the container is reported as an oom event" {
  need_controllers memory
  bg '{"memory":{"limit":33554432,"swap":33554432}}' 'sleep 100'
  local ev=$BATS_TEST_TMPDIR/events
  "$HUSK" --root "$(husk_root)" events --interval 1s "$ID" > "$ev" 2>&1 3>&- &
  EVPID=$!
  # A stats line says the event loop is running (and took its oom baseline).
  wait_until 30 grep -q '"type":"stats"' "$ev"
  ! grep -q '"type":"oom"' "$ev"
  run husk exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1
  [ "$status" -eq 137 ]
  wait_until 20 grep -q '"type":"oom"' "$ev"
  cat "$ev"
  [ "$(jq -r 'select(.type == "oom") | .id' "$ev")" = "$ID" ]
  # The init survived its exec'd process's OOM kill; events runs on.
  [ "$(husk state "$ID" | jq -r .status)" = running ]
  kill -0 "$EVPID"
}

@test "cgroup namespace: the container sees its own cgroup as / and mounts only its subtree" {
  [ "$(stat -fc %T "$CG_MNT" 2>/dev/null)" = cgroup2fs ] || skip_because "no cgroup2 mount"
  [ -e /proc/self/ns/cgroup ] || skip_because "the kernel has no cgroup namespaces"
  # A sibling container, whose cgroup must not show through.
  ID2=$ID-sib
  bundle '{}' 'sleep 100' ".linux.cgroupsPath = \"$CG_REL-sib\""
  husk create --bundle "$BUNDLE" "$ID2" < /dev/null > /dev/null 2>&1
  [ -d "$CG-sib" ]
  ctr '{}' 'grep "^0::" /proc/self/cgroup; echo procs: $(cat /sys/fs/cgroup/cgroup.procs); ls /sys/fs/cgroup' \
    '.linux.namespaces += [{"type": "cgroup"}]'
  [ "$status" -eq 0 ]
  echo "$output" | grep -qx '0::/'
  # Only the container's own processes: its sh (pid 1) and cat.
  procs=$(echo "$output" | sed -n 's/^procs: //p')
  [ "${procs%% *}" = 1 ]
  [ "$(echo $procs | wc -w)" -le 2 ]
  [[ $output == *cgroup.procs* ]]
  [[ $output != *husk-test* ]]
  [[ $output != *"$ID2"* ]]
  # Without the namespace the same mount shows the whole hierarchy.
  ctr '{}' 'grep "^0::" /proc/self/cgroup; ls /sys/fs/cgroup'
  [ "$status" -eq 0 ]
  [[ $output == *"0::$CG_REL"* ]]
  [[ $output == *husk-test* ]]
}

# The hierarchy-wide options of the cgroup2 mount at $CG_MNT (mountinfo's
# super options, less rw/ro).
cg_root_opts() {
  awk -v m="$CG_MNT" '$5 == m { for (i = 7; $i != "-"; i++); print $(i + 3) }' /proc/self/mountinfo \
    | tail -1 | tr , '\n' | grep -vx 'rw\|ro' | paste -sd, -
}

# Mounts cgroup2 with options $1 in a mount namespace of its own: in the
# initial cgroup namespace that sets the whole hierarchy's options.
cg_set_root_opts() {
  mkdir -p "$BATS_TEST_TMPDIR/cgm"
  unshare -m sh -c 'mount -t cgroup2 ${1:+-o "$1"} none "$2"' sh "$1" "$BATS_TEST_TMPDIR/cgm"
}

@test "cgroup mount without a cgroup namespace: the host's hierarchy keeps its options (a new mount, as runc and crun make, resets them)" {
  [ "$(stat -fc %T "$CG_MNT" 2>/dev/null)" = cgroup2fs ] || skip_because "no cgroup2 mount"
  [ "$(stat -Lc %i /proc/self/ns/cgroup)" = 4026531835 ] || skip_because "not in the initial cgroup namespace"
  local orig flag
  orig=$(cg_root_opts)
  for flag in memory_localevents nsdelegate ''; do
    [[ ,$orig, == *,$flag,* ]] || break
  done
  [ -n "$flag" ] || skip_because "the hierarchy has memory_localevents and nsdelegate set: no option to watch"
  # the test's own proof that a new mount resets them
  cg_set_root_opts "${orig:+$orig,}$flag"
  [[ ,$(cg_root_opts), == *,$flag,* ]]
  cg_set_root_opts "$orig"
  [[ ,$(cg_root_opts), != *,$flag,* ]]

  cg_set_root_opts "${orig:+$orig,}$flag"
  CG_RESTORE_OPTS=$orig
  # the host's mount shared (in a mount namespace of the test's): a plain
  # bind of it would be its slave
  bundle '{}' 'ls /sys/fs/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo; touch /sys/fs/cgroup/x'
  run unshare -m sh -c 'mount --make-shared "$1" && shift && exec "$@"' sh "$CG_MNT" \
    "$HUSK" --root "$(husk_root)" run --bundle "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  # the hierarchy's root (no cgroup.events there), read-only and private
  # (no shared: or master: field before the "-"), as a new mount
  [[ $output == *cgroup.controllers* && $output == *husk-test* && $output != *cgroup.events* ]]
  [[ $output =~ " /sys/fs/cgroup ro,"[^\ ]*" - cgroup2 " ]]
  [[ $output == *"Read-only file system"* ]]
  [[ ,$(cg_root_opts), == *,$flag,* ]]
}
