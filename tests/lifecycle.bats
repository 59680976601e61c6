#!/usr/bin/env bats
# The container lifecycle: run, create/start, exec, kill, delete, state,
# list, ps, hooks, namespaces, terminals; what the process inside sees and
# what the host sees.  Every test ends with lc_teardown: nothing of its
# containers may remain.

load helpers

teardown() {
  lc_teardown
}

# husk create with the container's stdio on files and bats' fd 3 closed
# (a process holding it would hang bats).
lc_create() {
  husk create "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null 3>&-
}

# A host directory bound read-write at /out in the container.
lc_out_mount() {
  mkdir -p "$BATS_TEST_TMPDIR/o"
  echo ".mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/o\", \"options\": [\"rbind\", \"rw\"]}]"
}

@test "run: stdout passes through, the exit status is the container's, the container is deleted" {
  lc_bundle_sh 'echo hello from $$; exit 3'
  run husk run --bundle "$BUNDLE" t1 </dev/null
  [ "$status" -eq 3 ]
  [ "$output" = "hello from 1" ]
  run husk state t1
  [ "$status" -eq 1 ]
  [[ "$output" == *'container "t1" does not exist'* ]]
}

@test "run: a container killed by a signal exits 128+N; husk forwards signals" {
  lc_bundle '.process.args = ["sleep", "100"]'
  husk run --bundle "$BUNDLE" k1 </dev/null >/dev/null 2>&1 3>&- &
  local pid=$!
  lc_wait_status k1 running
  husk kill k1 KILL
  local st=0
  wait $pid || st=$?
  [ "$st" -eq 137 ]

  # SIGTERM to husk reaches the container's process
  lc_bundle_sh 'trap "exit 42" TERM; echo ready > /out/ready; while :; do sleep 0.1; done' "$(lc_out_mount)"
  # husk itself in the background (not a subshell running it)
  "$HUSK" --root "$(husk_root)" run --bundle "$BUNDLE" k2 </dev/null >/dev/null 2>&1 3>&- &
  pid=$!
  lc_wait_file "$BATS_TEST_TMPDIR/o/ready"
  kill -TERM $pid
  st=0
  wait $pid || st=$?
  [ "$st" -eq 42 ]
}

@test "run: the container has its own namespaces, hostname, and is PID 1" {
  local types
  types=$(jq -r '.linux.namespaces[].type' "$HUSK_BUNDLE_SRC/config.json" | sed 's/network/net/; s/mount/mnt/' | tr '\n' ' ')
  lc_bundle_sh "for n in $types; do echo \$n \$(readlink /proc/self/ns/\$n); done; echo pid \$\$; echo host \$(hostname)"
  run husk run --bundle "$BUNDLE" ns1 </dev/null
  [ "$status" -eq 0 ]
  echo "$output"
  local n
  for n in $types; do
    inside=$(echo "$output" | awk -v n="$n" '$1 == n {print $2}')
    [ -n "$inside" ]
    [ "$inside" != "$(readlink /proc/self/ns/$n)" ]
  done
  echo "$output" | grep -qx "pid 1"
  echo "$output" | grep -qx "host $(jq -r .hostname "$BUNDLE/config.json")"
}

@test "run --keep leaves a stopped container that delete removes" {
  lc_bundle '.process.args = ["true"]'
  run husk run --keep --bundle "$BUNDLE" kp </dev/null
  [ "$status" -eq 0 ]
  run husk state kp
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .status)" = stopped ]
  [ "$(echo "$output" | jq -r .pid)" = 0 ]
  husk delete kp
  [ ! -e "$(husk_root)/kp" ]
}

@test "run --detach returns once the process runs, with the pid file" {
  lc_bundle '.process.args = ["sleep", "100"]'
  husk run --detach --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" d1 </dev/null >/dev/null 2>&1 3>&-
  run husk state d1
  [ "$(echo "$output" | jq -r .status)" = running ]
  [ "$(echo "$output" | jq -r .pid)" = "$(cat "$BATS_TEST_TMPDIR/pid")" ]
  # the process is the user's binary (seen from the container's root)
  [ "$(readlink /proc/$(cat "$BATS_TEST_TMPDIR/pid")/exe)" = /bin/busybox ]
  husk delete --force d1
}

@test "create, start, kill, delete: states and the errors of invalid transitions" {
  lc_bundle '.process.args = ["sleep", "100"] | .annotations = {"org.example.key": "value"}'
  lc_create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" c1
  run husk state c1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .status)" = created ]
  [ "$(echo "$output" | jq -r .id)" = c1 ]
  [ "$(echo "$output" | jq -r .bundle)" = "$BUNDLE" ]
  [ "$(echo "$output" | jq -r '.annotations["org.example.key"]')" = value ]
  local pid
  pid=$(echo "$output" | jq -r .pid)
  [ "$pid" = "$(cat "$BATS_TEST_TMPDIR/pid")" ]
  kill -0 "$pid"
  # CVE-2019-5736: the waiting init is not dumpable, so the container
  # cannot reach husk through it
  [ "$(stat -c %u /proc/$pid/environ)" = 0 ]

  husk start c1
  run husk state c1
  [ "$(echo "$output" | jq -r .status)" = running ]
  [ "$(readlink /proc/$pid/exe)" = /bin/busybox ]

  run husk start c1
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot start an already running container"* ]]
  run husk delete c1
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot delete container c1 that is not stopped: running"* ]]

  husk kill c1 KILL
  lc_wait_status c1 stopped
  run husk state c1
  [ "$(echo "$output" | jq -r .pid)" = 0 ]
  run husk start c1
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot start a container that has stopped"* ]]
  run husk exec c1 true
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot exec in a stopped container"* ]]
  run husk kill c1 KILL
  [ "$status" -eq 1 ]
  [[ "$output" == *"not running"* ]]
  husk delete c1
  run husk state c1
  [ "$status" -eq 1 ]
  [[ "$output" == *'container "c1" does not exist'* ]]
}

@test "delete of a created container kills its init; delete --force of a running one" {
  lc_bundle '.process.args = ["sleep", "100"]'
  lc_create --bundle "$BUNDLE" c1
  local pid
  pid=$(husk state c1 | jq -r .pid)
  husk delete c1
  pid_dead "$pid"

  lc_create --bundle "$BUNDLE" c2
  husk start c2
  pid=$(husk state c2 | jq -r .pid)
  husk delete --force c2
  pid_dead "$pid"
  [ ! -e "$(husk_root)/c2" ]
}

@test "create: an existing id, a bad id and a missing bundle are refused" {
  lc_bundle '.process.args = ["sleep", "100"]'
  lc_create --bundle "$BUNDLE" dup
  run husk create --bundle "$BUNDLE" dup </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *'container "dup" already exists'* ]]
  # the first one is untouched
  [ "$(husk state dup | jq -r .status)" = created ]

  for id in 'a/b' '..' 'x y' '.'; do
    run husk create --bundle "$BUNDLE" "$id" </dev/null
    [ "$status" -eq 1 ]
    [[ "$output" == *"invalid container id"* ]]
  done
  run husk create --bundle "$BATS_TEST_TMPDIR/nope" nb </dev/null
  [ "$status" -eq 1 ]
  [ ! -e "$(husk_root)/nb" ]
}

@test "commands on a container that does not exist fail clearly" {
  for cmd in "start" "state" "kill" "delete" "ps" "exec"; do
    run husk $cmd ghost $( [ $cmd = exec ] && echo true )
    [ "$status" -eq 1 ]
    [[ "$output" == *'container "ghost" does not exist'* ]]
  done
}

@test "create: a missing executable fails with runc's message and leaves nothing" {
  lc_bundle '.process.args = ["nonexistent"]'
  run husk create --bundle "$BUNDLE" m1 </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *'exec: "nonexistent": executable file not found in $PATH'* ]]
  [ ! -e "$(husk_root)/m1" ]
  run husk run --bundle "$BUNDLE" m2 </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *'executable file not found in $PATH'* ]]
  [ ! -e "$(husk_root)/m2" ]
}

# run sends START before the init is ready (runtime/create.c starts_early):
# an init that fails first leaves that message unread, and the kernel then
# reports ECONNRESET ahead of the error the init sent.  The VM lane's timing
# lost the error that way in about one run of three.
@test "run: an init that fails before reading the early start reports its own error" {
  local i rootfs=$BATS_TEST_TMPDIR/rootfs
  # A rootfs of its own, writable, on the guest's tmpfs in the VM lane: the
  # shared one (read-only, on 9p) slowed the init enough for START to be
  # read first, and the test passed without the fix.
  cp -a "$HUSK_BUNDLE_SRC/rootfs" "$rootfs"
  lc_bundle ".process.cwd = \"/bin/sh\" | .root.path = \"$rootfs\" | .root.readonly = false"
  for i in 1 2 3 4 5 6 7 8 9 10; do
    run husk run --bundle "$BUNDLE" "early$i" </dev/null
    [ "$status" -eq 1 ]
    [[ "$output" == *'process.cwd: chdir to "/bin/sh": Not a directory'* ]]
    [ ! -e "$(husk_root)/early$i" ]
  done
}

@test "kill: signal names with and without SIG, numbers; kill --all" {
  lc_bundle_sh 'trap "echo usr1 >> /out/sigs" USR1; trap "echo usr2 >> /out/sigs" USR2; trap "echo hup >> /out/sigs" HUP; sleep 1000 & echo started > /out/ready; while :; do sleep 0.1; done' "$(lc_out_mount)"
  lc_create --bundle "$BUNDLE" k1
  husk start k1
  lc_wait_file "$BATS_TEST_TMPDIR/o/ready"
  # one at a time: pending signals are delivered lowest number first
  local sig n=0
  for sig in USR1 SIGUSR2 1; do
    husk kill k1 $sig
    n=$((n + 1))
    wait_until 30 '[ "$(wc -l < "$BATS_TEST_TMPDIR/o/sigs")" -ge $n ]'
  done
  run cat "$BATS_TEST_TMPDIR/o/sigs"
  [ "${lines[0]}" = usr1 ]
  [ "${lines[1]}" = usr2 ]
  [ "${lines[2]}" = hup ]
  run husk kill k1 NOSUCHSIG
  [ "$status" -eq 1 ]

  run husk ps --format json k1
  [ "$status" -eq 0 ]
  local pids
  pids=$(echo "$output" | jq -r '.[]')
  # the shell and its "sleep 1000" at least
  [ "$(echo "$pids" | wc -l)" -ge 2 ]
  husk kill --all k1 KILL
  lc_wait_status k1 stopped
  for p in $pids; do
    pid_dead "$p"
  done
}

@test "list and ps" {
  lc_bundle_sh 'sleep 1000 & sleep 1000 & wait'
  lc_create --bundle "$BUNDLE" l1
  lc_create --bundle "$BUNDLE" l2
  husk start l2
  run husk list -q
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "l1 l2 " ]
  run husk list --format json
  [ "$(echo "$output" | jq -r '.[] | select(.id == "l1") | .status')" = created ]
  [ "$(echo "$output" | jq -r '.[] | select(.id == "l2") | .status')" = running ]
  # created: RFC 3339 in UTC with nanoseconds (husk's own conversion, not
  # gmtime_r), within a minute of now
  local created
  created=$(echo "$output" | jq -r '.[] | select(.id == "l1") | .created')
  [[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$ ]]
  [ $(( $(date +%s) - $(date -d "$created" +%s) )) -le 60 ]
  # the owner by name from /etc/passwd, else "#UID" (runc's form)
  [ "$(echo "$output" | jq -r '.[] | select(.id == "l1") | .owner')" = root ]
  chown 4242424 "$(husk_root)/l1"
  [ "$(husk list --format json | jq -r '.[] | select(.id == "l1") | .owner')" = "#4242424" ]
  chown 0 "$(husk_root)/l1"
  run husk list
  [[ "${lines[0]}" == ID* ]]
  [[ "$output" == *l2*running* ]]

  local init
  init=$(husk state l2 | jq -r .pid)
  wait_until 30 '[ "$(husk ps --format json l2 | jq length)" -eq 3 ]'
  run husk ps --format json l2
  [ "$(echo "$output" | jq length)" -eq 3 ]
  echo "$output" | jq -e --argjson p "$init" 'index($p) != null'
}

@test "exec: joins the container's namespaces; exit status, env, cwd and user" {
  lc_bundle '.process.args = ["sleep", "1000"] | .process.env += ["FROMCONFIG=1"]'
  lc_create --bundle "$BUNDLE" e1
  husk start e1
  local init
  init=$(husk state e1 | jq -r .pid)
  for n in pid mnt net ipc uts; do
    run husk exec e1 readlink /proc/self/ns/$n
    [ "$status" -eq 0 ]
    [ "$output" = "$(readlink /proc/$init/ns/$n)" ]
  done
  run husk exec e1 sh -c 'exit 7'
  [ "$status" -eq 7 ]
  run husk exec e1 sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
  run husk exec --env FOO=bar --env FROMCONFIG=2 --cwd /tmp --user 1000:1001 e1 sh -c 'echo $FOO $FROMCONFIG; pwd; id -u; id -g'
  [ "$status" -eq 0 ]
  # --env adds, and replaces what the config sets
  [ "${lines[0]}" = "bar 2" ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = 1000 ]
  [ "${lines[3]}" = 1001 ]
  # --additional-gids replaces the config's supplementary groups
  run husk exec -g 20 --additional-gids=30 e1 sh -c 'grep ^Groups: /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "Groups: 20 30" ]
  run -1 husk exec -g staff e1 true
  [[ "$output" == *'--additional-gids: expected a group id, got "staff"'* ]]
  # a process of its own, not PID 1
  run husk exec e1 sh -c 'echo $$'
  [ "$output" -gt 1 ]
  run husk exec e1 nonexistent
  [ "$status" -ne 0 ]
  [[ "$output" == *'exec: "nonexistent": executable file not found in $PATH'* ]]
}

@test "exec: --cap adds to the bounding, effective and permitted sets; --no-new-privs" {
  lc_bundle '.process.args = ["sleep", "1000"] | .process.noNewPrivileges = false'
  lc_create --bundle "$BUNDLE" e1
  husk start e1
  run husk exec e1 grep -E '^(CapEff|NoNewPrivs)' /proc/self/status
  local eff
  eff=$(echo "$output" | awk '/CapEff/ {print $2}')
  [[ "$output" == *"NoNewPrivs:	0"* ]]
  run husk exec --cap CAP_SYS_ADMIN --no-new-privs e1 grep -E '^(Cap|NoNewPrivs)' /proc/self/status
  echo "$output"
  # CAP_SYS_ADMIN is bit 21
  [ "$(( 0x$(echo "$output" | awk '/CapEff/ {print $2}') ))" -eq "$(( 0x$eff | (1 << 21) ))" ]
  [ "$(( 0x$(echo "$output" | awk '/CapBnd/ {print $2}') & (1 << 21) ))" -ne 0 ]
  [ "$(echo "$output" | awk '/CapInh/ {print $2}')" = 0000000000000000 ]
  [[ "$output" == *"NoNewPrivs:	1"* ]]
}

@test "exec --detach --pid-file, and exec --process" {
  lc_bundle '.process.args = ["sleep", "1000"]'
  lc_create --bundle "$BUNDLE" e1
  husk start e1
  husk exec --detach --pid-file "$BATS_TEST_TMPDIR/epid" e1 sleep 500 </dev/null >/dev/null 2>&1 3>&-
  local p
  p=$(cat "$BATS_TEST_TMPDIR/epid")
  kill -0 "$p"
  [ "$(tr '\0' ' ' < /proc/$p/cmdline)" = "sleep 500 " ]
  [ "$(readlink /proc/$p/ns/pid)" = "$(readlink /proc/$(husk state e1 | jq -r .pid)/ns/pid)" ]

  cat > "$BATS_TEST_TMPDIR/process.json" <<EOF
{"args": ["sh", "-c", "echo \$X; pwd; id -u"], "env": ["X=from-process", "PATH=/bin"],
 "cwd": "/dev", "user": {"uid": 5, "gid": 5}}
EOF
  run husk exec --process "$BATS_TEST_TMPDIR/process.json" e1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-process ]
  [ "${lines[1]}" = /dev ]
  [ "${lines[2]}" = 5 ]
}

@test "exec and run: only stdio and --preserve-fds reach the process" {
  # ls lists the shell's fds, not its own
  lc_bundle_sh 'ls /proc/$$/fd; true'
  run husk run --bundle "$BUNDLE" f1 </dev/null 5>/dev/null
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "0 1 2" ]
  run husk run --preserve-fds 2 --bundle "$BUNDLE" f2 </dev/null 3>/dev/null 4>/dev/null 5>/dev/null
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "0 1 2 3 4" ]

  lc_bundle '.process.args = ["sleep", "1000"]'
  lc_create --bundle "$BUNDLE" f3
  husk start f3
  run husk exec f3 sh -c 'ls /proc/$$/fd; true' 7>/dev/null
  [ "$(echo $output)" = "0 1 2" ]
  run husk exec --preserve-fds 1 f3 sh -c 'ls /proc/$$/fd; true' 3>/dev/null
  [ "$(echo $output)" = "0 1 2 3" ]
}

@test "--no-pivot runs the container with move + chroot" {
  lc_bundle_sh 'cat /proc/self/mountinfo | wc -l; ls /bin/busybox'
  run husk run --no-pivot --bundle "$BUNDLE" np </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = /bin/busybox ]
}

@test "terminal: create sends the pty master to --console-socket; no socket is refused" {
  local recv
  recv=$(lc_recvtty)
  lc_bundle_sh 'tty; stty size; echo $TERM' '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
  run husk create --bundle "$BUNDLE" t0 </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot allocate tty if husk will detach without setting console socket"* ]]
  [ ! -e "$(husk_root)/t0" ]

  "$recv" "$BATS_TEST_TMPDIR/sock" > "$BATS_TEST_TMPDIR/tty" 2>&1 3>&- &
  local rpid=$!
  wait_until 30 test -S "$BATS_TEST_TMPDIR/sock"
  lc_create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/sock" t1
  husk start t1
  wait $rpid
  run cat "$BATS_TEST_TMPDIR/tty"
  echo "$output"
  [[ "${lines[0]}" == /dev/* ]]
  [ "$(echo "${lines[1]}" | tr -d '\r')" = "30 100" ]

  lc_bundle '.process.args = ["true"]'
  run husk create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/sock" t2 </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot use console socket"* ]]
}

@test "terminal: exec --tty --console-socket" {
  local recv
  recv=$(lc_recvtty)
  lc_bundle '.process.args = ["sleep", "1000"]'
  lc_create --bundle "$BUNDLE" t1
  husk start t1
  "$recv" "$BATS_TEST_TMPDIR/sock" > "$BATS_TEST_TMPDIR/tty" 2>&1 3>&- &
  local rpid=$!
  wait_until 30 test -S "$BATS_TEST_TMPDIR/sock"
  husk exec --tty --detach --console-socket "$BATS_TEST_TMPDIR/sock" t1 sh -c 'test -t 0 && test -t 1 && echo is-a-tty' </dev/null >/dev/null 2>&1 3>&-
  wait $rpid
  grep -q is-a-tty "$BATS_TEST_TMPDIR/tty"
}

@test "terminal: run in the foreground without a socket proxies the pty" {
  command -v script >/dev/null || skip_because "script(1) is not installed"
  lc_bundle_sh 'test -t 0 && echo is-a-tty; exit 4' '.process.terminal = true'
  run script -qec "$HUSK --root $(husk_root) run --bundle $BUNDLE p1" /dev/null </dev/null
  echo "$output"
  [ "$status" -eq 4 ]
  [[ "$output" == *is-a-tty* ]]
}

@test "namespaces: one with a path is joined, the others are new" {
  unshare --net sleep 1000 3>&- &
  local holder=$!
  wait_until 30 '[ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ]'
  lc_bundle_sh 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts' \
    ".linux.namespaces = [.linux.namespaces[] | if .type == \"network\" then .path = \"/proc/$holder/ns/net\" else . end]"
  run husk run --bundle "$BUNDLE" j1 </dev/null
  local want
  want=$(readlink /proc/$holder/ns/net)
  kill $holder
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$want" ]
  [ "${lines[0]}" != "$(readlink /proc/self/ns/net)" ]
  [ "${lines[1]}" != "$(readlink /proc/self/ns/uts)" ]
}

@test "user namespace: ids mapped by husk" {
  lc_bundle_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user; stat -c %u:%g /bin/busybox' \
    '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}]'
  run husk run --bundle "$BUNDLE" u1 </dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo ${lines[0]})" = "0 200000 65536" ]
  [ "$(echo ${lines[1]})" = "0 300000 65536" ]
  [ "${lines[2]}" = 0 ]
  [ "${lines[3]}" != "$(readlink /proc/self/ns/user)" ]
  # host root is not mapped: files it owns show as the overflow id
  [ "${lines[4]}" = 65534:65534 ]

  # create + start as a non-root user of the namespace: the init reopens
  # exec.fifo (outside its root) through husk's /proc handle
  lc_bundle_sh 'id -u' '.process.user = {"uid": 1000, "gid": 1000} | .linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
  lc_create --bundle "$BUNDLE" u2
  husk start u2
  lc_wait_file "$BATS_TEST_TMPDIR/out"
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = 1000 ]
}

@test "user namespace created while another namespace is joined (two-step spawn)" {
  unshare --net sleep 1000 3>&- &
  local holder=$!
  wait_until 30 '[ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ]'
  lc_bundle_sh 'readlink /proc/self/ns/net; cat /proc/self/uid_map; echo $$' \
    ".linux.namespaces = [.linux.namespaces[] | if .type == \"network\" then .path = \"/proc/$holder/ns/net\" else . end] | .linux.namespaces += [{\"type\": \"user\"}] | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}] | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}]"
  run husk run --bundle "$BUNDLE" u2 </dev/null
  local want
  want=$(readlink /proc/$holder/ns/net)
  kill $holder
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$want" ]
  [ "$(echo ${lines[1]})" = "0 200000 65536" ]
  [ "${lines[2]}" = 1 ]
}

@test "time namespace: the offsets shift the container's clocks" {
  [ -e /proc/self/ns/time ] || skip_because "the kernel has no time namespaces"
  lc_bundle_sh 'cut -d. -f1 /proc/uptime' \
    '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 86400, "nanosecs": 0}}'
  local before after
  before=$(cut -d. -f1 /proc/uptime)
  run husk run --bundle "$BUNDLE" tn </dev/null
  after=$(cut -d. -f1 /proc/uptime)
  [ "$status" -eq 0 ]
  [ "$output" -ge $((before + 864000)) ]
  [ "$output" -le $((after + 864000 + 1)) ]

  lc_bundle '.linux.timeOffsets = {"boottime": {"secs": 1, "nanosecs": 0}}'
  run husk run --bundle "$BUNDLE" tn2 </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *"timeOffsets"* ]]
}

hook_filter() {
  # every phase appends "PHASE MNT-NS STATE-JSON" to hooks.log; $1 fails
  local log=$BATS_TEST_TMPDIR/hooks.log fail=${1:-} ph hooks="{"
  cat > "$BATS_TEST_TMPDIR/hook.sh" <<'EOF'
#!/bin/sh
st=$(cat)
echo "$1 $(readlink /proc/self/ns/mnt) $st" >> "$2"
[ "$3" = fail ] && exit 3
[ "$3" = sleep ] && exec sleep 100
exit 0
EOF
  chmod +x "$BATS_TEST_TMPDIR/hook.sh"
  for ph in prestart createRuntime createContainer startContainer poststart poststop; do
    local path=$BATS_TEST_TMPDIR/hook.sh
    # startContainer runs in the container: its path resolves there
    [ $ph = startContainer ] && path=/bin/sh
    local args="[\"hook.sh\", \"$ph\", \"$log\", \"$( [ "$ph" = "$fail" ] && echo fail)\"]"
    [ $ph = startContainer ] && args="[\"sh\", \"-c\", \"cat > /dev/null; echo startContainer >&2\"]"
    hooks="$hooks\"$ph\": [{\"path\": \"$path\", \"args\": $args}],"
  done
  echo ".hooks = ${hooks%,}}"
}

@test "hooks: every phase in order, with the state on stdin, in its namespace" {
  lc_bundle '.process.args = ["true"]'
  make_bundle ".process.args = [\"true\"] | $(hook_filter)"
  run husk run --bundle "$BUNDLE" h1 </dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *startContainer* ]]
  local log=$BATS_TEST_TMPDIR/hooks.log host
  host=$(readlink /proc/self/ns/mnt)
  run cut -d' ' -f1 "$log"
  [ "$(echo $output)" = "prestart createRuntime createContainer poststart poststop" ]
  [ "$(awk '$1 == "prestart" {print $2}' "$log")" = "$host" ]
  [ "$(awk '$1 == "createRuntime" {print $2}' "$log")" = "$host" ]
  [ "$(awk '$1 == "createContainer" {print $2}' "$log")" != "$host" ]
  [ "$(awk '$1 == "poststop" {print $2}' "$log")" = "$host" ]
  [ "$(grep ^prestart "$log" | cut -d' ' -f3- | jq -r .status)" = creating ]
  [ "$(grep ^prestart "$log" | cut -d' ' -f3- | jq -r .id)" = h1 ]
  [ "$(grep ^poststart "$log" | cut -d' ' -f3- | jq -r .status)" = running ]
  [ "$(grep ^poststop "$log" | cut -d' ' -f3- | jq -r .status)" = stopped ]
  [ "$(grep ^createContainer "$log" | cut -d' ' -f3- | jq -r .bundle)" = "$BUNDLE" ]
}

@test "hooks: a failing prestart or createRuntime hook fails create and leaves nothing" {
  for ph in prestart createRuntime createContainer; do
    make_bundle ".process.args = [\"true\"] | .process.env += [\"$(lc_mark)\"] | $(hook_filter $ph)"
    run husk create --bundle "$BUNDLE" hf </dev/null
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"$ph hook #0"*"exited with status 3"* ]]
    [ ! -e "$(husk_root)/hf" ]
    rm -f "$BATS_TEST_TMPDIR/hooks.log"
  done
}

@test "hooks: a failing startContainer hook fails start, which reports it" {
  lc_bundle '.process.args = ["sleep", "1000"] | .hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 9"]}]}'
  lc_create --bundle "$BUNDLE" hs
  run husk start hs
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"startContainer hook #0 (/bin/sh): exited with status 9"* ]]
  lc_wait_status hs stopped
}

@test "hooks: a hook past its timeout is killed; a failing poststart hook only warns" {
  make_bundle '.process.args = ["true"] | .hooks = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "101.5"], "timeout": 1}]}'
  local t0=$SECONDS
  run husk run --bundle "$BUNDLE" ht </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *"timed out after 1 s"* ]]
  # killed at its timeout, not waited for (the VM lane's guest is slow)
  [ $((SECONDS - t0)) -lt $([ "$HUSK_LANE" = vm ] && echo 30 || echo 10) ]
  ! pgrep -fx "sleep 101.5"
  [ ! -e "$(husk_root)/ht" ]

  make_bundle ".process.args = [\"sh\", \"-c\", \"echo ran\"] | $(hook_filter poststart)"
  run husk run --bundle "$BUNDLE" hp </dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *ran* ]]
  [[ "$output" == *"poststart hook #0"* ]]
}

@test "50 containers created in parallel all start, run and delete cleanly" {
  lc_bundle '.process.args = ["sleep", "1000"]'
  local i pids=""
  for i in $(seq 50); do
    husk create --bundle "$BUNDLE" p$i </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err.$i" 3>&- &
    pids="$pids $!"
  done
  local failed=0
  for p in $pids; do wait $p || failed=$((failed + 1)); done
  cat "$BATS_TEST_TMPDIR"/err.* >&2
  [ "$failed" -eq 0 ]
  for i in $(seq 50); do husk start p$i & done
  wait
  [ "$(husk list --format json | jq '[.[] | select(.status == "running")] | length')" -eq 50 ]
  for i in $(seq 50); do husk delete --force p$i & done
  wait
  [ -z "$(husk_state_ids)" ]
}

@test "concurrent starts of one container: exactly one wins" {
  lc_bundle '.process.args = ["sleep", "1000"]'
  lc_create --bundle "$BUNDLE" cc
  local ok=0 p1 p2
  husk start cc 2>/dev/null & p1=$!
  husk start cc 2>/dev/null & p2=$!
  wait $p1 && ok=$((ok + 1))
  wait $p2 && ok=$((ok + 1))
  [ "$ok" -eq 1 ]
  [ "$(husk state cc | jq -r .status)" = running ]
}

@test "SIGKILL of husk at any point of create leaves nothing that delete --force cannot remove" {
  lc_bundle '.process.args = ["sleep", "1000"] | .hostname = "k"'
  local i d
  for i in $(seq 40); do
    # husk itself, not a subshell running it, is what gets the SIGKILL
    "$HUSK" --root "$(husk_root)" create --bundle "$BUNDLE" sk$i </dev/null >/dev/null 2>&1 3>&- &
    local p=$!
    # from right away to well past the end of create
    d=$(awk -v i=$i 'BEGIN { printf "%.4f", i * 0.0015 }')
    sleep "$d"
    kill -9 $p 2>/dev/null || true
    wait $p 2>/dev/null || true
    if [ -e "$(husk_root)/sk$i" ]; then
      husk delete --force sk$i
    fi
    [ ! -e "$(husk_root)/sk$i" ]
    # nor a cgroup made before the init was cloned into it
    [ -z "$(lc_cgroup_dirs sk$i)" ] || { echo "cgroup left: $(lc_cgroup_dirs sk$i)"; false; }
  done
}
