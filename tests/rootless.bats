#!/usr/bin/env bats
# Rootless husk: the suite's bundles run by unprivileged users.  huskrl1 has
# subordinate ids (/etc/subuid, /etc/subgid), huskrl2 has none; both are made
# here and removed at the end, with their subordinate ranges.  husk and the
# bundle are copied where these users can read them (the tree may not be
# traversable by others).  Each test's containers are checked gone by
# lc_teardown, run as the users.  Every process costs a second or more in
# the VM lane: the checks use shell builtins where they can.

load helpers

RL_USERS="huskrl1 huskrl2"
# huskrl1's subordinate range: high, so that it meets no one else's
RL_SUB_START=1879048192
RL_SUB_COUNT=65536

# Why this lane cannot run unprivileged user namespaces, or nothing.
rl_userns_missing() {
  local v=1 f=/proc/sys/kernel/unprivileged_userns_clone
  [ ! -r $f ] || read -r v < $f
  if [ "$v" = 0 ]; then
    echo "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)"
    return
  fi
  read -r v < /proc/sys/user/max_user_namespaces
  if [ "$v" = 0 ]; then
    echo "user namespaces are disabled (user.max_user_namespaces = 0)"
  elif ! command -v newuidmap > /dev/null; then
    echo "newuidmap is not installed (Debian's uidmap package)"
  fi
}

rl_remove_users() {
  local u
  for u in $RL_USERS; do
    if id "$u" > /dev/null 2>&1; then
      rm -rf "/tmp/husk-$(id -u "$u")"
      userdel "$u" 2> /dev/null || true
    fi
  done
  # userdel drops the users' subordinate ranges; make sure
  sed -i '/^huskrl[12]:/d' /etc/subuid /etc/subgid
}

# Lets others traverse (not list) every directory from BATS_RUN_TMPDIR
# down to $1, so the test users reach what is there.
rl_open_path() {
  local d=$1 dirs=()
  while [ "$d" != "$BATS_RUN_TMPDIR" ] && [ "$d" != / ]; do
    dirs+=("$d")
    d=${d%/*}
  done
  chmod o+x "${dirs[@]}" "$BATS_RUN_TMPDIR"
}

setup_file() {
  [ -z "$(rl_userns_missing)" ] || return 0
  rl_remove_users
  useradd -M -d /nonexistent -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 huskrl1
  useradd -M -d /nonexistent -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 huskrl2
  local last=$((RL_SUB_START + RL_SUB_COUNT - 1))
  usermod --add-subuids "$RL_SUB_START-$last" --add-subgids "$RL_SUB_START-$last" huskrl1
  # what the users run: husk and a copy of the bundle's rootfs
  local d=$BATS_FILE_TMPDIR/rl
  mkdir -p "$d"
  cp "$HUSK" "$d/husk"
  cp -a "$HUSK_BUNDLE_SRC" "$d/bundle"
  # the mount point of a bind below (the user cannot make it in root's
  # rootfs; a fresh bundle lacks it)
  mkdir -p "$d/bundle/rootfs/out"
  chmod -R a+rX "$d"
  # husk job's --rootfs: a copy each user owns, so that its root inside
  # may write there (into the job's throwaway layer)
  local u
  for u in $RL_USERS; do
    cp -a "$HUSK_BUNDLE_SRC/rootfs" "$d/rootfs-$u"
    chown -R "$u:" "$d/rootfs-$u"
  done
  rl_open_path "$d"
}

teardown_file() {
  rl_remove_users
}

setup() {
  local why
  why=$(rl_userns_missing)
  [ -z "$why" ] || skip_because "$why"
  RL_USER=huskrl1
  HUSK=$BATS_FILE_TMPDIR/rl/husk
  HUSK_BUNDLE_SRC=$BATS_FILE_TMPDIR/rl/bundle
  # each user's own corner of the test's directory: state, pid files, binds
  RL_DIR=$BATS_TEST_TMPDIR/u
  mkdir -p "$RL_DIR/huskrl1" "$RL_DIR/huskrl2"
  chown huskrl1: "$RL_DIR/huskrl1"
  chown huskrl2: "$RL_DIR/huskrl2"
  rl_open_path "$RL_DIR"
}

teardown() {
  [ -z "$(rl_userns_missing)" ] || return 0
  local rc=0 left
  # the leftover checks once, and as each user whose state holds something
  for RL_USER in $RL_USERS; do
    left=$(shopt -s nullglob; echo "$(husk_root)"/*)
    [ -n "$left" ] || [ "$RL_USER" = huskrl1 ] || continue
    lc_teardown || rc=1
  done
  [ -z "${RL_CG:-}" ] || rl_cgroup_remove
  return $rc
}

# rl_as USER CMD...: CMD as USER, with the environment of a login (no
# XDG_RUNTIME_DIR unless RL_XDG names one), in the cgroup delegated to it
# when RL_CG names one (moved there by root, as a login would be).
rl_as() {
  local u=$1
  shift
  set -- setpriv --reuid="$u" --regid="$u" --init-groups --reset-env \
    ${RL_XDG:+env XDG_RUNTIME_DIR=$RL_XDG} "$@"
  if [ -n "${RL_CG:-}" ]; then
    sh -c 'echo $$ > "$0/shell/cgroup.procs" && exec "$@"' "$RL_CG" "$@"
  else
    "$@"
  fi
}

# The lifecycle helpers' husk and state dir, as the test's user.
husk_root() {
  echo "$RL_DIR/$RL_USER/state"
}

husk() {
  rl_as "$RL_USER" "$HUSK" --root "$(husk_root)" "$@"
}

# Waits (up to 10 s) until host pid $1 is gone or a zombie.
rl_wait_gone() {
  wait_until 10 pid_dead "$1" && return 0
  echo "process $1 is still there" >&2
  return 1
}

rl_run() {
  run husk run --bundle "$BUNDLE" "$1" < /dev/null
  printf 'husk run as %s: status %s\n%s\n' "$RL_USER" "$status" "$output"
}

# "A B C" of whitespace-separated fields: a uid_map line as a string.
rl_fields() {
  local a b c
  read -r a b c <<< "$1"
  echo "$a $b $c"
}

@test "rootless: with subordinate ids, the user is root inside and its subordinate ids the rest" {
  local uid gid
  uid=$(id -u huskrl1)
  gid=$(id -g huskrl1)
  lc_bundle_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; cat /proc/self/setgroups'
  rl_run rl-map1
  [ "$status" -eq 0 ]
  # as podman maps: 0 -> the user, 1.. -> its subordinate range
  [ "$(rl_fields "${lines[0]}")" = "0 $uid 1" ]
  [ "$(rl_fields "${lines[1]}")" = "1 $RL_SUB_START $RL_SUB_COUNT" ]
  [ "$(rl_fields "${lines[2]}")" = "0 $gid 1" ]
  [ "$(rl_fields "${lines[3]}")" = "1 $RL_SUB_START $RL_SUB_COUNT" ]
  [ "${lines[4]}" = 0 ]
  # newgidmap mapped the groups: setgroups stays allowed
  [ "${lines[5]}" = allow ]
}

@test "rootless: without subordinate ids, the user's own id alone, setgroups denied, the bundle's devpts gid=5 dropped; a time namespace" {
  RL_USER=huskrl2
  ! grep -q '^huskrl2:' /etc/subuid
  # a time namespace takes the two-step spawn: made after the user's
  lc_bundle_sh 'cat /proc/self/uid_map; cat /proc/self/setgroups; id -u; grep " /dev/pts devpts" /proc/mounts
                grep boottime /proc/self/timens_offsets' \
    '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}}'
  [[ $(< "$BUNDLE/config.json") == *'"gid=5"'* ]]
  rl_run rl-map2
  [ "$status" -eq 0 ]
  [ "$(rl_fields "${lines[0]}")" = "0 $(id -u huskrl2) 1" ]
  [ "${#lines[@]}" -eq 5 ]
  [ "${lines[1]}" = deny ]
  [ "${lines[2]}" = 0 ]
  [[ ${lines[3]} == "devpts /dev/pts devpts "* ]]
  [ "$(rl_fields "${lines[4]}")" = "boottime 86400 0" ]
}

@test "rootless: create, start, exec, ps, kill, delete as either user; pause needs a delegated cgroup" {
  local u pid
  lc_bundle '.process.args = ["sleep", "100"]'
  for u in huskrl1 huskrl2; do
    RL_USER=$u
    husk create --bundle "$BUNDLE" --pid-file "$RL_DIR/$u/pid" "rl-lc-$u" < /dev/null > /dev/null 2>&1 3>&-
    husk start "rl-lc-$u"
    pid=$(< "$RL_DIR/$u/pid")
    # the init runs as the user on the host
    [ "$(stat -c %u "/proc/$pid")" = "$(id -u $u)" ]
    run husk exec "rl-lc-$u" sh -c 'echo $$ $(id -u); exit 3'
    [ "$status" -eq 3 ]
    # in the container's pid namespace (not its init) as its root
    [[ $output =~ ^([0-9]+)\ 0$ ]]
    [ "${BASH_REMATCH[1]}" -gt 1 ] && [ "${BASH_REMATCH[1]}" -lt 100 ]
    husk exec --detach "rl-lc-$u" sleep 50
    run husk ps --format json "rl-lc-$u"
    [ "$status" -eq 0 ]
    [[ $output =~ ^\[$pid,[0-9]+\]$|^\[[0-9]+,$pid\]$ ]]
    # no cgroup here (none is delegated): pause says why it cannot
    run husk pause "rl-lc-$u"
    [ "$status" -eq 1 ]
    [[ $output == *"has no cgroup (created with --cgroup-manager=disabled, or rootless where no cgroup is delegated to the user)"* ]]
    [ "$(husk list --format json | jq -r '.[0].owner')" = "$u" ]
    husk kill "rl-lc-$u" KILL
    rl_wait_gone "$pid"
    husk delete "rl-lc-$u"
    [ -z "$(husk list -q)" ]
  done
}

@test "rootless: a read-only rootfs; files made in binds belong to the user (or its subordinate ids); nothing beyond what it could write" {
  local mine=$RL_DIR/huskrl1/mine roots=$RL_DIR/roots
  mkdir "$mine" "$roots"   # root's, 0755
  chown huskrl1: "$mine"
  # mount points the rootfs has: the user cannot make any in root's rootfs
  lc_bundle_sh 'touch /ro 2>&1; echo a > /out/byroot; echo b > /out/by1000 && chown 1000:1000 /out/by1000;
             echo c > /home/x 2>&1; echo end' \
    ".mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$mine\", \"options\": [\"rbind\", \"rw\"]},
                 {\"destination\": \"/home\", \"type\": \"bind\", \"source\": \"$roots\", \"options\": [\"rbind\", \"rw\"]}]
    | .process.capabilities |= with_entries(.value += [\"CAP_CHOWN\"])"
  [[ $(< "$BUNDLE/config.json") == *'"readonly": true'* ]]
  rl_run rl-bind
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == *"/ro: Read-only file system" ]]
  [[ ${lines[1]} == *"/home/x: Permission denied" ]]
  [ "${lines[2]}" = end ]
  [ "$(stat -c %u:%g "$mine/byroot" "$mine/by1000")" = "$(id -u huskrl1):$(id -g huskrl1)
$((RL_SUB_START + 999)):$((RL_SUB_START + 999))" ]
  [ ! -e "$roots/x" ]
}

@test "rootless: state under \$XDG_RUNTIME_DIR/husk, else /tmp/husk-UID, which must be the user's own" {
  local uid xdg=$RL_DIR/huskrl2/xdg
  uid=$(id -u huskrl2)
  RL_USER=huskrl2
  lc_bundle '.process.args = ["sleep", "100"]'
  mkdir -m 0700 "$xdg"
  chown huskrl2: "$xdg"
  RL_XDG=$xdg rl_as huskrl2 "$HUSK" create --bundle "$BUNDLE" rl-xdg < /dev/null > /dev/null 2>&1 3>&-
  [ -f "$xdg/husk/rl-xdg/state.json" ]
  RL_XDG=$xdg rl_as huskrl2 "$HUSK" delete --force rl-xdg
  [ ! -e "$xdg/husk/rl-xdg" ]

  rm -rf "/tmp/husk-$uid"
  rl_as huskrl2 "$HUSK" create --bundle "$BUNDLE" rl-tmp < /dev/null > /dev/null 2>&1 3>&-
  [ -f "/tmp/husk-$uid/rl-tmp/state.json" ]
  [ "$(stat -c %u:%a "/tmp/husk-$uid" "$xdg/husk")" = "$uid:700
$uid:700" ]
  rl_as huskrl2 "$HUSK" delete --force rl-tmp
  # someone else's directory there is refused, and nothing is made in it
  rm -rf "/tmp/husk-$uid"
  mkdir -m 0755 "/tmp/husk-$uid"
  run rl_as huskrl2 "$HUSK" run --bundle "$BUNDLE" rl-tmp2 < /dev/null
  rmdir "/tmp/husk-$uid"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"the state directory /tmp/husk-$uid belongs to uid 0 with mode 0755, not to uid $uid with mode 0700"* ]]
}

@test "rootless: refusals name what is missing: subordinate ids, delegation, privilege for a netdev type" {
  RL_USER=huskrl2
  lc_bundle '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 1879048192, "size": 65536}]
    | .linux.gidMappings = .linux.uidMappings'
  rl_run rl-ref1
  [ "$status" -eq 1 ]
  [[ $output == *"linux.uidMappings: host uids 1879048192-1879113727 are not subordinate uids of user huskrl2 (/etc/subuid gives it none)"* ]]

  lc_bundle '.linux.resources.memory.limit = 33554432 | .linux.resources.pids.limit = 20'
  rl_run rl-ref2
  [ "$status" -eq 1 ]
  [[ $output == *"rootless: linux.resources asks for limits (pids, memory), which need a cgroup v2 subtree delegated to uid $(id -u huskrl2)"* ]]
  [[ $output == *"Delegate=yes"* ]]

  # every kind is refused by name (tests/unit/network_test.c); here, wired in
  lc_bundle '.annotations = {"husk.net.0.type": "veth", "husk.net.0.bridge": "rlbr0"}'
  rl_run rl-ref3
  [ "$status" -eq 1 ]
  [[ $output == *"annotation husk.net.0.type: a bridge (veth on host bridge rlbr0) needs privilege (CAP_NET_ADMIN in the host's network namespace), which rootless husk does not have"* ]]
  # nothing was left: no state, no container
  [ -z "$(ls "$(husk_root)")" ]
}

@test "rootless: husk spec --rootless writes a config the user runs as is (single-id maps, the host's network)" {
  RL_USER=huskrl2
  local spec=$RL_DIR/huskrl2/spec
  mkdir "$spec"
  chown huskrl2: "$spec"
  husk spec --rootless --bundle "$spec"
  jq --arg r "$HUSK_BUNDLE_SRC/rootfs" --arg m "$(lc_mark)" \
    '.root.path = $r | .process.terminal = false | .process.env += [$m]
     | .process.args = ["sh", "-c", "cat /proc/self/uid_map; readlink /proc/self/ns/net; readlink /proc/self/ns/user"]' \
    "$spec/config.json" > "$RL_DIR/c.json"
  cat "$RL_DIR/c.json" > "$spec/config.json"
  run husk run --bundle "$spec" rl-spec < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(rl_fields "${lines[0]}")" = "0 $(id -u huskrl2) 1" ]
  [ "${lines[1]}" = "$(readlink /proc/self/ns/net)" ]
  [ "${lines[2]}" != "$(readlink /proc/self/ns/user)" ]
}

# ---------- a delegated cgroup (the VM lane) ----------

rl_cgroup_remove() {
  local d
  for d in "$RL_CG"/*/; do
    [ ! -d "$d" ] || rmdir "$d" 2> /dev/null || true
  done
  rmdir "$RL_CG" 2> /dev/null || true
}

# The value of key $2 in the flat keyed cgroup file $1.
rl_key() {
  local k v
  while read -r k v; do
    [ "$k" != "$2" ] || { echo "$v"; return; }
  done < "$1"
}

# Delegates a cgroup with the memory and pids controllers to huskrl1, as
# systemd's Delegate=yes does: the user owns a cgroup (its directory,
# cgroup.procs, cgroup.subtree_control, cgroup.threads) whose parent passes
# it the controllers, and its shell lives in a leaf below it (rl_as moves
# it there).  Sets RL_CG; skips where cgroup v2 has no controllers.
rl_cgroup_delegate() {
  local mnt=/sys/fs/cgroup have c
  [ "$(stat -fc %T $mnt)" = cgroup2fs ] || skip_because "cgroup v2 is not the only hierarchy here (hybrid host): no controllers to delegate"
  read -r have < $mnt/cgroup.controllers
  for c in memory pids; do
    [[ " $have " == *" $c "* ]] || skip_because "cgroup v2 at $mnt lacks the $c controller"
  done
  echo "+memory +pids" > $mnt/cgroup.subtree_control
  RL_CG=$mnt/husk-rl-$$
  mkdir "$RL_CG" "$RL_CG/shell"
  chown huskrl1: "$RL_CG" "$RL_CG"/cgroup.{procs,subtree_control,threads} "$RL_CG/shell" "$RL_CG/shell/cgroup.procs"
}

@test "rootless: in a cgroup delegated to the user, memory and pids limits hold; update, pause, resume" {
  local pid v
  rl_cgroup_delegate
  lc_bundle '.process.args = ["sleep", "100"]
    | .linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .linux.resources.pids.limit = 8'
  husk create --bundle "$BUNDLE" --pid-file "$RL_DIR/huskrl1/pid" rl-cg < /dev/null > /dev/null 2>&1 3>&-
  husk start rl-cg
  # beside husk's own cgroup, as with root, with the limits
  pid=$(< "$RL_DIR/huskrl1/pid")
  read -r v < "$RL_CG/rl-cg/cgroup.procs"
  [ "$v" = "$pid" ]
  read -r v < "$RL_CG/rl-cg/memory.max"
  [ "$v" = 33554432 ]
  read -r v < "$RL_CG/rl-cg/pids.max"
  [ "$v" = 8 ]
  # and they hold: 64 MiB is OOM-killed; the 8th process cannot fork
  run husk exec rl-cg dd if=/dev/zero of=/dev/null bs=64M count=1
  [ "$status" -eq 137 ]
  [ "$(rl_key "$RL_CG/rl-cg/memory.events" oom_kill)" -ge 1 ]
  run husk exec rl-cg sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done; wait'
  [ "$(rl_key "$RL_CG/rl-cg/pids.events" max)" -ge 1 ]
  # update, pause and resume work on it too
  husk update --pids-limit 9 rl-cg
  read -r v < "$RL_CG/rl-cg/pids.max"
  [ "$v" = 9 ]
  husk pause rl-cg
  [ "$(rl_key "$RL_CG/rl-cg/cgroup.events" frozen)" = 1 ]
  husk resume rl-cg
  [ "$(rl_key "$RL_CG/rl-cg/cgroup.events" frozen)" = 0 ]
  husk delete --force rl-cg
  [ ! -d "$RL_CG/rl-cg" ]
}

# ---------- husk job ----------

@test "rootless: husk job as either user: exit status, throwaway writes, binds the user's, :ro binds, --keep-changes, --timeout 124, SIGKILL of husk, nothing left" {
  local u out ro t0 hp name max=15
  # far below sleep's 100 s either way (the VM lane's guest can stall for
  # seconds)
  [ "$HUSK_LANE" = vm ] && max=60
  for u in $RL_USERS; do
    RL_USER=$u
    JT_ROOTFS=$BATS_FILE_TMPDIR/rl/rootfs-$u
    out=$RL_DIR/$u/out
    ro=$RL_DIR/$u/ro
    mkdir "$out" "$ro"
    echo keep > "$ro/f"
    chown -R "$u:" "$out" "$ro"
    run jt_job --net none --bind "$out:/out" --bind "$ro:/ro:ro" -- sh -c \
      'echo gone > /etc/gone && cat /etc/gone; echo made > /out/made; echo no >> /ro/f; ls /sys/class/net; id -u; exit 5'
    echo "$u: $output"
    [ "$status" -eq 5 ]
    [ "${lines[0]}" = gone ]
    [[ ${lines[1]} == *"/ro/f: Read-only file system" ]]
    # --net none: loopback alone
    [ "${lines[2]}" = lo ]
    [ "${lines[3]}" = 0 ]
    # the write outside the binds went with the job; the bind's file is the user's
    [ ! -e "$JT_ROOTFS/etc/gone" ]
    [ "$(stat -c %u:%g "$out/made")" = "$(id -u $u):$(id -g $u)" ]
    [ "$(< "$ro/f")" = keep ]
    # --keep-changes: the user's upper layer, without overlayfs's work dir
    run jt_job --keep-changes "$RL_DIR/$u/keep" -- sh -c 'echo kept > /etc/kept'
    [ "$status" -eq 0 ]
    [ "$(< "$RL_DIR/$u/keep/upper/etc/kept")" = kept ]
    [ "$(stat -c %u "$RL_DIR/$u/keep/upper/etc/kept")" = "$(id -u $u)" ]
    [ ! -e "$RL_DIR/$u/keep/work" ]
    t0=$SECONDS
    run jt_job --timeout 2s -- sleep 100
    [ "$status" -eq 124 ]
    [ $((SECONDS - t0)) -lt $max ]
    [ -z "$(ls "$(husk_root)")" ]
  done
  # husk killed mid-job takes the job with it; the next call sweeps its state
  RL_USER=huskrl1
  JT_ROOTFS=$BATS_FILE_TMPDIR/rl/rootfs-huskrl1
  name=$(jt_name rlk)
  ( exec setpriv --reuid=huskrl1 --regid=huskrl1 --init-groups --reset-env "$HUSK" --root "$(husk_root)" \
      job --rootfs "$JT_ROOTFS" --env "$(lc_mark)" --name "$name" -- sh -c 'sleep 100 & sleep 100' 3>&- ) &
  hp=$!
  lc_await_marked 2 100
  kill -9 "$hp"
  wait "$hp" || true
  lc_await_marked 0 100
  [ "$(ls "$(husk_root)")" = "$name" ]
  run -0 husk list -q
  [ -z "$output" ]
  [ -z "$(ls "$(husk_root)")" ]
}

@test "rootless: husk job refuses --net bridge naming the privilege, --memory without delegation naming it, no --rootfs; nothing left" {
  RL_USER=huskrl2
  JT_ROOTFS=$BATS_FILE_TMPDIR/rl/rootfs-huskrl2
  run jt_job --net bridge -- true
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"needs privilege (CAP_NET_ADMIN in the host's network namespace), which rootless husk does not have"* ]]
  [[ $output == *"--net slirp4netns gives a rootless job outbound access"* ]]
  run jt_job --memory 64M -- true
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"rootless: linux.resources asks for limits (memory), which need a cgroup v2 subtree delegated to uid $(id -u huskrl2)"* ]]
  run husk job -- true
  [ "$status" -eq 1 ]
  [[ $output == *"--rootfs: required rootless"* ]]
  [ -z "$(ls "$(husk_root)")" ]
}

@test "rootless: husk job in a cgroup delegated to the user: --pids 50 holds against a fork bomb" {
  rl_cgroup_delegate
  JT_ROOTFS=$BATS_FILE_TMPDIR/rl/rootfs-huskrl1
  # the bomb fills the job's 50 pids and the main shell's own fork then
  # fails, which ends a non-interactive shell with status 2 (the shell
  # seeds it until then: see job.bats' fork bomb)
  run jt_job --pids 50 --timeout 60s --report "$RL_DIR/huskrl1/r.json" -- sh -c \
    'b() { b | b & }; while :; do b; done'
  echo "$output"
  [ "$status" -eq 2 ]
  [[ $output == *"can't fork"* ]]
  [ "$(jq '.peak_pids <= 50 and .peak_pids >= 25' "$RL_DIR/huskrl1/r.json")" = true ]
  # the job's cgroup went with it
  [ -z "$(ls -d "$RL_CG"/*/ | grep -v /shell/)" ]
}

# ---------- husk job --net slirp4netns ----------

# The inside of rl_world, as root: $1 the world's directory, $2 the device
# number for /dev/net/tun ("10 200": tun), $3 "run" (the command) or
# "kill" (the command in the background, SIGKILLed once slirp4netns runs
# as its child), then the command.
rl_world_inside() {
  local d=$1 dev=$2 how=$3 a b h i
  shift 3
  mount -t tmpfs -o mode=0755 rl-world "$d/dev" || return
  mknod -m 0666 "$d/dev/tun" c $dev && mount --bind "$d/dev/tun" /dev/net/tun || return
  # veth: the host lane's kernel has no dummy links
  ip link set lo up && ip link add world0 type veth peer name world1 &&
    ip addr add 192.0.2.1/24 dev world0 && ip link set world0 up && ip link set world1 up || return
  busybox httpd -f -p 192.0.2.1:8080 -h "$d/www" 3>&- &
  a=$!
  busybox httpd -f -p 127.0.0.1:8081 -h "$d/www" 3>&- &
  b=$!
  for ((i = 0; i < 100; i++)); do
    [ "$(busybox netstat -ltn | grep -cE ':808[01] ')" = 2 ] && break
    sleep 0.1
  done
  # the loopback server answers here: the job's not reaching it says something
  echo "world-loopback: $(busybox wget -q -O - http://127.0.0.1:8081/f)"
  if [ "$how" = kill ]; then
    "$@" &
    h=$!
    for ((i = 0; i < 300; i++)); do
      pgrep -P "$h" -x slirp4netns > /dev/null && break
      sleep 0.1
    done
    sleep 0.5
    kill -9 "$h"
    # (bash's own "Killed" notice: not output of the command's)
    wait "$h" 2> /dev/null
    echo "husk killed: $?"
  else
    "$@"
  fi
  kill "$a" "$b"
  wait "$a" "$b" 2> /dev/null
  return 0
}

# rl_world DEV HOW CMD...: CMD (see rl_world_inside) in a throwaway network
# namespace that plays the host for slirp4netns's sockets: lo up,
# 192.0.2.1/24 (TEST-NET-1) on a veth, busybox httpd serving "from-the-world"
# as /f on 192.0.2.1:8080 and on its 127.0.0.1:8081.  And in a private mount
# namespace whose /dev/net/tun is a fresh 0666 node (DEV "10 200"), as
# Debian's udev makes it: this host has no udev, so its node is root's 0600,
# which an unprivileged slirp4netns cannot open, and the host's node is not
# the test's to change.  The node is made on a tmpfs of the test (a 9p tree
# takes no device nodes).  Both namespaces go when CMD ends.
rl_world() {
  local d=$BATS_TEST_TMPDIR/world
  mkdir -p "$d/www" "$d/dev"
  echo from-the-world > "$d/www/f"
  unshare --net --mount --propagation private \
    bash -c "$(declare -f rl_world_inside); rl_world_inside \"\$@\"" rl-world "$d" "$@"
}

# Sets RL_JOB: husk job as $RL_USER with slirp4netns; husk itself carries
# the test's mark, so that lc_teardown finds a slirp4netns (its child) left
# behind.
rl_slirp_job() {
  RL_JOB=(setpriv --reuid="$RL_USER" --regid="$RL_USER" --init-groups --reset-env
    env "$(lc_mark)" "$HUSK" --root "$(husk_root)" job --rootfs "$JT_ROOTFS"
    --env "$(lc_mark)" --net slirp4netns)
}

@test "rootless: husk job --net slirp4netns: tap0 10.0.2.100 reaches a server of the host's network, resolv.conf names 10.0.2.3, the host's loopback is closed; slirp4netns ends with the job and with a killed husk" {
  jt_need_slirp
  JT_ROOTFS=$BATS_FILE_TMPDIR/rl/rootfs-huskrl1
  rl_slirp_job
  run rl_world "10 200" run "${RL_JOB[@]}" -- sh -c \
    'ip -o -4 addr show tap0; cat /etc/resolv.conf; wget -q -O - http://192.0.2.1:8080/f
     echo x | nc -w 3 10.0.2.2 8081 > /dev/null 2>&1 && echo host-loopback-reached || echo host-loopback-closed'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "world-loopback: from-the-world" ]
  [[ ${lines[1]} =~ ^[0-9]+:\ +tap0\ +inet\ 10\.0\.2\.100/24\  ]]
  [ "${lines[2]}" = "nameserver 10.0.2.3" ]
  [ "${lines[3]}" = from-the-world ]
  [ "${lines[4]}" = host-loopback-closed ]
  [ "${#lines[@]}" -eq 5 ]
  # slirp4netns (marked through husk) went with the job, as did its state
  lc_await_marked 0 100
  [ -z "$(ls "$(husk_root)")" ]

  # husk SIGKILLed: the job and slirp4netns die with it
  run rl_world "10 200" kill "${RL_JOB[@]}" -- sleep 100
  echo "$output"
  [ "${lines[1]}" = "husk killed: 137" ]
  lc_await_marked 0 100
  run -0 husk list -q
  [ -z "$(ls "$(husk_root)")" ]
}

@test "rootless: husk job --net slirp4netns refused without slirp4netns in PATH, failing to set up tap0 (no tun device): nothing left" {
  jt_need_slirp
  RL_USER=huskrl2
  JT_ROOTFS=$BATS_FILE_TMPDIR/rl/rootfs-huskrl2
  run rl_as huskrl2 env PATH=/nonexistent "$(lc_mark)" "$HUSK" --root "$(husk_root)" \
    job --rootfs "$JT_ROOTFS" --net slirp4netns -- true
  echo "$output"
  [ "$status" -eq 1 ]
  [ "$output" = "husk: --net slirp4netns: slirp4netns not found in PATH (Debian package slirp4netns)" ]
  [ -z "$(ls "$(husk_root)")" ]
  rl_slirp_job
  # /dev/null's number on /dev/net/tun: slirp4netns fails once the init is
  # made; the job's init, slirp4netns and the state go
  run rl_world "1 3" run "${RL_JOB[@]}" -- echo job-ran
  echo "$output"
  [[ ${lines[1]} == "husk: --net slirp4netns: slirp4netns exited with status 1 before tap0 was up: ioctl(TUNSETIFF): "* ]]
  [[ $output != *job-ran* ]]
  lc_await_marked 0 100
  [ -z "$(ls "$(husk_root)")" ]
}
