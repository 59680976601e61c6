#!/usr/bin/env bats
# husk job: a command isolated by flags alone.  The tests attack from
# inside a job and check that the host is unharmed and that nothing of the
# job remains (jt_teardown); the cgroup ones need cgroup v2 controllers
# (the VM lane).

load helpers

teardown() {
  nt_cleanup
  jt_teardown
}

@test "job: stdio passes through, the exit status is the job's, nothing remains" {
  run -0 bash -c 'echo from-stdin | "$0" --root "$1" job --rootfs "$2" --name "$3" -- sh -c "cat; echo to-stderr >&2"' \
    "$HUSK" "$(husk_root)" "$(jt_rootfs)" "$(jt_name io)"
  [ "${lines[0]}" = from-stdin ]
  [ "${lines[1]}" = to-stderr ]
  run -7 jt_job --name "$(jt_name st)" -- sh -c 'exit 7'
  # a process killed by a signal: the shell reports 128+N as its status
  run -137 jt_job -- sh -c 'sh -c "kill -9 \$\$"; exit $?'
  [ -z "$(husk_state_ids)" ]
}

@test "job: flags become the config: user, workdir, env, hostname, caps, seccomp, no_new_privs, read-only /proc and /sys" {
  run -0 jt_job --name "$(jt_name f)" --user 1000:1001 --workdir /tmp --env FOO=bar \
    --env PATH=/bin --hostname jobhost -- sh -c \
    'id -u; id -g; pwd; echo $FOO $PATH; hostname; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; grep ^CapBnd /proc/self/status; echo 1 > /proc/sys/kernel/domainname || echo proc-ro; touch /sys/x 2>/dev/null || echo sys-ro'
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1001 ]
  [ "${lines[2]}" = /tmp ]
  [ "${lines[3]}" = "bar /bin" ]
  [ "${lines[4]}" = jobhost ]
  [[ "${lines[5]}" = "NoNewPrivs:"*1 ]]
  [[ "${lines[6]}" = "Seccomp:"*2 ]]
  # husk spec's set: AUDIT_WRITE, KILL, NET_BIND_SERVICE
  [[ "${lines[7]}" = *0000000020000420 ]]
  [[ "$output" = *proc-ro* ]]
  [[ "$output" = *sys-ro* ]]
  run -0 jt_job --cap-add net_raw --seccomp unconfined -- sh -c 'grep -E "^(CapBnd|Seccomp):" /proc/self/status'
  [[ "${lines[0]}" = *0000000020002420 ]]
  [[ "${lines[1]}" = "Seccomp:"*0 ]]
}

@test "job: writes land in a throwaway layer; --keep-changes keeps them; no --rootfs runs on the host's / read-only" {
  run -0 jt_job --name "$(jt_name w)" -- sh -c 'echo x > /etc/jt-probe; rm /etc/passwd; cat /etc/jt-probe; mkdir /tmp/t && echo tmp-ok'
  [ "${lines[0]}" = x ]
  [ "${lines[1]}" = tmp-ok ]
  [ ! -e "$(jt_rootfs)/etc/jt-probe" ]
  [ -e "$(jt_rootfs)/etc/passwd" ]
  # a second job sees none of the first's changes
  run -1 jt_job -- cat /etc/jt-probe

  local keep=$BATS_TEST_TMPDIR/keep
  run jt_job --keep-changes "$keep" -- sh -c 'echo kept > /newfile; rm /etc/group'
  echo "$output" # shown if the test fails
  [ "$status" -eq 0 ]
  [ "$(cat "$keep/upper/newfile")" = kept ]
  # the removal is an overlayfs whiteout (a 0:0 character device)
  [ "$(stat -c %F:%t:%T "$keep/upper/etc/group")" = "character special file:0:0" ]
  [ ! -e "$keep/work" ]

  # the host's /: seen, written in the job only
  run -0 husk job --name "$(jt_name h)" --env "$(lc_mark)" -- sh -c "cat /etc/hostname >/dev/null && echo x > /etc/jt-host-probe-$$ && echo wrote"
  [ "$output" = wrote ]
  [ ! -e "/etc/jt-host-probe-$$" ]
}

@test "job: bad flags fail naming the flag and leave nothing" {
  run -1 jt_job --bind nocolon -- true
  [[ "$output" = *'--bind: expected SRC:DST[:ro], got "nocolon"'* ]]
  run -1 jt_job --bind /x:/y:rx -- true
  [[ "$output" = *'--bind: expected SRC:DST[:ro]'* ]]
  run -1 jt_job --tmpfs /s:lots -- true
  [[ "$output" = *'--tmpfs: expected a size (64M, 1G, bytes), got "lots"'* ]]
  run -1 jt_job --memory 0 -- true
  [[ "$output" = *'--memory: expected a size'* ]]
  run -1 jt_job --timeout soon -- true
  [[ "$output" = *'--timeout: expected a duration'* ]]
  run -1 jt_job --net wifi -- true
  [[ "$output" = *'--net: expected none, bridge, host or slirp4netns, got "wifi"'* ]]
  run -1 jt_job --user root -- true
  [[ "$output" = *'--user: expected UID[:GID]'* ]]
  run -1 jt_job --cap-add CAP_NOPE -- true
  [[ "$output" = *'--cap-add: unknown capability "CAP_NOPE"'* ]]
  run -1 jt_job --tmpfs relative -- true
  [[ "$output" = *'--tmpfs: the destination must be an absolute path'* ]]
  echo '{"defaultAction": "SCMP_ACT_NOPE"}' > "$BATS_TEST_TMPDIR/sc.json"
  run -1 jt_job --seccomp "$BATS_TEST_TMPDIR/sc.json" -- true
  [[ "$output" = *"--seccomp: $BATS_TEST_TMPDIR/sc.json: defaultAction"* ]]
  run -1 husk job --rootfs "$BATS_TEST_TMPDIR/nonexistent" -- true
  [[ "$output" = *"the lower layer $BATS_TEST_TMPDIR/nonexistent: No such file"* ]]
  run -1 jt_job --name "$(jt_name b)" --bind "$BATS_TEST_TMPDIR/nonexistent:/x" -- true
  [[ "$output" = *nonexistent* ]]
  run -1 jt_job
  [[ "$output" = *'job: expected [OPTIONS] [--] COMMAND'* ]]
  [ -z "$(husk_state_ids)" ]
}

@test "job: escapes fail: files outside the binds, :ro binds, mount, unshare -U, sysrq, kexec, ptrace of another job, a setuid binary" {
  local probe secret=$BATS_TEST_TMPDIR/secret other pid
  local JT_ROOTFS=$BATS_TEST_TMPDIR/rootfs
  probe=$(jt_probe)
  echo top-secret > "$secret"
  mkdir "$BATS_TEST_TMPDIR/ro"
  echo ro-data > "$BATS_TEST_TMPDIR/ro/file"
  # a rootfs of our own, with the probe setuid root in it
  cp -a "$HUSK_BUNDLE_SRC/rootfs" "$JT_ROOTFS"
  install -m 4755 -o 0 -g 0 "$probe" "$JT_ROOTFS/bin/probe"

  other=$(jt_name other)
  jt_job --name "$other" -- sleep 100 3>&- &
  lc_wait_status "$other" running
  pid=$(husk state "$other" | jq -r .pid)

  run -0 jt_job --name "$(jt_name e)" --bind "$BATS_TEST_TMPDIR/ro:/ro:ro" -- sh -c "
    cat $secret 2>/dev/null && echo READ-SECRET
    cat /ro/file
    echo x > /ro/file 2>/dev/null && echo WROTE-RO
    mkdir -p /mnt/m; mount -t tmpfs t /mnt/m 2>/dev/null && echo MOUNTED
    unshare -U true 2>/dev/null && echo USERNS
    echo b > /proc/sysrq-trigger 2>/dev/null && echo SYSRQ
    probe kexec; probe userns; probe ptrace $pid
    exit 0"
  [[ "$output" = *ro-data* ]]
  [[ "$output" != *READ-SECRET* ]]
  [[ "$output" != *WROTE-RO* ]]
  [[ "$output" != *MOUNTED* ]]
  [[ "$output" != *USERNS* ]]
  [[ "$output" != *SYSRQ* ]]
  [[ "$output" = *"kexec_load: failed"* ]]
  [[ "$output" = *"unshare(CLONE_NEWUSER): failed"* ]]
  [[ "$output" = *"ptrace: failed: No such process"* ]]
  [[ "$output" != *"worked"* ]]
  # setuid root gains nothing under no_new_privs
  run -0 jt_job --user 1000 -- probe ids
  [[ "$output" = *"uid=1000 euid=1000"* ]]
  [[ "$output" = *"setuid(0): failed"* ]]
  husk kill "$other" KILL
  wait
}

@test "job: --tmpfs DST:SIZE fills up with ENOSPC, the host's disks untouched" {
  local before after
  before=$(jt_disk_used)
  run -1 jt_job --name "$(jt_name d)" --tmpfs /scratch:16M -- sh -c 'dd if=/dev/zero of=/scratch/f bs=1M count=64; s=$?; stat -f -c %T /scratch; ls -l /scratch/f; exit $s'
  [[ "$output" = *"No space left on device"* ]]
  [[ "$output" = *tmpfs* ]]
  [[ "$output" = *" 16777216 "* ]]
  after=$(jt_disk_used)
  # not the 16 MB the job wrote (others may write a little meanwhile)
  [ $((after - before)) -lt 12288 ]
}

@test "job: --timeout 2s on sleep 100 exits 124 within the grace period, with a report" {
  local t0 t1
  t0=$(date +%s%N)
  run -124 jt_job --name "$(jt_name t)" --timeout 2s --report "$BATS_TEST_TMPDIR/r.json" -- sleep 100
  t1=$(date +%s%N)
  # timeout + 2 s of grace + start-up; far below sleep's 100 s either way
  # (the VM lane's guest can stall for seconds)
  local max=7000
  [ "$HUSK_LANE" = vm ] && max=30000
  [ $(((t1 - t0) / 1000000)) -lt $max ]
  [ $(((t1 - t0) / 1000000)) -ge 2000 ]
  run -0 jq -r '[.exit_status, .timed_out, .signal, .exit_code] | map(tostring) | join(" ")' "$BATS_TEST_TMPDIR/r.json"
  [ "$output" = "124 true 9 null" ]
  # sleep as pid 1 ignores SIGTERM: SIGKILL came after the grace
  [ "$(jq '.wall_time_s >= 4' "$BATS_TEST_TMPDIR/r.json")" = true ]
  # a job that handles SIGTERM ends at once
  run -124 jt_job --timeout 500ms -- sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
}

@test "job: a daemonised child does not outlive its job" {
  run -0 jt_job --name "$(jt_name dm)" -- sh -c 'setsid sh -c "sleep 100 & sleep 100" </dev/null >/dev/null 2>&1 & sleep 0.2; echo parent-done'
  [ "$output" = parent-done ]
  # jt_teardown (lc_teardown) fails the test on any process left with the mark
  sleep 0.2
  [ -z "$(lc_marked_pids)" ]
}

@test "job: SIGKILL of husk mid-job kills the job; the next husk call removes what it left" {
  local name hp
  name=$(jt_name k)
  ( exec "$HUSK" --root "$(husk_root)" job --rootfs "$(jt_rootfs)" --env "$(lc_mark)" --name "$name" -- sh -c 'sleep 100 & sleep 100' 3>&- ) &
  hp=$!
  lc_wait_status "$name" running
  lc_await_marked 2 300
  kill -9 "$hp"
  wait "$hp" || true
  lc_await_marked 0 100
  # its state is left until the next husk call
  [ "$(husk_state_ids)" = "$name" ]
  run -0 husk list -q
  [ -z "$output" ]
  [ -z "$(husk_state_ids)" ]
  [ -z "$(lc_cgroup_dirs "$name")" ]
}

@test "job: concurrent jobs are invisible to each other" {
  local j sync=$BATS_TEST_TMPDIR/sync
  mkdir "$sync"
  # each sees its own sleep and no other: sh (pid 1), sleep, ps, grep.  The
  # three look once all three have their sleep running (a barrier in /sync).
  for j in a b c; do
    jt_job --name "$(jt_name $j)" --bind "$sync:/sync" -- sh -c '
      sleep 60 & s=$!; i=0
      until [ "$(cat /proc/$s/comm)" = sleep ] || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
      touch /sync/$1
      until [ $(ls /sync | wc -l) -ge 3 ] || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
      ps -o comm | grep -c sleep; ls -d /proc/[0-9]* | wc -l; kill $s' sh $j > "$BATS_TEST_TMPDIR/$j.out" 3>&- &
  done
  wait
  for j in a b c; do
    [ "$(sed -n 1p "$BATS_TEST_TMPDIR/$j.out")" = 1 ]
    [ "$(sed -n 2p "$BATS_TEST_TMPDIR/$j.out")" -le 4 ]
  done
}

@test "job: --net none reaches nothing; --net bridge reaches an outside server through NAT" {
  nt_host
  local out srv_out=$BATS_TEST_TMPDIR/srv.out
  out=$(nt_netns out)
  nt_link_host "$out" up0 out0
  nt_in "$out" busybox nc -l -p 9001 > "$srv_out" 3>&- &
  nt_wait_listen ns "$out" 9001

  # none: loopback only, nothing reachable
  run nt_in "$NET_HOST" "$HUSK" --root "$(husk_root)" job --rootfs "$(jt_rootfs)" --env "$(lc_mark)" --name "$(jt_name n)" -- sh -c 'ip -o link | grep -vc " lo:"; echo hi | nc -w 2 192.168.199.2 9001 && echo REACHED'
  [ "${lines[0]}" = 0 ]
  [[ "$output" != *REACHED* ]]
  # bridge: the server sees the host namespace's address (masquerade)
  run -0 nt_in "$NET_HOST" "$HUSK" --root "$(husk_root)" job --rootfs "$(jt_rootfs)" --env "$(lc_mark)" --name "$(jt_name br)" --net bridge -- sh -c 'echo from-job | nc -w 30 192.168.199.2 9001'
  wait
  [ "$(cat "$srv_out")" = from-job ]
  # the job's veth and NAT table went with it; the bridge stays, as in LXC
  [ "$(nt_in "$NET_HOST" ip -o link show master huskjob0 | wc -l)" = 0 ]
  ! nt_in "$NET_HOST" nft list tables 2>/dev/null | grep -q husk_
}

@test "job: --net slirp4netns as root: tap0 10.0.2.100 reaches the host's network through slirp4netns, resolv.conf names 10.0.2.3; slirp4netns ends with the job" {
  jt_need_slirp
  nt_host
  local www=$BATS_TEST_TMPDIR/www srv
  mkdir "$www"
  echo from-the-host > "$www/f"
  # the host namespace's address: slirp4netns's sockets live there (veth:
  # the host lane's kernel has no dummy links)
  nt_in "$NET_HOST" ip link add up0 type veth peer name up1
  nt_in "$NET_HOST" ip addr add 192.0.2.1/24 dev up0
  nt_in "$NET_HOST" ip link set up0 up
  nt_in "$NET_HOST" ip link set up1 up
  # marked: jt_teardown kills it if the test fails before it does
  nsenter --net="/run/netns/$NET_HOST" env "$(lc_mark)" busybox httpd -f -p 192.0.2.1:8080 -h "$www" 3>&- &
  srv=$!
  nt_wait_listen ns "$NET_HOST" 8080
  # husk carries the mark too: jt_teardown finds a slirp4netns left behind
  run -0 nt_in "$NET_HOST" env "$(lc_mark)" "$HUSK" --root "$(husk_root)" job --rootfs "$(jt_rootfs)" \
    --env "$(lc_mark)" --name "$(jt_name sl)" --net slirp4netns -- sh -c \
    'ip -o -4 addr show tap0; cat /etc/resolv.conf; wget -q -O - http://192.0.2.1:8080/f'
  [[ ${lines[0]} =~ ^[0-9]+:\ +tap0\ +inet\ 10\.0\.2\.100/24\  ]]
  [ "${lines[1]}" = "nameserver 10.0.2.3" ]
  [ "${lines[2]}" = from-the-host ]
  kill "$srv"
  wait "$srv" || true
  lc_await_marked 0 100
  [ -z "$(husk_state_ids)" ]
}

@test "job: a fork bomb under --pids 100 fails, the host's process count recovers at once, another job is unaffected" {
  jt_need_controller pids
  local base now other i sync=$BATS_TEST_TMPDIR/sync
  other=$(jt_name other)
  mkdir "$sync"
  # the other job forks its sleeps all through the bomb, until told to end
  jt_job --name "$other" --bind "$sync:/sync" -- sh -c '
    i=0; until [ -e /sync/go ] || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e /sync/go ] && echo alive' > "$BATS_TEST_TMPDIR/other.out" 3>&- &
  lc_wait_status "$other" running
  base=$(jt_user_procs)
  # the bomb fills the job's 100 pids and the main shell's own fork then
  # fails, which ends a non-interactive shell with status 2.  The shell
  # seeds it until then: seeded once, a bomb can die out (its processes
  # fail their forks and exit, the shell reaps them and forks freely).
  run -2 jt_job --name "$(jt_name fb)" --pids 100 --timeout 30s --report "$BATS_TEST_TMPDIR/r.json" -- sh -c \
    'b() { b | b & }; while :; do b; done'
  [[ "$output" = *"can't fork"* ]]
  # the bomb's 100 went with its job: only the kernel's reaping is waited for
  for i in $(seq 100); do
    now=$(jt_user_procs)
    [ "$now" -le $((base + 10)) ] && break
    sleep 0.1
  done
  [ "$now" -le $((base + 10)) ]
  [ "$(jq '.peak_pids <= 100 and .peak_pids >= 50' "$BATS_TEST_TMPDIR/r.json")" = true ]
  touch "$sync/go"
  wait
  [ "$(cat "$BATS_TEST_TMPDIR/other.out")" = alive ]
}

@test "job: a memory bomb under --memory 64M is OOM-killed and the report says so" {
  jt_need_controller memory
  run -137 jt_job --name "$(jt_name mb)" --memory 64M --report "$BATS_TEST_TMPDIR/r.json" -- dd if=/dev/zero of=/dev/null bs=256M count=1
  run -0 jq -r '[.oom_killed, .signal, .timed_out] | map(tostring) | join(" ")' "$BATS_TEST_TMPDIR/r.json"
  [ "$output" = "true 9 false" ]
  [ "$(jq '.peak_memory_bytes > 60000000 and .peak_memory_bytes <= 67108864' "$BATS_TEST_TMPDIR/r.json")" = true ]
}
