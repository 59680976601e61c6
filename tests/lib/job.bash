# Helpers of tests/job.bats: every job runs with the test's mark in its
# environment (lc_teardown finds processes that outlive it) and a name
# recorded for the leftover check.

# The rootfs jobs run on: the built busybox rootfs (read-only lower layer).
jt_rootfs() {
  echo "${JT_ROOTFS:-$HUSK_BUNDLE_SRC/rootfs}"
}

# A job name unique to this test run ($1: a short tag), recorded.
jt_name() {
  local n="jt$$-$BATS_TEST_NUMBER-$1"
  echo "$n" >> "$BATS_TEST_TMPDIR/jobs"
  echo "$n"
}

# husk job with the test's state dir, rootfs and mark; flags and command
# follow.
jt_job() {
  husk job --rootfs "$(jt_rootfs)" --env "$(lc_mark)" "$@"
}

# How many processes run, kernel threads (kthreadd's children) not counted:
# those come and go with the load.
jt_user_procs() {
  ps -e -o pid=,ppid= | awk '$1 != 2 && $2 != 2' | wc -l
}

# The static escape probe (tests/tools/jobprobe.c), built into the tree's
# build/ when missing or older than its source: the lanes share it (a
# compile in the VM lane's TCG guest takes long).
jt_probe() {
  local src=$HUSK_SRC/tests/tools/jobprobe.c bin=$HUSK_SRC/build/tests/jobprobe
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    mkdir -p "${bin%/*}"
    cc -static -O2 -Wall -Wextra -Werror -o "$bin.tmp.$$" "$src" && mv "$bin.tmp.$$" "$bin"
  fi
  echo "$bin"
}

# Whether the cgroup v2 controller $1 can be given to a job here.
jt_has_controller() {
  local mnt=/sys/fs/cgroup
  [ "$(stat -f -c %T $mnt 2>/dev/null)" = cgroup2fs ] || mnt=/sys/fs/cgroup/unified
  grep -qw "$1" "$mnt/cgroup.controllers" 2>/dev/null
}

jt_need_controller() {
  jt_has_controller "$1" || skip_because "no cgroup v2 $1 controller (hybrid host: v1 holds it)"
}

# Skips where slirp4netns cannot run.  The VM lane's kernel has tun as a
# module: modprobe loads it (and devtmpfs makes /dev/net/tun).
jt_need_slirp() {
  command -v slirp4netns > /dev/null || skip_because "slirp4netns is not installed (scripts/deps.sh)"
  [ -c /dev/net/tun ] || modprobe tun 2> /dev/null ||
    skip_because "the kernel has no tun device (CONFIG_TUN), which slirp4netns needs"
}

# lc_teardown, plus: no cgroup of a recorded job, no overlay or scratch
# mount of husk job in this mount namespace (they never should be).
jt_teardown() {
  local r=0 n
  lc_teardown || r=1
  if [ -f "$BATS_TEST_TMPDIR/jobs" ]; then
    while read -r n; do
      if [ -n "$(lc_cgroup_dirs "$n")" ]; then
        echo "# leftover cgroup: $(lc_cgroup_dirs "$n")" >&3
        r=1
      fi
    done < "$BATS_TEST_TMPDIR/jobs"
  fi
  if grep -qE 'husk-job|husk-scratch' /proc/self/mountinfo; then
    echo "# husk job mounts visible on the host: $(grep -E 'husk-job|husk-scratch' /proc/self/mountinfo)" >&3
    r=1
  fi
  return $r
}

# KB used on the filesystems of / and of the test's directory (each once).
jt_disk_used() {
  df -k --output=source,used / "$BATS_TEST_TMPDIR" | tail -n +2 | sort -u | awk '{s += $2} END {print s}'
}
