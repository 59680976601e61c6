# Helpers of tests/network.bats.  Every network test builds its "host" in a
# throwaway network namespace (nt_host) and runs husk there: nothing is made
# in the machine's own namespaces, and test traffic only flows between
# namespaces the test made, on 10.199.x.y / 192.168.199.x / fd00:199::
# addresses it assigned.

# Makes a named network namespace for the test ($1: a short tag) and prints
# its name.  nt_cleanup removes it.
nt_netns() {
  local name="hkt$$-$1"
  ip netns add "$name"
  ip -n "$name" link set lo up
  echo "$name" >> "$BATS_TEST_TMPDIR/netns"
  echo "$name"
}

# Sets NET_HOST: the namespace that plays the host.
nt_host() {
  NET_HOST=$(nt_netns host)
}

# Links the test's host namespace to namespace $1 with a veth pair: $2 on
# the host side with 192.168.199.1/24, $3 in $1 with 192.168.199.2/24.
nt_link_host() {
  local ns=$1 here=$2 there=$3
  nt_in "$NET_HOST" ip link add "$here" type veth peer name "$there" netns "$ns"
  nt_in "$NET_HOST" ip addr add 192.168.199.1/24 dev "$here"
  nt_in "$NET_HOST" ip link set "$here" up
  ip -n "$ns" addr add 192.168.199.2/24 dev "$there"
  ip -n "$ns" link set "$there" up
}

# Runs a command in namespace $1.  nsenter switches the network namespace
# only: husk's mounts (the netns pin of netDevices) stay visible.
nt_in() {
  local ns=$1; shift
  nsenter --net="/run/netns/$ns" "$@"
}

# husk with the per-test state dir, in the test's host namespace.
nt_husk() {
  nt_in "$NET_HOST" "$HUSK" --root "$(husk_root)" "$@"
}

# Runs a command in the network namespace of container $1.
nt_in_ctr() {
  local id=$1 pid; shift
  pid=$(nt_husk state "$id" | jq -r .pid)
  nsenter --target "$pid" --net "$@"
}

# A bundle whose process sleeps, with the annotations of the JSON object $1.
nt_bundle() {
  lc_bundle ".process.args = [\"sleep\", \"1000\"] | .annotations = (.annotations // {}) + $1 | ${2:-.}"
}

nt_create() {
  nt_husk create "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null 3>&-
}

# Whether the kernel of this lane can make links of type $1 (on a veth
# parent).
nt_has_link_type() {
  local probe r=0
  probe=$(nt_netns "probe-$1")
  ip -n "$probe" link add p0 type veth peer name p1
  ip -n "$probe" link add hkprobe link p0 type "$1" 2>/dev/null || r=1
  ip netns del "$probe"
  return $r
}

nt_need_link_type() {
  nt_has_link_type "$1" || skip_because "the kernel has no $1 links"
}

nt_need_tool() {
  command -v "$1" >/dev/null || skip_because "$1 is not installed (scripts/deps.sh)"
}

# Deletes the test's containers inside its host namespace (so that teardown
# runs there), then its namespaces.
nt_cleanup() {
  local id
  if [ -n "${NET_HOST:-}" ] && [ -d "$(husk_root)" ]; then
    for id in $(ls "$(husk_root)"); do
      nt_husk delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  if [ -f "$BATS_TEST_TMPDIR/netns" ]; then
    while read -r ns; do
      ip netns del "$ns" 2>/dev/null || true
    done < "$BATS_TEST_TMPDIR/netns"
  fi
}

nt_listens() {
  if [ "$1" = ctr ]; then
    nt_in_ctr "$2" busybox netstat -ltn
  else
    nt_in "$2" busybox netstat -ltn
  fi | grep -q ":$3 "
}

# Waits (up to 10 s: the VM lane is slow) until a TCP port listens:
#   nt_wait_listen ctr ID PORT  |  nt_wait_listen ns NAMESPACE PORT
nt_wait_listen() {
  wait_until 10 nt_listens "$@" && return 0
  echo "nothing listens on port $3 in $1 $2" >&2
  return 1
}

# Starts tcpdump in the background in namespace NS, its packets to OUT, and
# returns once it captures (tcpdump says "listening on" on stderr then): a
# fixed sleep is too short in the slow guest.  It ends by itself after SECS;
# NT_CAPTURE_PID is its pid (nsenter execs timeout, which passes a TERM on).
#   nt_capture NS SECS OUT TCPDUMP-ARGS...
nt_capture() {
  local ns=$1 secs=$2 out=$3
  shift 3
  nsenter --net="/run/netns/$ns" timeout "$secs" tcpdump -n -l "$@" > "$out" 2> "$out.err" 3>&- &
  NT_CAPTURE_PID=$!
  wait_until 30 grep -q "listening on" "$out.err" && return 0
  echo "tcpdump did not start in $ns: $(cat "$out.err")" >&2
  return 1
}
