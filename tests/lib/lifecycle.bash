# Helpers of the lifecycle tests (tests/lifecycle.bats, tests/process.bats)
# and the leftover check that every container test's teardown calls.

# The environment variable that marks this test's container processes, so
# that lc_teardown finds any that outlive their container.
lc_mark() {
  echo "HUSK_TEST_MARK=$BATS_TEST_TMPDIR"
}

# make_bundle with the test's mark added to process.env, then the jq
# filter $1 (optional).  Sets BUNDLE.
lc_bundle() {
  make_bundle ".process.env += [\"$(lc_mark)\"] | ${1:-.}"
}

# Sets process.args to the shell command $1 (then applies the filter $2).
lc_bundle_sh() {
  local cmd=$1
  lc_bundle ".process.args = [\"sh\", \"-c\", $(jq -Rn --arg c "$cmd" '$c')] | ${2:-.}"
}

# The host pids of processes that carry this test's mark (zombies have no
# environment and are not counted: they are gone but for their parent's
# wait).
lc_marked_pids() {
  grep -lsxzF "$(lc_mark)" /proc/[0-9]*/environ | cut -d/ -f3
}

# lc_await_marked N TENTHS: waits up to TENTHS tenths of a second until at
# least N marked processes run (N = 0: until none does); fails when not.
lc_await_marked() {
  local want=$1 i n
  for ((i = 0; i <= $2; i++)); do
    n=$(lc_marked_pids | wc -l)
    if [ "$want" = 0 ]; then [ "$n" = 0 ] && return 0
    elif [ "$n" -ge "$want" ]; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Force-deletes every container of the test, then fails the test if any
# container process, mount or state directory of it remains.
lc_teardown() {
  local root id ids left="" pids i
  root=$(husk_root)
  if [ -d "$root" ]; then
    # dot entries are husk's own records (network's .ipam), not containers
    ids=$(ls "$root")
    for id in $ids; do
      husk delete --force "$id" >/dev/null 2>&1 || true
    done
    if [ -n "$(ls "$root")" ]; then
      left="$left state directories: $(ls "$root");"
    fi
    for id in $ids; do
      [ -z "$(lc_cgroup_dirs "$id")" ] || left="$left cgroup: $(lc_cgroup_dirs "$id");"
    done
  fi
  # SIGKILLed processes need a moment to be gone
  for i in $(seq 50); do
    pids=$(lc_marked_pids)
    [ -z "$pids" ] && break
    sleep 0.1
  done
  if [ -n "$pids" ]; then
    left="$left processes: $pids;"
    kill -9 $pids 2>/dev/null || true
  fi
  if grep -qF "$BATS_TEST_TMPDIR" /proc/self/mountinfo; then
    left="$left mounts: $(grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo | awk '{print $5}' | tr '\n' ' ');"
  fi
  if [ -n "$left" ]; then
    echo "# leftovers after the test:$left" >&3
    return 1
  fi
}

# The pty receiver for --console-socket tests (tests/tools/recvtty.c),
# built once per run unless HUSK_RECVTTY names one.
lc_recvtty() {
  local bin=${HUSK_RECVTTY:-$BATS_RUN_TMPDIR/recvtty}
  if [ ! -x "$bin" ]; then
    cc -O2 -Wall -Wextra -Werror -o "$bin.tmp.$$" "$HUSK_SRC/tests/tools/recvtty.c" && mv "$bin.tmp.$$" "$bin"
  fi
  echo "$bin"
}

# Waits (up to 10 s) until container $1 has status $2.
lc_wait_status() {
  local id=$1 want=$2
  wait_until 10 '[ "$(husk state "$id" | jq -r .status)" = "$want" ]' && return 0
  echo "container $1 is $(husk state "$1" 2>&1 | jq -r .status 2>/dev/null), not $2" >&2
  return 1
}

# Waits (up to 10 s) until file $1 exists and is not empty.
lc_wait_file() {
  wait_until 10 test -s "$1" && return 0
  echo "$1 did not appear" >&2
  return 1
}

# The cgroup directories named ID under the cgroup2 mount (none when the
# host has no cgroup2 tree).
lc_cgroup_dirs() {
  local mnt=/sys/fs/cgroup
  [ "$(stat -f -c %T $mnt 2>/dev/null)" = cgroup2fs ] || mnt=/sys/fs/cgroup/unified
  [ -d "$mnt" ] || return 0
  find "$mnt" -maxdepth 4 -type d -name "$1" 2>/dev/null
}
