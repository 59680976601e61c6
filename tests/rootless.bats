#!/usr/bin/env bats
# Rootless husk: the suite's bundles run by unprivileged users.  huskrl1 has
# subordinate ids (/etc/subuid, /etc/subgid), huskrl2 has none; both are made
# here and removed at the end, with their subordinate ranges.  husk and the
# bundle are copied where these users can read them (the tree may not be
# traversable by others).  Each test's containers are checked gone by
# lc_teardown, run as the test's user.

load helpers

RL_USERS="huskrl1 huskrl2"
# huskrl1's subordinate range: high, so that it meets no one else's
RL_SUB_START=1879048192
RL_SUB_COUNT=65536

# Why this lane cannot run unprivileged user namespaces, or nothing.
rl_userns_missing() {
  local f=/proc/sys/kernel/unprivileged_userns_clone
  if [ -r $f ] && [ "$(cat $f)" = 0 ]; then
    echo "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)"
  elif [ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then
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
    # userdel drops the user's subordinate ranges; make sure
    sed -i "/^$u:/d" /etc/subuid /etc/subgid
  done
}

# Lets others traverse (not list) every directory from BATS_RUN_TMPDIR down
# to $1, so the test users reach what is copied there.
rl_open_path() {
  local d=$1
  while [ "$d" != "$BATS_RUN_TMPDIR" ] && [ "$d" != / ]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
  chmod o+x "$BATS_RUN_TMPDIR"
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
  chmod -R a+rX "$d"
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
  # the user's own corner of the test's directory: state, binds
  RL_DIR=$BATS_TEST_TMPDIR/u
  local u
  for u in $RL_USERS; do
    mkdir -p "$RL_DIR/state-$u"
    chown "$u:" "$RL_DIR/state-$u"
  done
  rl_open_path "$RL_DIR"
}

teardown() {
  [ -z "$(rl_userns_missing)" ] || return 0
  local rc=0
  for RL_USER in $RL_USERS; do
    lc_teardown || rc=1
  done
  [ -z "${RL_CG:-}" ] || rl_cgroup_remove
  return $rc
}

# rl_as USER CMD...: CMD as USER, with a clean environment (no
# XDG_RUNTIME_DIR unless RL_XDG names one), in the cgroup delegated to it
# when RL_CG names one (moved there by root, as a login would be).
rl_as() {
  local u=$1
  shift
  sh -c '[ -z "$1" ] || echo $$ > "$1/shell/cgroup.procs" || exit 1; shift; exec "$@"' - "${RL_CG:-}" \
    setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
    env -i PATH="$PATH" ${RL_XDG:+XDG_RUNTIME_DIR=$RL_XDG} "$@"
}

# The lifecycle helpers' husk and state dir, as the test's user.
husk_root() {
  echo "$RL_DIR/state-$RL_USER"
}

husk() {
  rl_as "$RL_USER" "$HUSK" --root "$(husk_root)" "$@"
}

# A directory that belongs to the test's user.
rl_user_dir() {
  mkdir -p "$1"
  chown "$RL_USER:" "$1"
}

# The bundle running `sh -c $1` (then the jq filter $2), readable by the
# users.
rl_bundle() {
  lc_bundle_sh "$@"
  chmod -R a+rX "$BUNDLE"
}

rl_run() {
  run husk run --bundle "$BUNDLE" "$1" < /dev/null
  printf 'husk run as %s: status %s\n%s\n' "$RL_USER" "$status" "$output"
}

@test "rootless: with subordinate ids, the user is root inside and its subordinate ids the rest" {
  local uid
  uid=$(id -u huskrl1)
  rl_bundle 'cat /proc/self/uid_map /proc/self/gid_map; id -u; cat /proc/self/setgroups'
  rl_run rl-map1
  [ "$status" -eq 0 ]
  # as podman maps: 0 -> the user, 1.. -> its subordinate range
  [ "$(echo "$output" | sed -n 1,4p | awk '{print $1, $2, $3}')" = "0 $uid 1
1 $RL_SUB_START $RL_SUB_COUNT
0 $(id -g huskrl1) 1
1 $RL_SUB_START $RL_SUB_COUNT" ]
  [ "$(echo "$output" | sed -n 5p)" = 0 ]
  # newgidmap mapped the groups: setgroups stays allowed
  [ "$(echo "$output" | sed -n 6p)" = allow ]
}

@test "rootless: without subordinate ids, the user's own id alone, setgroups denied, the bundle's devpts gid=5 dropped" {
  RL_USER=huskrl2
  local uid
  uid=$(id -u huskrl2)
  ! grep -q '^huskrl2:' /etc/subuid
  rl_bundle 'cat /proc/self/uid_map; cat /proc/self/setgroups; id -u; grep -c " /dev/pts devpts" /proc/mounts'
  jq -e '.mounts[] | select(.destination == "/dev/pts") | .options | index("gid=5")' "$BUNDLE/config.json"
  rl_run rl-map2
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | awk '{print $1, $2, $3}' | sed -n 1p)" = "0 $uid 1" ]
  [ "$(echo "$output" | sed -n 2p)" = deny ]
  [ "$(echo "$output" | sed -n 3p)" = 0 ]
  [ "$(echo "$output" | sed -n 4p)" = 1 ]
}

@test "rootless: create, start, exec, ps, kill, delete as either user" {
  local u pid
  for u in huskrl1 huskrl2; do
    RL_USER=$u
    rl_bundle 'sleep 100'
    husk create --bundle "$BUNDLE" "rl-lc-$u" < /dev/null > /dev/null 2>&1 3>&-
    [ "$(husk state "rl-lc-$u" | jq -r .status)" = created ]
    husk start "rl-lc-$u"
    pid=$(husk state "rl-lc-$u" | jq -r .pid)
    # the init runs as the user on the host
    [ "$(stat -c %u "/proc/$pid")" = "$(id -u $u)" ]
    run husk exec "rl-lc-$u" sh -c 'echo $$ $(id -u); exit 3'
    [ "$status" -eq 3 ]
    [ "$output" != "" ]
    [ "${output#* }" = 0 ]
    # an exec'd process is in the container's pid namespace: not pid 1, small
    [ "${output% *}" -gt 1 ] && [ "${output% *}" -lt 100 ]
    husk exec --detach "rl-lc-$u" sleep 50
    run husk ps --format json "rl-lc-$u"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq length)" -eq 2 ]
    echo "$output" | jq -e --argjson p "$pid" 'index($p) != null'
    husk kill "rl-lc-$u" KILL
    lc_wait_status "rl-lc-$u" stopped
    husk delete "rl-lc-$u"
    [ -z "$(husk list -q)" ]
  done
}

@test "rootless: a read-only rootfs; files made in binds belong to the user (or its subordinate ids); nothing beyond what it could write" {
  local uid
  uid=$(id -u huskrl1)
  rl_user_dir "$RL_DIR/mine"
  mkdir -p "$RL_DIR/roots"  # root's, 0755
  # mount points the rootfs has: the user cannot make any in root's rootfs
  rl_bundle 'touch /ro 2>&1; echo a > /out/byroot; echo b > /out/by1000 && chown 1000:1000 /out/by1000;
             echo c > /home/x 2>&1; echo end' \
    ".mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$RL_DIR/mine\", \"options\": [\"rbind\", \"rw\"]},
                 {\"destination\": \"/home\", \"type\": \"bind\", \"source\": \"$RL_DIR/roots\", \"options\": [\"rbind\", \"rw\"]}]
    | .process.capabilities |= with_entries(.value += [\"CAP_CHOWN\"])"
  jq -e '.root.readonly == true' "$BUNDLE/config.json"
  rl_run rl-bind
  [ "$status" -eq 0 ]
  [[ $output == *"Read-only file system"* ]]
  [[ $output == *"/home/x: Permission denied"* ]]
  [ "$(echo "$output" | tail -1)" = end ]
  [ "$(stat -c %u:%g "$RL_DIR/mine/byroot")" = "$uid:$(id -g huskrl1)" ]
  # container uid 1000 is subordinate uid 999 of the range
  [ "$(stat -c %u:%g "$RL_DIR/mine/by1000")" = "$((RL_SUB_START + 999)):$((RL_SUB_START + 999))" ]
  [ ! -e "$RL_DIR/roots/x" ]
}

@test "rootless: state under \$XDG_RUNTIME_DIR/husk, else /tmp/husk-UID, which must be the user's own" {
  local uid=$(id -u huskrl2)
  RL_USER=huskrl2
  rl_bundle 'sleep 100'
  rl_user_dir "$RL_DIR/xdg"
  RL_XDG=$RL_DIR/xdg rl_as huskrl2 "$HUSK" create --bundle "$BUNDLE" rl-xdg < /dev/null > /dev/null 2>&1 3>&-
  [ -f "$RL_DIR/xdg/husk/rl-xdg/state.json" ]
  [ "$(stat -c %a "$RL_DIR/xdg/husk")" = 700 ]
  RL_XDG=$RL_DIR/xdg rl_as huskrl2 "$HUSK" delete --force rl-xdg
  [ ! -e "$RL_DIR/xdg/husk/rl-xdg" ]

  rm -rf "/tmp/husk-$uid"
  rl_as huskrl2 "$HUSK" create --bundle "$BUNDLE" rl-tmp < /dev/null > /dev/null 2>&1 3>&-
  [ "$(stat -c %u:%a "/tmp/husk-$uid")" = "$uid:700" ]
  [ -f "/tmp/husk-$uid/rl-tmp/state.json" ]
  rl_as huskrl2 "$HUSK" delete --force rl-tmp
  rm -rf "/tmp/husk-$uid"

  # someone else's directory there is refused, and nothing is made in it
  mkdir -m 0755 "/tmp/husk-$uid"
  run rl_as huskrl2 "$HUSK" run --bundle "$BUNDLE" rl-tmp2 < /dev/null
  rmdir "/tmp/husk-$uid"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"the state directory /tmp/husk-$uid belongs to uid 0 with mode 0755, not to uid $uid"* ]]
}

@test "rootless: refusals name what is missing: subordinate ids, delegation, privilege for a netdev type" {
  RL_USER=huskrl2
  rl_bundle 'true' '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 1879048192, "size": 65536}]
    | .linux.gidMappings = .linux.uidMappings'
  rl_run rl-ref1
  [ "$status" -eq 1 ]
  [[ $output == *"linux.uidMappings: host uids 1879048192-1879113727 are not subordinate uids of user huskrl2 (/etc/subuid gives it none)"* ]]

  rl_bundle 'true' '.linux.resources.memory.limit = 33554432 | .linux.resources.pids.limit = 20'
  rl_run rl-ref2
  [ "$status" -eq 1 ]
  [[ $output == *"rootless: linux.resources asks for limits (pids, memory), which need a cgroup v2 subtree delegated to uid $(id -u huskrl2)"* ]]
  [[ $output == *"Delegate=yes"* ]]

  local t want
  for t in veth:"a veth pair" bridge:"a bridge" macvlan:MACVLAN ipvlan:IPVLAN vxlan:VXLAN; do
    want=${t#*:}
    case ${t%%:*} in
      veth) f='{"husk.net.0.type": "veth"}' ;;
      bridge) f='{"husk.net.0.type": "veth", "husk.net.0.bridge": "rlbr0"}' ;;
      vxlan) f='{"husk.net.0.type": "veth", "husk.net.0.bridge": "rlbr0", "husk.net.0.vxlan.id": "42", "husk.net.0.vxlan.remote": "192.0.2.1"}' ;;
      *) f="{\"husk.net.0.type\": \"${t%%:*}\", \"husk.net.0.link\": \"lo\"}" ;;
    esac
    rl_bundle 'true' ".annotations = $f"
    rl_run rl-ref3
    [ "$status" -eq 1 ]
    [[ $output == *"annotation husk.net.0.type: $want"*"needs privilege (CAP_NET_ADMIN in the host's network namespace), which rootless husk does not have"* ]]
  done
  # nothing was left: no state, no container
  [ -z "$(ls "$(husk_root)")" ]
}

@test "rootless: husk spec --rootless writes a config the user runs as is (single-id maps, the host's network)" {
  RL_USER=huskrl2
  rl_user_dir "$RL_DIR/spec"
  run husk spec --rootless --bundle "$RL_DIR/spec"
  [ "$status" -eq 0 ]
  jq --arg r "$HUSK_BUNDLE_SRC/rootfs" --arg m "$(lc_mark)" \
    '.root.path = $r | .process.terminal = false | .process.env += [$m]
     | .process.args = ["sh", "-c", "cat /proc/self/uid_map; readlink /proc/self/ns/net; readlink /proc/self/ns/user"]' \
    "$RL_DIR/spec/config.json" > "$RL_DIR/c.json"
  mv "$RL_DIR/c.json" "$RL_DIR/spec/config.json"
  chmod a+r "$RL_DIR/spec/config.json"
  run husk run --bundle "$RL_DIR/spec" rl-spec < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sed -n 1p | awk '{print $1, $2, $3}')" = "0 $(id -u huskrl2) 1" ]
  [ "$(echo "$output" | sed -n 2p)" = "$(readlink /proc/self/ns/net)" ]
  [ "$(echo "$output" | sed -n 3p)" != "$(readlink /proc/self/ns/user)" ]
}

# ---------- a delegated cgroup (the VM lane) ----------

rl_cgroup_remove() {
  local d
  for d in "$RL_CG"/*/; do
    [ -d "$d" ] && rmdir "$d" 2> /dev/null
  done
  rmdir "$RL_CG" 2> /dev/null || true
}

@test "rootless: in a cgroup delegated to the user, memory and pids limits hold" {
  local mnt=/sys/fs/cgroup have c
  [ "$(stat -fc %T $mnt)" = cgroup2fs ] || skip_because "cgroup v2 is not the only hierarchy here (hybrid host): no controllers to delegate"
  have=" $(cat $mnt/cgroup.controllers) "
  for c in memory pids; do
    [[ $have == *" $c "* ]] || skip_because "cgroup v2 at $mnt lacks the $c controller"
  done
  # what systemd's Delegate=yes does: the user owns a cgroup (its directory,
  # cgroup.procs, cgroup.subtree_control, cgroup.threads) whose parent passes
  # it the controllers, and its shell lives in a leaf below it
  echo "+memory +pids" > $mnt/cgroup.subtree_control
  RL_CG=$mnt/husk-rl-$$
  mkdir "$RL_CG" "$RL_CG/shell"
  chown huskrl1: "$RL_CG" "$RL_CG"/cgroup.{procs,subtree_control,threads} "$RL_CG/shell" "$RL_CG/shell/cgroup.procs"
  rl_bundle 'sleep 100' '.linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .linux.resources.pids.limit = 8'
  husk create --bundle "$BUNDLE" rl-cg < /dev/null > /dev/null 2>&1 3>&-
  husk start rl-cg
  # beside husk's own cgroup, as with root
  [ "$(husk state rl-cg | jq -r '.pid')" -gt 0 ]
  [ "$(cat "$RL_CG/rl-cg/memory.max")" = 33554432 ]
  [ "$(cat "$RL_CG/rl-cg/pids.max")" = 8 ]
  grep -qx "$(husk state rl-cg | jq -r .pid)" "$RL_CG/rl-cg/cgroup.procs"
  # the limits hold: 64 MiB is OOM-killed; the 8th process cannot fork
  run husk exec rl-cg dd if=/dev/zero of=/dev/null bs=64M count=1
  [ "$status" -eq 137 ]
  [ "$(awk '$1 == "oom_kill" { print $2 }' "$RL_CG/rl-cg/memory.events")" -ge 1 ]
  run husk exec rl-cg sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done; wait'
  [ "$(awk '$1 == "max" { print $2 }' "$RL_CG/rl-cg/pids.events")" -ge 1 ]
  husk delete --force rl-cg
  [ ! -d "$RL_CG/rl-cg" ]
}
