#!/usr/bin/env bats
# The container's filesystem view (rootfs/): mounts and their options, /dev,
# masked and read-only paths, the read-only root, pivot and --no-pivot, and
# mount destinations in a hostile rootfs that must stay inside it.  Each test
# asserts what the process inside sees, and teardown that the host is clean.

load helpers
bats_require_minimum_version 1.5.0

# A private copy of the bundle's rootfs, for tests that add to it or let the
# container write to it.  Sets ROOTFS; ctr then uses it as root.path.
own_rootfs() {
  ROOTFS=$BATS_TEST_TMPDIR/rootfs
  cp -a "$HUSK_BUNDLE_SRC/rootfs" "$ROOTFS"
}

# ctr FILTER SCRIPT [RUN-FLAGS...]: runs `sh -c SCRIPT` in a container of the
# busybox bundle with the jq FILTER applied to its config; status and output
# in $status / $output as bats' run leaves them.
ctr() {
  local filter=$1 script=$2 args
  shift 2
  args=$(jq -cn --arg s "$script" '["sh", "-c", $s]')
  make_bundle "$filter | .process.args = $args"
  if [ -n "${ROOTFS:-}" ]; then
    jq --arg r "$ROOTFS" '.root.path = $r' "$BUNDLE/config.json" > "$BUNDLE/config.tmp"
    mv "$BUNDLE/config.tmp" "$BUNDLE/config.json"
  fi
  run husk run "$@" --bundle "$BUNDLE" "rootfs-$BATS_TEST_NUMBER"
  # Shown by bats only when the test fails.
  printf 'husk run: status %s\n%s\n' "$status" "$output"
}

# mnt FIELD MOUNTPOINT: a field of the last line of the mountinfo in $output
# whose mount point is MOUNTPOINT: opts (per-mount options), type (fstype),
# super (superblock options) or root.  Fails when nothing is mounted there.
mnt() {
  printf '%s\n' "$output" | awk -v want="$1" -v mp="$2" '
    $5 == mp {
      for (i = 7; $i != "-"; i++) ;
      if (want == "opts") v = $6
      else if (want == "type") v = $(i + 1)
      else if (want == "super") v = $(i + 3)
      else if (want == "root") v = $4
      found = 1
    }
    END { if (!found) exit 1; print v }'
}

# has_opt LIST OPT: the comma-separated LIST holds OPT.
has_opt() {
  [[ ",$1," == *",$2,"* ]] || { echo "\"$1\" lacks $2"; return 1; }
}

teardown() {
  husk delete --force "rootfs-$BATS_TEST_NUMBER" > /dev/null 2>&1 || true
  [ -z "${HOST_MOUNT:-}" ] || umount "$HOST_MOUNT"
  local left
  left=$(grep -F -e "$BATS_TEST_TMPDIR" -e "$HUSK_BUNDLE_SRC/rootfs" /proc/self/mountinfo || true)
  if [ -n "$left" ]; then
    echo "mounts left on the host: $left"
    return 1
  fi
}

@test "rootfs: the default mounts with their options" {
  ctr . 'cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "$(mnt type /proc)" = proc ]
  [ "$(mnt type /dev)" = tmpfs ]
  has_opt "$(mnt opts /dev)" nosuid
  has_opt "$(mnt super /dev)" mode=755
  has_opt "$(mnt super /dev)" size=65536k
  [ "$(mnt type /dev/pts)" = devpts ]
  has_opt "$(mnt opts /dev/pts)" noexec
  has_opt "$(mnt super /dev/pts)" mode=620
  has_opt "$(mnt super /dev/pts)" ptmxmode=666
  has_opt "$(mnt super /dev/pts)" gid=5
  [ "$(mnt type /dev/shm)" = tmpfs ]
  for o in nosuid nodev noexec; do has_opt "$(mnt opts /dev/shm)" $o; done
  [ "$(mnt type /dev/mqueue)" = mqueue ]
  [ "$(mnt type /sys)" = sysfs ]
  has_opt "$(mnt opts /sys)" ro
  [ "$(mnt type /sys/fs/cgroup)" = cgroup2 ]
  has_opt "$(mnt opts /sys/fs/cgroup)" ro
  # The root is the rootfs, read-only (make_bundle sets root.readonly).
  has_opt "$(mnt opts /)" ro
  # pivot_root left nothing of the host's mount tree: every mount point is
  # one the config asked for, or a masked or read-only path.
  run -0 awk '{print $5}' <<< "$output"
  for mp in "${lines[@]}"; do
    case $mp in
      / | /proc | /proc/* | /dev | /dev/* | /sys | /sys/*) ;;
      *) echo "unexpected mount point $mp"; false ;;
    esac
  done
}

@test "rootfs: tmpfs data options and mount flags; missing destinations are created" {
  own_rootfs
  ctr '.mounts += [{"destination": "/new/deep/scratch", "type": "tmpfs", "source": "tmpfs",
        "options": ["nosuid", "nodev", "noexec", "noatime", "mode=700", "size=1m"]}]' \
    'cat /proc/self/mountinfo; stat -c "mode %a" /new/deep/scratch
     dd if=/dev/zero of=/new/deep/scratch/big bs=1k count=2048 2>&1; echo "dd=$?"'
  [ "$status" -eq 0 ]
  [ "$(mnt type /new/deep/scratch)" = tmpfs ]
  for o in rw nosuid nodev noexec noatime; do has_opt "$(mnt opts /new/deep/scratch)" $o; done
  has_opt "$(mnt super /new/deep/scratch)" size=1024k
  has_opt "$(mnt super /new/deep/scratch)" mode=700
  [[ "$output" == *"mode 700"* ]]
  [[ "$output" == *"No space left on device"* ]]
  [[ "$output" == *"dd=1"* ]]
  # Created inside the rootfs, as a directory.
  [ -d "$ROOTFS/new/deep/scratch" ]
}

@test "rootfs: bind mounts: ro is unwritable, rw writes through, a file source makes a file" {
  own_rootfs
  local src=$BATS_TEST_TMPDIR/src
  mkdir -p "$src/ro" "$src/rw"
  echo hello > "$src/ro/greeting"
  echo filedata > "$src/file"
  ctr ".mounts += [
        {\"destination\": \"/mnt/ro\", \"type\": \"bind\", \"source\": \"$src/ro\", \"options\": [\"bind\", \"ro\", \"nosuid\", \"nodev\"]},
        {\"destination\": \"/mnt/rw\", \"type\": \"none\", \"source\": \"$src/rw\", \"options\": [\"rbind\", \"rw\"]},
        {\"destination\": \"/etc/injected\", \"type\": \"bind\", \"source\": \"$src/file\", \"options\": [\"bind\", \"ro\"]}]" \
    'cat /proc/self/mountinfo; cat /mnt/ro/greeting
     touch /mnt/ro/x 2>&1; echo "ro=$?"; echo written > /mnt/rw/out; echo "rw=$?"
     cat /etc/injected; echo more >> /etc/injected 2>&1; echo "file=$?"'
  [ "$status" -eq 0 ]
  for o in ro nosuid nodev; do has_opt "$(mnt opts /mnt/ro)" $o; done
  has_opt "$(mnt opts /mnt/rw)" rw
  has_opt "$(mnt opts /etc/injected)" ro
  [[ "$output" == *hello* ]]
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" == *"ro=1"* ]]
  [[ "$output" == *"rw=0"* ]]
  [[ "$output" == *filedata* ]]
  [[ "$output" == *"file=1"* ]]
  [ ! -e "$src/ro/x" ]
  [ "$(cat "$src/rw/out")" = written ]
  [ "$(cat "$src/file")" = filedata ]
  [ -f "$ROOTFS/etc/injected" ]
}

@test "rootfs: rbind,ro leaves submounts writable; rbind,rro makes them read-only" {
  local src=$BATS_TEST_TMPDIR/tree
  mkdir -p "$src/sub"
  mount -t tmpfs tmpfs "$src/sub"
  HOST_MOUNT=$src/sub
  # /tmp is a tmpfs first, so that the destinations are made there and not
  # in the shared rootfs.
  ctr ".mounts += [
        {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},
        {\"destination\": \"/tmp/ro\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"rbind\", \"ro\"]},
        {\"destination\": \"/tmp/rro\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"rbind\", \"rro\"]}]" \
    'cat /proc/self/mountinfo
     touch /tmp/ro/sub/a 2>&1; echo "ro-sub=$?"; touch /tmp/rro/sub/b 2>&1; echo "rro-sub=$?"
     touch /tmp/rro/c 2>&1; echo "rro-top=$?"'
  [ "$status" -eq 0 ]
  has_opt "$(mnt opts /tmp/ro)" ro
  has_opt "$(mnt opts /tmp/ro/sub)" rw
  has_opt "$(mnt opts /tmp/rro)" ro
  has_opt "$(mnt opts /tmp/rro/sub)" ro
  [[ "$output" == *"ro-sub=0"* ]]
  [[ "$output" == *"rro-sub=1"* ]]
  [[ "$output" == *"rro-top=1"* ]]
  [ -e "$src/sub/a" ]
  [ ! -e "$src/sub/b" ]
}

@test "rootfs: tmpcopyup fills a tmpfs with what it covers, the rootfs is untouched" {
  own_rootfs
  mkdir -p "$ROOTFS/seed/sub"
  echo seeded > "$ROOTFS/seed/sub/file"
  chown 1:2 "$ROOTFS/seed/sub/file"
  chmod 750 "$ROOTFS/seed/sub"
  ln -s /etc/passwd "$ROOTFS/seed/link"
  ctr '.mounts += [{"destination": "/seed", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755"]}]' \
    'cat /proc/self/mountinfo; cat /seed/sub/file; stat -c "%n %a %u:%g" /seed/sub /seed/sub/file
     echo "link -> $(readlink /seed/link)"; echo new > /seed/sub/new; echo "write=$?"'
  [ "$status" -eq 0 ]
  [ "$(mnt type /seed)" = tmpfs ]
  [[ "$output" == *seeded* ]]
  [[ "$output" == *"/seed/sub 750 0:0"* ]]
  [[ "$output" == *"/seed/sub/file 644 1:2"* ]]
  [[ "$output" == *"link -> /etc/passwd"* ]]
  [[ "$output" == *"write=0"* ]]
  [ ! -e "$ROOTFS/seed/sub/new" ]
  # Only for tmpfs: a bind with tmpcopyup would write into its source.
  ctr '.mounts += [{"destination": "/seed", "type": "bind", "source": "/tmp", "options": ["bind", "tmpcopyup"]}]' 'true'
  [ "$status" -eq 1 ]
  [[ "$output" == *"tmpcopyup is only for tmpfs mounts"* ]]
}

@test "rootfs: /dev has the default devices, links and modes" {
  ctr . 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a %u:%g" /dev/$d; done
         for l in ptmx fd stdin stdout stderr; do echo "/dev/$l -> $(readlink /dev/$l)"; done
         stat -c "%n %F" /dev/pts/ptmx /dev/shm
         echo discard > /dev/null && echo null-ok; head -c 3 /dev/zero | od -An -tx1'
  [ "$status" -eq 0 ]
  [[ "$output" == *"/dev/null character special file 1:3 666 0:0"* ]]
  [[ "$output" == *"/dev/zero character special file 1:5 666 0:0"* ]]
  [[ "$output" == *"/dev/full character special file 1:7 666 0:0"* ]]
  [[ "$output" == *"/dev/random character special file 1:8 666 0:0"* ]]
  [[ "$output" == *"/dev/urandom character special file 1:9 666 0:0"* ]]
  [[ "$output" == *"/dev/tty character special file 5:0 666 0:0"* ]]
  [[ "$output" == *"/dev/ptmx -> pts/ptmx"* ]]
  [[ "$output" == *"/dev/fd -> /proc/self/fd"* ]]
  [[ "$output" == *"/dev/stdin -> /proc/self/fd/0"* ]]
  [[ "$output" == *"/dev/stdout -> /proc/self/fd/1"* ]]
  [[ "$output" == *"/dev/stderr -> /proc/self/fd/2"* ]]
  [[ "$output" == *"/dev/pts/ptmx character special file"* ]]
  [[ "$output" == *"/dev/shm directory"* ]]
  [[ "$output" == *null-ok* ]]
  [[ "$output" == *" 00 00 00"* ]]
}

@test "rootfs: a read-only /dev gets its nodes first" {
  ctr '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)' \
    'cat /proc/self/mountinfo; stat -c "%n %t:%T" /dev/null; touch /dev/x 2>&1; echo "touch=$?"'
  [ "$status" -eq 0 ]
  has_opt "$(mnt opts /dev)" ro
  [[ "$output" == *"/dev/null 1:3"* ]]
  [[ "$output" == *"touch=1"* ]]
}

@test "rootfs: linux.devices are made with their numbers, mode and owner" {
  ctr '.linux.devices = [
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 432, "uid": 1, "gid": 2},
        {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200},
        {"path": "/dev/loop-test", "type": "b", "major": 7, "minor": 99, "fileMode": 384},
        {"path": "/dev/myfifo", "type": "p"}]' \
    'stat -c "%n %F %t:%T %a %u:%g" /dev/fuse /dev/net/tun /dev/loop-test /dev/myfifo'
  [ "$status" -eq 0 ]
  [[ "$output" == *"/dev/fuse character special file a:e5 660 1:2"* ]]
  [[ "$output" == *"/dev/net/tun character special file a:c8 666 0:0"* ]]
  [[ "$output" == *"/dev/loop-test block special file 7:63 600 0:0"* ]]
  [[ "$output" == *"/dev/myfifo fifo 0:0 666 0:0"* ]]
}

@test "rootfs: a linux.devices entry without major/minor is refused, nothing left" {
  ctr '.linux.devices = [{"path": "/dev/bad", "type": "c"}]' 'true'
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.devices[0]"* ]]
  run -0 husk list -q
  [ -z "$output" ]
}

@test "rootfs: masked paths: files read as /dev/null, directories are empty and read-only" {
  own_rootfs
  mkdir -p "$ROOTFS/secret-dir"
  echo topsecret > "$ROOTFS/secret-dir/key"
  echo topsecret > "$ROOTFS/secret-file"
  ctr '.linux.maskedPaths += ["/secret-dir", "/secret-file", "/does/not/exist"]' \
    'cat /proc/self/mountinfo; echo "keys=[$(cat /proc/keys)] file=[$(cat /secret-file)]"
     stat -c "%n %F %t:%T" /proc/keys /secret-file
     echo "dir=[$(ls -A /secret-dir)] fw=[$(ls -A /sys/firmware)]"
     touch /secret-dir/x 2>&1; echo "touch=$?"; echo x > /secret-file; echo "write=$?"'
  [ "$status" -eq 0 ]
  [[ "$output" == *"keys=[] file=[]"* ]]
  [[ "$output" == *"/proc/keys character special file 1:3"* ]]
  [[ "$output" == *"/secret-file character special file 1:3"* ]]
  [[ "$output" == *"dir=[] fw=[]"* ]]
  [[ "$output" == *"touch=1"* ]]
  [[ "$output" == *"write=0"* ]]
  [ "$(mnt type /secret-dir)" = tmpfs ]
  has_opt "$(mnt opts /secret-dir)" ro
  [ "$(mnt type /sys/firmware)" = tmpfs ]
  [ "$(cat "$ROOTFS/secret-file")" = topsecret ]
  [ "$(cat "$ROOTFS/secret-dir/key")" = topsecret ]
}

@test "rootfs: read-only paths are unwritable, missing ones skipped" {
  own_rootfs
  mkdir -p "$ROOTFS/data"
  ctr '.root.readonly = false | .linux.readonlyPaths += ["/data", "/does/not/exist"]' \
    'cat /proc/self/mountinfo
     echo other > /proc/sys/kernel/hostname 2>&1; echo "sys=$?"
     touch /data/x 2>&1; echo "data=$?"; touch /written; echo "root=$?"'
  [ "$status" -eq 0 ]
  has_opt "$(mnt opts /proc/sys)" ro
  has_opt "$(mnt opts /data)" ro
  [[ "$output" == *"sys=1"* ]]
  [[ "$output" == *"data=1"* ]]
  [[ "$output" == *"root=0"* ]]
  [[ "$output" == *"Read-only file system"* ]]
  [ ! -e "$ROOTFS/data/x" ]
  [ -e "$ROOTFS/written" ]
}

@test "rootfs: root.readonly makes / unwritable and leaves the mounts on it alone" {
  ctr '.root.readonly = true' \
    'touch /newfile 2>&1; echo "root=$?"; touch /dev/shm/ok; echo "shm=$?"; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" == *"root=1"* ]]
  [[ "$output" == *"shm=0"* ]]
  has_opt "$(mnt opts /)" ro
  [ ! -e "$HUSK_BUNDLE_SRC/rootfs/newfile" ]
}

@test "rootfs: a symlinked mount destination in a hostile rootfs stays inside it" {
  own_rootfs
  local T=$BATS_TEST_TMPDIR
  mkdir -p "$T/host-target"
  echo keep > "$T/host-target/keep"
  echo host > "$T/host-file"
  ln -s "/../../../../../../..$T/host-target" "$ROOTFS/evil"
  ln -s "../../../../../../..$T/host-file" "$ROOTFS/evil-file"
  ln -s "/../../..$T/host-missing" "$ROOTFS/evil-new"
  echo secret > "$T/host-secret"
  ln -s "/../../..$T/host-secret" "$ROOTFS/evil-mask"
  ctr '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"},
                   {"destination": "/evil-file", "type": "bind", "source": "/etc/hostname", "options": ["bind", "ro"]},
                   {"destination": "/evil-new/sub", "type": "tmpfs", "source": "tmpfs"}]
       | .linux.maskedPaths += ["/evil-mask"]' \
    'cat /proc/self/mountinfo; echo pwned > /evil/pwned; echo "evil=$?"; stat -f -c "fs %T" /evil'
  [ "$status" -eq 0 ]
  [[ "$output" == *"evil=0"* ]]
  [[ "$output" == *"fs tmpfs"* ]]
  # The container sees its mounts where the links lead inside its root.
  [ "$(mnt type "$T/host-target")" = tmpfs ]
  [ "$(mnt type "$T/host-missing/sub")" = tmpfs ]
  mnt type "$T/host-file"
  # The host's paths are untouched: no mount, no new file, same contents.
  [ "$(ls -A "$T/host-target")" = keep ]
  [ "$(cat "$T/host-file")" = host ]
  [ "$(cat "$T/host-secret")" = secret ]
  [ ! -e "$T/host-missing" ]
  run -1 grep -F -e " $T/host-target " -e " $T/host-file " -e " $T/host-secret " /proc/self/mountinfo
  # The masked path led nowhere inside the root: skipped, not followed out.
  [ ! -e "$ROOTFS$T/host-secret" ]
  # What was created was created inside the rootfs.
  [ -d "$ROOTFS$T/host-target" ]
  [ -f "$ROOTFS$T/host-file" ]
  [ -d "$ROOTFS$T/host-missing/sub" ]
}

@test "rootfs: a bind destination inside /proc is refused" {
  ctr '.mounts += [{"destination": "/proc/sys/kernel", "type": "tmpfs", "source": "tmpfs"}]' 'true'
  [ "$status" -ne 0 ]
  [[ "$output" == *'mount "tmpfs" on "/proc/sys/kernel": cannot be mounted inside /proc'* ]]
  run -0 husk list -q
  [ -z "$output" ]
}

@test "rootfs: a failing mount names the mount and the cause, nothing left" {
  ctr '.mounts += [{"destination": "/x", "type": "nosuchfs", "source": "src"}]' 'true'
  [ "$status" -eq 1 ]
  [[ "$output" == *'mount "src" on "/x": unknown filesystem type "nosuchfs"'* ]]
  ctr '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["bogus=1"]}]' 'true'
  [ "$status" -eq 1 ]
  [[ "$output" == *'mount "tmpfs" on "/x": option "bogus=1"'* ]]
  ctr '.mounts += [{"destination": "/x", "type": "bind", "source": "/does/not/exist", "options": ["bind"]}]' 'true'
  [ "$status" -eq 1 ]
  [[ "$output" == *'mount "/does/not/exist" on "/x"'*"No such file or directory"* ]]
  run -0 husk list -q
  [ -z "$output" ]
}

@test "rootfs: --no-pivot moves the rootfs onto / and chroots" {
  ctr . 'cat /proc/self/mountinfo; ls /' --no-pivot
  [ "$status" -eq 0 ]
  [[ "$output" == *bin* ]]
  [ "$(mnt type /proc)" = proc ]
  [ "$(mnt type /dev)" = tmpfs ]
  # No procfs or sysfs of the host is left reachable.
  run -0 awk '$0 ~ / - (proc|sysfs) / {print $5}' <<< "$output"
  for mp in "${lines[@]}"; do
    case $mp in
      /proc | /proc/* | /sys) ;;
      *) echo "host procfs/sysfs at $mp"; false ;;
    esac
  done
}

@test "rootfs: rootfsPropagation is applied to the container's /" {
  ctr '.linux.rootfsPropagation = "shared"' 'cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  run -0 awk '$5 == "/"' <<< "$output"
  [[ "$output" == *" shared:"* ]]
  ctr '.linux.rootfsPropagation = "unbindable"' 'cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  run -0 awk '$5 == "/"' <<< "$output"
  [[ "$output" == *" unbindable "* ]]
  ctr '.linux.rootfsPropagation = "private"' 'cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  run -0 awk '$5 == "/"' <<< "$output"
  [[ "$output" != *" shared:"* && "$output" != *" master:"* ]]
}

@test "rootfs: a terminal gets /dev/console bound to its pty" {
  ctr '.process.terminal = true' 'stat -c "%n %F %t" /dev/console; tty'
  [ "$status" -eq 0 ]
  [[ "$output" =~ "/dev/console character special file "8[8-9a-f] ]]
}

@test "rootfs: in a user namespace devices are bind-mounted from the host" {
  ctr '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
    'cat /proc/self/mountinfo; stat -c "%n %F %t:%T" /dev/null /dev/zero /dev/tty
     echo x > /dev/null && echo null-ok'
  [ "$status" -eq 0 ]
  [[ "$output" == *"/dev/null character special file 1:3"* ]]
  [[ "$output" == *"/dev/zero character special file 1:5"* ]]
  [[ "$output" == *"/dev/tty character special file 5:0"* ]]
  [[ "$output" == *null-ok* ]]
  [ "$(mnt root /dev/null)" = /null ]
  [ "$(mnt type /sys)" = sysfs ]
}
