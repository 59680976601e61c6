#!/usr/bin/env bats
# The test lanes themselves: each lane is what it claims to be, and what one
# lane lacks the other has.

load helpers

# Prints the netdev types of $@ that cannot be created here, all tried in one
# throwaway network namespace (the host's links are left alone; each process
# costs dearly in the emulated guest).
missing_link_types() {
  unshare --net sh -c '
    ip link add p0 type veth peer name p1 || { echo "$*"; exit; }
    for t in "$@"; do
      case $t in
        veth) ip link add v0 type veth peer name v1 ;;
        bridge) ip link add b0 type bridge ;;
        vxlan) ip link add x0 type vxlan id 42 dstport 4789 dev p0 ;;
        macvlan) ip link add m0 link p0 type macvlan ;;
        ipvlan) ip link add i0 link p1 type ipvlan ;;
      esac > /dev/null 2>&1 || printf "%s " "$t"
    done' sh "$@"
}

# Sets FSTYPE[mountpoint] from /proc/self/mounts (the last mount wins).
read_mounts() {
  local mp type
  declare -gA FSTYPE=()
  while read -r _ mp type _; do
    FSTYPE[$mp]=$type
  done < /proc/self/mounts
}

@test "HUSK_LANE names the machine the test runs on" {
  case $HUSK_LANE in
    vm) grep -q 'husk\.tree=' /proc/cmdline ;;
    host) ! grep -q 'husk\.tree=' /proc/cmdline ;;
    *) echo "HUSK_LANE is '$HUSK_LANE', expected host or vm"; false ;;
  esac
}

@test "cgroup v2 has cpu memory pids io cpuset hugetlb enabled in the root's subtree_control" {
  local want="cpu memory pids io cpuset hugetlb" c missing=
  local root=/sys/fs/cgroup
  [ "$(stat -fc %T "$root")" = cgroup2fs ] || root=/sys/fs/cgroup/unified
  local enabled
  enabled=" $(cat "$root/cgroup.subtree_control" 2>/dev/null) "
  for c in $want; do
    case $enabled in *" $c "*) ;; *) missing="$missing $c" ;; esac
  done
  if [ -n "$missing" ] && [ "$HUSK_LANE" = host ]; then
    skip_because "cgroup v2 ($root) lacks:$missing"
  fi
  echo "enabled in $root:$enabled"
  [ -z "$missing" ]
}

@test "ipvlan links can be created" {
  local missing
  missing=$(missing_link_types ipvlan)
  if [ -n "$missing" ] && [ "$HUSK_LANE" = host ]; then
    skip_because "the kernel has no IPVLAN"
  fi
  [ -z "$missing" ]
}

@test "veth, bridge, macvlan and vxlan links can be created" {
  local missing
  missing=$(missing_link_types veth bridge macvlan vxlan)
  echo "missing: $missing"
  [ -z "$missing" ]
}

@test "TMPDIR takes FIFOs, sockets and device nodes" {
  local d=$BATS_TEST_TMPDIR
  case $d in "$TMPDIR"/*) ;; *) echo "BATS_TEST_TMPDIR $d is not under TMPDIR $TMPDIR"; false ;; esac
  mkfifo "$d/fifo"
  [ -p "$d/fifo" ]
  mknod "$d/null" c 1 3
  echo x > "$d/null"
  perl -MIO::Socket::UNIX -e \
    'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 1) or die "$!\n"' "$d/sock"
  [ -S "$d/sock" ]
}

@test "the guest mounts what the suite needs, and its loopback is up" {
  [ "$HUSK_LANE" = vm ] || skip_because "checks the VM guest's own mounts"
  read_mounts
  [ "${FSTYPE[/]}" = overlay ]
  [ "${FSTYPE[$HUSK_SRC]}" = 9p ]
  [ "${FSTYPE[/tmp]}" = tmpfs ]
  [ "${FSTYPE[/run]}" = tmpfs ]
  [ "${FSTYPE[/dev]}" = devtmpfs ]
  [ "${FSTYPE[/dev/pts]}" = devpts ]
  [ "${FSTYPE[/dev/shm]}" = tmpfs ]
  [ "${FSTYPE[/sys/fs/cgroup]}" = cgroup2 ]
  [ "${FSTYPE[/sys/fs/bpf]}" = bpf ]
  [ -e /dev/fd/0 ]
  [ -d /run/netns ]
  [ -w "$HUSK_SRC" ]
  ip -o link show lo | grep -q 'LOOPBACK,UP'
  [ -x "$(cat /proc/sys/kernel/modprobe)" ]
  # The host's root is read-only under the overlay: writes land in tmpfs.
  echo probe > /etc/husk-vm-probe
  rm /etc/husk-vm-probe
}

@test "tests/vm/run.sh returns the guest command's output and exit status" {
  [ "$HUSK_LANE" = host ] || skip_because "no nested guest inside the guest"
  cd "$HUSK_SRC"
  run "$HUSK_SRC/tests/vm/run.sh" sh -c 'echo "lane=$HUSK_LANE cwd=$(pwd)"; echo to-stderr >&2; exit 7'
  echo "$output"
  [ "$status" = 7 ]
  [[ $output == *"lane=vm cwd=$(pwd -P)"* ]]
  [[ $output == *to-stderr* ]]
}
