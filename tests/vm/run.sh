#!/bin/bash
# tests/vm/run.sh CMD [ARGS...]
#
# Boots the VM lane's guest (QEMU, TCG; Debian's stock kernel; the host's /
# read-only under a tmpfs overlay; this tree read-write at its own path; cgroup
# v2 with every controller), runs CMD there with HUSK_LANE=vm and TMPDIR on
# tmpfs, streams its output (stdout and stderr together) and exits with CMD's
# exit status.  The working directory is the caller's when it is inside the
# tree, else the tree's root.  HUSK_* and CI variables are passed through.
#
#   tests/vm/run.sh bats tests/harness.bats
#   tests/vm/run.sh sh -c 'cat /sys/fs/cgroup/cgroup.subtree_control'
#
# Exit status: CMD's; 124 when the guest ran past HUSK_VM_TIMEOUT; 125 when the
# guest returned no status (boot failure: the kernel's log is printed).
# Settings: HUSK_VM_TIMEOUT (seconds, default 2700), HUSK_VM_MEM (default
# 3G), HUSK_VM_CPUS (default: the host's cores, at most 4),
# HUSK_VM_TCG_THREAD (single or multi; default single: the suite runs mostly
# one process at a time, and multi-threaded TCG then burnt twice the CPU time
# for twice the wall time on this 2-core machine), HUSK_VM_DEBUG=1 (print the
# guest kernel's full, timestamped log to stderr afterwards).
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
TIMEOUT=${HUSK_VM_TIMEOUT:-2700}
MEM=${HUSK_VM_MEM:-3G}
CPUS=${HUSK_VM_CPUS:-$(n=$(nproc); echo $((n > 4 ? 4 : n)))}
TCG_THREAD=${HUSK_VM_TCG_THREAD:-single}
DEBUG=${HUSK_VM_DEBUG:-0}

die() { echo "vm: $*" >&2; exit 125; }

[ $# -ge 1 ] || { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }
case $TREE in *[[:space:]]* | *,*) die "the tree's path ($TREE) must not contain spaces or commas" ;; esac

kdir=$("$TREE/tests/vm/build.sh") || die "preparing the guest's kernel failed"
kver=${kdir##*/}

# One directory a run, under the shared tree so that the guest reads its
# command there.  Those of runs that were killed outright are swept here.
mkdir -p "$TREE/build/vm/jobs"
for old in "$TREE"/build/vm/jobs/job.*; do
  [ -d "$old" ] || continue
  pid=$(cat "$old/pid" 2>/dev/null) || pid=
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    [ -n "$pid" ] || [ -n "$(find "$old" -maxdepth 0 -mmin +1440)" ] && rm -rf "$old"
  fi
done
job=$(mktemp -d "$TREE/build/vm/jobs/job.XXXXXX")
echo $$ > "$job/pid"
reader=
cleanup() {
  [ -n "$reader" ] && kill "$reader" 2>/dev/null
  rm -rf "$job"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cwd=$(pwd -P)
case $cwd/ in "$TREE"/*) ;; *) cwd=$TREE ;; esac
{
  printf 'cd %q || exit 125\n' "$cwd"
  for name in $(compgen -e); do
    case $name in HUSK_LANE) ;; HUSK_* | CI) printf 'export %s=%q\n' "$name" "${!name}" ;; esac
  done
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} > "$job/cmd"

# The guest's output comes through a FIFO so that it streams as it arrives.
mkfifo "$job/out"
cat "$job/out" &
reader=$!
: > "$job/rc"

set +e
# No KVM here: TCG.  The stock kernel boots uncompressed through its PVH
# entry (-kernel vmlinux); q35, since microvm hangs.  --foreground: a
# terminal's ^C reaches QEMU too.
timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
  -machine q35 -accel "tcg,thread=$TCG_THREAD" -cpu max -smp "$CPUS" -m "$MEM" \
  -nodefaults -no-user-config -display none -no-reboot -nic none \
  -kernel "$kdir/vmlinux" -initrd "$kdir/initramfs.cpio" \
  -append "console=ttyS0 $([ "$DEBUG" = 1 ] && echo printk.time=1 || echo quiet) panic=-1 mitigations=off husk.tree=$TREE husk.job=$job husk.kver=$kver" \
  -serial "file:$job/console.log" \
  -fsdev local,id=hostroot,path=/,security_model=none,multidevs=remap,readonly=on \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev "local,id=husktree,path=$TREE,security_model=none,multidevs=remap" \
  -device virtio-9p-pci,fsdev=husktree,mount_tag=husktree \
  -device virtio-serial-pci \
  -chardev "file,id=out,path=$job/out" -device virtconsole,chardev=out \
  -chardev "file,id=rc,path=$job/rc" -device virtconsole,chardev=rc \
  2> "$job/qemu.err"
qrc=$?
set -e
# Opening the FIFO read-write never blocks: it releases a reader that still
# waits in open() because QEMU never opened the FIFO, and one that is still
# draining sees EOF after the data QEMU wrote.
exec 3<> "$job/out"
exec 3>&-
wait "$reader" 2>/dev/null || true
reader=

[ "$DEBUG" = 1 ] && cat "$job/qemu.err" "$job/console.log" >&2
rc='' booted='' ended=''
read -r rc booted ended < "$job/rc" || true
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "vm: the guest ran past HUSK_VM_TIMEOUT=${TIMEOUT}s and was killed" >&2
  rc=124
elif [ -z "$rc" ]; then
  echo "vm: the guest returned no exit status (qemu exit $qrc)" >&2
  for log in "$job/qemu.err" "$job/console.log"; do
    [ -s "$log" ] && { echo "vm: ${log##*/}:"; tail -n 40 "$log"; } >&2
  done
  [ -s "$job/console.log" ] || echo "vm: the guest kernel printed nothing (too little memory?)" >&2
  rc=125
else
  echo "vm: guest up in ${booted}s, command ran $(awk -v a="$booted" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')s, exit status $rc" >&2
fi
exit "$rc"
