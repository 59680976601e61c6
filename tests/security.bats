#!/usr/bin/env bats
# Container escapes found in runc and crun (issue 5): each test attempts the
# attack from inside a container and shows that it fails.  CVE-2019-5736
# (husk's binary written through /proc/PID/exe, in create, run, exec and job),
# CVE-2024-21626 (a cwd through a leaked fd), CVE-2025-52881 (a sysctl write
# redirected by the container's mounts).  README "Security" lists the tests
# of the others.  Every test ends with lc_teardown: nothing may remain.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
  lc_teardown
}

# ---------------------------------------------------------------- CVE-2019-5736

# The attack's rootfs, made once for the file: the busybox rootfs with the
# attack (tests/tools/exe_attack.c, static: the rootfs has no libc), /evil
# (`#!/proc/self/exe --log=/fifo`: husk run inside the container, blocked
# opening the fifo until the attack lets it go), the fifo, and husk's shared
# libraries: without them the kernel could not load husk in the container,
# and the attack would fail for that reason alone.
setup_file() {
  local lib
  export SEC_ROOTFS=$BATS_FILE_TMPDIR/attack-rootfs
  cp -a "$HUSK_BUNDLE_SRC/rootfs" "$SEC_ROOTFS"
  cc -static -O2 -Wall -Wextra -Werror -o "$SEC_ROOTFS/attack" "$HUSK_SRC/tests/tools/exe_attack.c"
  printf '#!/proc/self/exe --log=/fifo\n' > "$SEC_ROOTFS/evil"
  chmod 755 "$SEC_ROOTFS/evil"
  mkfifo "$SEC_ROOTFS/fifo"
  for lib in $(ldd "$HUSK" | grep -o '/[^ ]*'); do
    mkdir -p "$SEC_ROOTFS${lib%/*}"
    cp -L "$lib" "$SEC_ROOTFS$lib"
  done
}

# The victim: a scratch copy of husk, never the build's, run with the
# protection method $SEC_METHOD ("" is husk's default, overlayfs then memfd).
# Sets ROOTFS, VICTIM and VICTIM_SUM.
sec_setup() {
  ROOTFS=$SEC_ROOTFS
  mkdir "$BATS_TEST_TMPDIR/bin"
  VICTIM=$BATS_TEST_TMPDIR/bin/husk
  cp "$HUSK" "$VICTIM"
  VICTIM_SUM=$(sha256sum < "$VICTIM")
}

victim() {
  HUSK_EXE_COPY=$SEC_METHOD "$VICTIM" --root "$(husk_root)" "$@"
}

# The attack's report $1: it got hold of the binary the victim ran from, and
# every write was refused; the victim's binary is unchanged.
sec_assert_refused() {
  printf 'method "%s", attack:\n%s\n' "$SEC_METHOD" "$1"
  [[ "$1" == *"exe: "* ]]
  [[ "$1" != *WRITTEN* ]]
  [[ "$1" =~ "running: open for writing: "(ETXTBSY|EROFS) ]]
  [[ "$1" =~ "exited: "("open for writing: EROFS"|"opened, write: EPERM") ]]
  if [ "$SEC_METHOD" = memfd ]; then
    [[ "$1" == *"exe: /memfd:husk (deleted)"* ]]
  else
    # overlayfs's magic, or the memfd where overlayfs refuses the layer
    [[ "$1" == *" fs 794c7630"* || "$1" == *"exe: /memfd:husk (deleted)"* ]]
  fi
  [ "$(sha256sum < "$VICTIM")" = "$VICTIM_SUM" ]
}

@test "CVE-2019-5736: exec of a #!/proc/self/exe entrypoint cannot write husk's binary" {
  sec_setup
  local id
  for SEC_METHOD in "" memfd; do
    id=sec-exec-${SEC_METHOD:-default}
    lc_bundle ".root.path = \"$ROOTFS\" | .process.args = [\"/attack\", \"--log=/fifo\"]"
    victim create --bundle "$BUNDLE" "$id" > "$BATS_TEST_TMPDIR/out" 2>&1
    victim start "$id"
    # husk runs in the container, and fails on its argument (/evil)
    run victim exec "$id" /evil
    [ "$status" -eq 1 ]
    [[ "$output" == *'unknown command "/evil"'* ]]
    lc_wait_status "$id" stopped
    sec_assert_refused "$(cat "$BATS_TEST_TMPDIR/out")"
    victim delete "$id"
  done
}

# No pid namespace: the attack, exec'd, outlives the init it goes for.
@test "CVE-2019-5736: run of a #!/proc/self/exe entrypoint cannot write husk's binary" {
  sec_setup
  local id
  for SEC_METHOD in "" memfd; do
    id=sec-run-${SEC_METHOD:-default}
    lc_bundle ".root.path = \"$ROOTFS\" | .process.args = [\"/evil\"]
               | .linux.namespaces |= map(select(.type != \"pid\"))"
    victim run --detach --bundle "$BUNDLE" "$id" </dev/null
    # launched by the build's husk (the victim's file must not stay busy);
    # the marker is not an argument of it, or the attack would find it
    run husk exec "$id" sh -c 'exec /attack --log=$0' /fifo
    sec_assert_refused "$output"
    [ "$status" -eq 0 ]
    lc_wait_status "$id" stopped
    victim delete "$id"
  done
}

# A job's first process is exec'd by husk's init: a `#!/proc/self/exe`
# entrypoint runs husk in the job (blocked opening /fifo).  The attack, from
# the host and as root, goes for that process's binary while it runs, and
# again once `husk kill` has ended the job.
@test "CVE-2019-5736: a job's #!/proc/self/exe entrypoint cannot have husk's binary written" {
  sec_setup
  local pid i name
  for SEC_METHOD in "" memfd; do
    name=sec-job-${SEC_METHOD:-default}
    victim job --name "$name" --rootfs "$ROOTFS" --timeout 60s -- /evil > /dev/null 2>&1 3>&- &
    pid=
    for i in $(seq 300); do
      pid=$(pgrep -f -- '^/proc/self/exe --log=/fifo') && break
      sleep 0.1
    done
    [ -n "$pid" ]
    "$SEC_ROOTFS/attack" "$pid" > "$BATS_TEST_TMPDIR/out" 2>&1 &
    wait_until 30 grep -q running: "$BATS_TEST_TMPDIR/out" || true
    victim kill "$name" KILL
    wait
    sec_assert_refused "$(cat "$BATS_TEST_TMPDIR/out")"
  done
}

# The init waiting in `create` is husk, not dumpable; a container given
# CAP_SYS_PTRACE (and no pid namespace, to outlive it) may still open its
# /proc/PID/exe.
@test "CVE-2019-5736: the init waiting after create cannot have husk's binary written" {
  sec_setup
  local id pid rc
  for SEC_METHOD in "" memfd; do
    id=sec-create-${SEC_METHOD:-default}
    lc_bundle ".root.path = \"$ROOTFS\" | .process.args = [\"sleep\", \"100\"]
               | .linux.namespaces |= map(select(.type != \"pid\"))
               | .process.capabilities |= with_entries(.value += [\"CAP_SYS_PTRACE\"])"
    victim create --bundle "$BUNDLE" "$id"
    pid=$(victim state "$id" | jq .pid)
    husk exec "$id" /attack "$pid" > "$BATS_TEST_TMPDIR/out" 2>&1 &
    wait_until 10 grep -q running: "$BATS_TEST_TMPDIR/out" || true
    victim kill "$id" KILL
    rc=0
    wait $! || rc=$?
    sec_assert_refused "$(cat "$BATS_TEST_TMPDIR/out")"
    [ "$rc" -eq 0 ]
    lc_wait_status "$id" stopped
    victim delete "$id"
  done
}

# The re-exec is made by husk's entry point, before libc starts (lib/
# selfexe_early.c): the first image's system calls, as strace sees them, end
# with the execveat before libc's first (brk), and main, finding itself
# protected, does not re-exec again.  A command that enters no container is
# not re-exec'd; HUSK_EXE_COPY=memfd leaves the copy to main.
# $1: the command; prints the first image's system calls, one name a line.
sec_first_image_syscalls() {
  local log=$BATS_TEST_TMPDIR/strace
  HUSK_EXE_COPY=$SEC_METHOD strace -qq -o "$log" "$VICTIM" --root "$(husk_root)" "$@" > /dev/null
  awk '{ sub(/\(.*/, ""); print } /^execveat/ { exit }' "$log"
}

# Whether overlayfs takes directory $1 as a lower layer, tried with mount(8)
# in a mount namespace of its own: independent of husk's code.
sec_overlayfs_takes() {
  mkdir -p "$BATS_TEST_TMPDIR/ovl"
  unshare -m sh -c 'mount -t overlay -o ro,lowerdir="$1":/dev husk-probe "$2"' sh \
    "$1" "$BATS_TEST_TMPDIR/ovl" 2>/dev/null
}

@test "CVE-2019-5736: create, run and exec re-exec from the protected copy before libc starts" {
  command -v strace > /dev/null || skip_because "strace is not installed (scripts/deps.sh installs it)"
  sec_setup
  local calls
  lc_bundle '.process.args = ["true"]'
  SEC_METHOD=
  victim create --bundle "$BUNDLE" sec-early
  # no container entered: no copy, no re-exec
  calls=$(sec_first_image_syscalls state sec-early)
  [[ "$calls" == *brk* && "$calls" != *fsopen* && "$calls" != *execveat* ]]
  # asked for the memfd copy: main makes it, after libc's start
  SEC_METHOD=memfd
  calls=$(sec_first_image_syscalls exec sec-early true)
  [[ "$calls" == *brk*memfd_create*execveat ]]
  victim delete --force sec-early

  SEC_METHOD=
  sec_overlayfs_takes "${VICTIM%/*}" ||
    skip_because "overlayfs refuses ${VICTIM%/*} as a lower layer: husk uses the memfd copy there"
  calls=$(sec_first_image_syscalls run --bundle "$BUNDLE" sec-early-run)
  printf 'run, first image:\n%s\n' "$calls"
  [[ "$calls" == *fsmount* ]]
  [ "$(tail -1 <<< "$calls")" = execveat ]
  [[ "$calls" != *brk* && "$calls" != *arch_prctl* ]]
  # the image re-exec'd: one execveat in all, main did not make another copy
  [ "$(grep -c '^execveat(' "$BATS_TEST_TMPDIR/strace")" -eq 1 ]
  calls=$(sec_first_image_syscalls create --bundle "$BUNDLE" sec-early)
  [ "$(tail -1 <<< "$calls")" = execveat ]
  [[ "$calls" != *brk* ]]
  calls=$(sec_first_image_syscalls exec sec-early true)
  [ "$(tail -1 <<< "$calls")" = execveat ]
  [[ "$calls" != *brk* ]]
  victim delete --force sec-early
}

# ---------------------------------------------------------------- CVE-2024-21626

# An fd of husk's that the init or the exec'd process holds while it enters
# its cwd (the host's /proc among them) leads outside the container: a cwd of
# /proc/self/fd/N, or a symlink to it in the rootfs, must never be entered.
# (That no fd reaches the process itself: lifecycle.bats, "exec and run:
# only stdio and --preserve-fds reach the process".)
# Tries cwd /proc/self/fd/N for N from 3 up to the first one that leads
# out (the VM lane is slow): $1 runs the attempt with the path as its last
# argument and must fail with no ESCAPED in its output.  Prints that N; fails
# when none was refused for leading out.
sec_first_leaking_fd() {
  local n
  for n in 3 4 5 6 7 8; do
    run "$@" "/proc/self/fd/$n"
    [ "$status" -ne 0 ] || return 1
    [[ "$output" != *ESCAPED* ]] || return 1
    if [[ "$output" == *"outside the container's root"* ]]; then
      echo "$n"
      return 0
    fi
  done
  return 1
}

sec_run_with_cwd() {
  lc_bundle_sh 'echo ESCAPED; pwd' ".root.path = \"$ROOTFS\" | .process.cwd = \"$1\""
  husk run --bundle "$BUNDLE" "sec-cwd-${1##*/}" </dev/null
}

sec_exec_with_cwd() {
  husk exec --cwd "$1" sec-cwd-exec sh -c 'echo ESCAPED; pwd'
}

@test "CVE-2024-21626: a cwd through a leaked fd, directly or by a symlink, is refused in run and exec" {
  local leak
  ROOTFS=$BATS_TEST_TMPDIR/rootfs
  cp -a "$HUSK_BUNDLE_SRC/rootfs" "$ROOTFS"
  leak=$(sec_first_leaking_fd sec_run_with_cwd)
  ln -s "/proc/self/fd/$leak" "$ROOTFS/leak"
  run sec_run_with_cwd /leak
  [ "$status" -eq 1 ]
  [[ "$output" == *'process.cwd: "/leak" is outside the container'* ]]

  lc_bundle ".root.path = \"$ROOTFS\" | .process.args = [\"sleep\", \"100\"]"
  husk run --detach --bundle "$BUNDLE" sec-cwd-exec </dev/null
  sec_first_leaking_fd sec_exec_with_cwd
}

# ---------------------------------------------------------------- CVE-2025-52881

# The config's mounts put a fake /proc (with a sys/net/ipv4/ip_forward file)
# over the container's: the sysctl still goes to the real procfs of the
# container's network namespace; neither the fake file nor the host's value
# changes.
@test "CVE-2025-52881: linux.sysctl reaches the real procfs when the mounts cover /proc" {
  local T=$BATS_TEST_TMPDIR host want pid
  host=$(cat /proc/sys/net/ipv4/ip_forward)
  want=$((1 - host))
  mkdir -p "$T/fakeproc/sys/net/ipv4"
  echo fake > "$T/fakeproc/sys/net/ipv4/ip_forward"
  lc_bundle ".process.args = [\"sleep\", \"100\"]
             | .linux.sysctl = {\"net.ipv4.ip_forward\": \"$want\"}
             | .mounts += [{\"destination\": \"/proc\", \"type\": \"bind\",
                            \"source\": \"$T/fakeproc\", \"options\": [\"rbind\"]}]"
  husk create --bundle "$BUNDLE" sec-sysctl
  pid=$(husk state sec-sysctl | jq .pid)
  # the container sees the fake file...
  run -0 husk exec sec-sysctl cat /proc/sys/net/ipv4/ip_forward
  [ "$output" = fake ]
  # ...but the sysctl is set in its network namespace
  [ "$(nsenter --net=/proc/$pid/ns/net cat /proc/sys/net/ipv4/ip_forward)" = "$want" ]
  [ "$(cat "$T/fakeproc/sys/net/ipv4/ip_forward")" = fake ]
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}

# ---------------------------------------------------------------- CVE-2025-31133

# The config's mounts put a regular file of the host's over the container's
# /dev/null: husk refuses it (it masks paths with its own null device,
# checked as char 1:3, and never with the container's), and nothing is
# written to that file.
@test "CVE-2025-31133: a container /dev/null that is not the null device is refused" {
  local T=$BATS_TEST_TMPDIR
  echo keep > "$T/fake-null"
  lc_bundle_sh 'echo pwned > /proc/kcore; echo ran' \
    ".mounts += [{\"destination\": \"/dev/null\", \"type\": \"bind\", \"source\": \"$T/fake-null\", \"options\": [\"bind\"]}]"
  run husk run --bundle "$BUNDLE" sec-null </dev/null
  [ "$status" -eq 1 ]
  [[ "$output" == *'device "/dev/null": exists and is not device c 1:3'* ]]
  [[ "$output" != *ran* ]]
  [ "$(cat "$T/fake-null")" = keep ]
}
