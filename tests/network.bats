#!/usr/bin/env bats
# Container networks (husk.net.N.* annotations, linux.netDevices): veth on
# a bridge, macvlan, ipvlan, VXLAN across two simulated hosts, IPAM, NAT,
# and that delete (or a failed create) leaves nothing.  Each test's "host"
# is a throwaway network namespace (tests/lib/network.bash).

load helpers

setup() {
  nt_host
}

teardown() {
  nt_cleanup
  lc_teardown
}

bridge_net() { # $1: index of the container, $2: extra annotations
  echo "{\"husk.net.0.type\": \"veth\", \"husk.net.0.bridge\": \"huskbr0\",
         \"husk.net.0.address\": \"10.199.0.$1/24,fd00:199::$1/64\",
         \"husk.net.0.gateway\": \"10.199.0.1,fd00:199::1\" ${2:+, $2}}"
}

@test "network: two containers on one bridge reach each other and the gateway" {
  nt_bundle "$(bridge_net 2 '"husk.net.0.mtu": "1400", "husk.net.0.mac": "02:42:0a:c7:00:02"')"
  nt_create --bundle "$BUNDLE" n1
  nt_bundle "$(bridge_net 3)"
  nt_create --bundle "$BUNDLE" n2

  run nt_in_ctr n1 ip -o addr show eth0
  [[ "$output" == *"inet 10.199.0.2/24"* ]]
  [[ "$output" == *"inet6 fd00:199::2/64"* ]]
  run nt_in_ctr n1 ip -o link show eth0
  [[ "$output" == *"mtu 1400"* ]]
  [[ "$output" == *"link/ether 02:42:0a:c7:00:02"* ]]
  run nt_in_ctr n1 ip route show default
  [ "$output" = "default via 10.199.0.1 dev eth0 " ] || [ "$output" = "default via 10.199.0.1 dev eth0" ]
  run nt_in_ctr n1 ip -6 route show default
  [[ "$output" == "default via fd00:199::1 dev eth0"* ]]
  run nt_in_ctr n1 ip -o link show lo
  [[ "$output" == *"UP"* ]]
  # the bridge was made with the gateway addresses
  run nt_in "$NET_HOST" ip -o addr show huskbr0
  [[ "$output" == *"10.199.0.1/24"* ]]

  # -W 30 and nc's -w 30 only bound a wait that a reply ends (the VM lane's
  # guest can stall for seconds)
  nt_in_ctr n1 busybox ping -c 1 -W 30 10.199.0.3
  nt_in_ctr n1 busybox ping -c 1 -W 30 10.199.0.1
  nt_in_ctr n2 busybox ping -c 1 -W 30 fd00:199::2
  nt_in_ctr n2 busybox ping -c 1 -W 30 fd00:199::1
  nt_in_ctr n2 busybox nc -l -p 7777 > "$BATS_TEST_TMPDIR/nc.out" 3>&- &
  nt_wait_listen ctr n2 7777
  echo hello-bridge | nt_in_ctr n1 busybox nc -w 30 10.199.0.3 7777
  wait
  [ "$(cat "$BATS_TEST_TMPDIR/nc.out")" = hello-bridge ]

  [ "$(nt_in "$NET_HOST" ip -o link show master huskbr0 | wc -l)" = 2 ]
  nt_husk delete --force n1
  nt_husk delete --force n2
  # the host ends are gone; the bridge outlives its containers, as in LXC
  [ "$(nt_in "$NET_HOST" ip -o link show master huskbr0 | wc -l)" = 0 ]
  nt_in "$NET_HOST" ip link show huskbr0
}

@test "network: a bad annotation fails create, naming it, and leaves nothing" {
  nt_bundle '{"husk.net.0.type": "veth", "husk.net.0.bridge": "huskbr0", "husk.net.0.address": "10.0.0.300/24"}'
  run nt_create --bundle "$BUNDLE" bad1
  [ "$status" -eq 1 ]
  grep -F 'annotation husk.net.0.address: "10.0.0.300/24" is not a valid CIDR' "$BATS_TEST_TMPDIR/err"
  for a in '"husk.net.0.type": "tap"' \
           '"husk.net.0.type": "macvlan", "husk.net.0.link": "nosuch0"' \
           '"husk.net.0.type": "veth", "husk.net.1.type": "veth", "husk.net.1.name": "eth0"'; do
    nt_bundle "{$a}"
    run nt_create --bundle "$BUNDLE" bad2
    [ "$status" -eq 1 ]
    grep -q 'annotation husk.net.[01]' "$BATS_TEST_TMPDIR/err"
  done
  [ -z "$(husk_state_ids)" ]
  [ "$(nt_in "$NET_HOST" ip -o link | wc -l)" = 1 ] # lo only
}

@test "network: a failure after links were made removes them" {
  # the second interface cannot be made (its MTU is above its parent's):
  # the first one's host end, made already, must go
  nt_in "$NET_HOST" ip link add par0 mtu 1500 type veth peer name par1
  nt_bundle "$(bridge_net 2 '"husk.net.1.type": "macvlan", "husk.net.1.link": "par0", "husk.net.1.mtu": "9000"')"
  run nt_create --bundle "$BUNDLE" half
  [ "$status" -eq 1 ]
  grep -F 'husk.net.1' "$BATS_TEST_TMPDIR/err"
  [ -z "$(nt_in "$NET_HOST" ip -o link show master huskbr0)" ]
  [ -z "$(husk_state_ids)" ]
}

@test "network: macvlan containers on one parent reach each other" {
  nt_in "$NET_HOST" ip link add par0 type veth peer name par1
  nt_in "$NET_HOST" ip link set par0 up
  nt_in "$NET_HOST" ip link set par1 up
  for i in 2 3; do
    nt_bundle "{\"husk.net.0.type\": \"macvlan\", \"husk.net.0.link\": \"par0\", \"husk.net.0.mode\": \"bridge\", \"husk.net.0.address\": \"10.199.5.$i/24\"}"
    nt_create --bundle "$BUNDLE" m$i
  done
  run nt_in_ctr m2 ip -d link show eth0
  [[ "$output" == *"macvlan mode bridge"* ]]
  nt_in_ctr m2 busybox ping -c 1 -W 30 10.199.5.3
}

@test "network: ipvlan containers on one parent reach each other" {
  nt_need_link_type ipvlan
  # an ipvlan has the carrier of its parent: both ends of the veth up
  nt_in "$NET_HOST" ip link add par0 type veth peer name par1
  nt_in "$NET_HOST" ip link set par0 up
  nt_in "$NET_HOST" ip link set par1 up
  for i in 2 3; do
    nt_bundle "{\"husk.net.0.type\": \"ipvlan\", \"husk.net.0.link\": \"par0\", \"husk.net.0.mode\": \"l2\", \"husk.net.0.address\": \"10.199.6.$i/24,fd00:6::$i/64\"}"
    nt_create --bundle "$BUNDLE" i$i
  done
  run nt_in_ctr i2 ip -d link show eth0
  [[ "$output" == *"ipvlan"*"mode l2"* ]]
  nt_in_ctr i2 busybox ping -c 1 -W 30 10.199.6.3
  nt_in_ctr i3 busybox ping -c 1 -W 30 fd00:6::2
}

@test "network: ipvlan on a kernel without it fails plainly and leaves nothing" {
  if nt_has_link_type ipvlan; then
    skip_because "the kernel has ipvlan links (the test above uses them)"
  fi
  nt_in "$NET_HOST" ip link add par0 type veth peer name par1
  nt_bundle '{"husk.net.0.type": "ipvlan", "husk.net.0.link": "par0", "husk.net.0.address": "10.199.6.2/24"}'
  run nt_create --bundle "$BUNDLE" nov
  [ "$status" -eq 1 ]
  grep -F "ipvlan is not supported by this kernel" "$BATS_TEST_TMPDIR/err"
  [ -z "$(husk_state_ids)" ]
}

@test "network: containers on two simulated hosts share a VXLAN segment" {
  nt_need_tool tcpdump
  local hb
  hb=$(nt_netns hostb)
  nt_link_host "$hb" under0 under0
  local vx='"husk.net.0.type": "veth", "husk.net.0.bridge": "huskbr9", "husk.net.0.mtu": "1400", "husk.net.0.vxlan.id": "42", "husk.net.0.vxlan.dev": "under0"'
  nt_bundle "{$vx, \"husk.net.0.address\": \"10.199.9.2/24\", \"husk.net.0.vxlan.local\": \"192.168.199.1\", \"husk.net.0.vxlan.remote\": \"192.168.199.2\"}"
  nt_create --bundle "$BUNDLE" va
  nt_bundle "{$vx, \"husk.net.0.address\": \"10.199.9.3/24\", \"husk.net.0.vxlan.local\": \"192.168.199.2\", \"husk.net.0.vxlan.remote\": \"192.168.199.1\"}"
  # host B: another husk state root, in namespace hb
  nsenter --net="/run/netns/$hb" "$HUSK" --root "$BATS_TEST_TMPDIR/stateb" create --bundle "$BUNDLE" vb </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/errb" 3>&-

  run nt_in "$NET_HOST" bridge fdb show dev husk-vx42
  [[ "$output" == *"00:00:00:00:00:00 dst 192.168.199.2 self permanent"* ]]
  run nt_in "$NET_HOST" ip -d link show husk-vx42
  [[ "$output" == *"vxlan id 42"*"dstport 4789"*"nolearning"* ]]

  nt_capture "$NET_HOST" 30 "$BATS_TEST_TMPDIR/cap" -i under0 -c 30 udp port 4789
  nt_in_ctr va busybox ping -c 3 -W 30 10.199.9.3
  # the pings were answered; tcpdump may print them later in the slow guest
  wait_until 10 grep -q "ICMP echo request" "$BATS_TEST_TMPDIR/cap" || true
  kill "$NT_CAPTURE_PID" 2>/dev/null || true
  wait "$NT_CAPTURE_PID" || true
  grep -q "192.168.199.1.[0-9]* > 192.168.199.2.4789: VXLAN.*vni 42" "$BATS_TEST_TMPDIR/cap"
  grep -q "10.199.9.2 > 10.199.9.3: ICMP echo request" "$BATS_TEST_TMPDIR/cap"

  nsenter --net="/run/netns/$hb" "$HUSK" --root "$BATS_TEST_TMPDIR/stateb" delete --force vb
}

@test "network: masquerade to an outside namespace, and a forwarded host port" {
  nt_need_tool tcpdump
  local out
  out=$(nt_netns out)
  nt_link_host "$out" up0 out0
  nt_bundle '{"husk.net.0.type": "veth", "husk.net.0.bridge": "huskbr0", "husk.net.0.address": "10.199.0.2/24", "husk.net.0.gateway": "10.199.0.1", "husk.net.0.masquerade": "true", "husk.net.0.ports": "8080:80"}'
  nt_create --bundle "$BUNDLE" nat1

  # the outside has no route to 10.199.0.0/24: only masquerading answers
  nt_capture "$out" 30 "$BATS_TEST_TMPDIR/cap" -i out0 -c 1 'tcp dst port 9000'
  nt_in "$out" busybox nc -l -p 9000 > "$BATS_TEST_TMPDIR/srv.out" 3>&- &
  nt_wait_listen ns "$out" 9000
  echo from-container | nt_in_ctr nat1 busybox nc -w 30 192.168.199.2 9000
  wait
  [ "$(cat "$BATS_TEST_TMPDIR/srv.out")" = from-container ]
  grep -q "IP 192.168.199.1.[0-9]* > 192.168.199.2.9000" "$BATS_TEST_TMPDIR/cap"

  nt_in_ctr nat1 busybox nc -l -p 80 > "$BATS_TEST_TMPDIR/ctr.out" 3>&- &
  nt_wait_listen ctr nat1 80
  echo from-outside | nt_in "$out" busybox nc -w 30 192.168.199.1 8080
  wait
  [ "$(cat "$BATS_TEST_TMPDIR/ctr.out")" = from-outside ]

  nt_husk delete --force nat1
  # the rules went with the container
  nt_in "$NET_HOST" nft list tables > "$BATS_TEST_TMPDIR/tables" 2>/dev/null || true
  ! grep -q husk_ "$BATS_TEST_TMPDIR/tables"
}

@test "network: NAT without nft fails plainly and leaves nothing" {
  local nft
  # husk runs nft for NAT only: hidden from this create alone (not a
  # regular file any more, where husk looks for it)
  nft=$(command -v nft || true)
  [ -n "$nft" ] || skip_because "nft is not installed, nothing to hide"
  nt_bundle "$(bridge_net 2 '"husk.net.0.masquerade": "true"')"
  run unshare -m --propagation private sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' \
    sh "$(realpath "$nft")" nsenter --net="/run/netns/$NET_HOST" "$HUSK" --root "$(husk_root)" \
    create --bundle "$BUNDLE" nonft
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"husk.net.0"*"masquerade and ports need nft (Debian's nftables), in PATH or /usr/sbin"* ]]
  [ -z "$(husk_state_ids)" ]
  [ -z "$(nt_in "$NET_HOST" ip -o link show master huskbr0)" ]
}

@test "network: 20 containers created in parallel from one pool get distinct addresses, all released" {
  local pool='"husk.net.0.type": "veth", "husk.net.0.bridge": "huskbr1", "husk.net.0.pool": "10.199.8.0/24,fd00:8::/64", "husk.net.0.gateway": "10.199.8.1,fd00:8::1"'
  nt_bundle "{$pool}"
  local i pids=()
  for i in $(seq 20); do
    nt_husk create --bundle "$BUNDLE" p$i </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err$i" 3>&- &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  for i in $(seq 20); do
    nt_in_ctr p$i ip -4 -o addr show eth0 | awk '{print $4}'
  done > "$BATS_TEST_TMPDIR/addrs"
  [ "$(sort -u "$BATS_TEST_TMPDIR/addrs" | grep -c '^10\.199\.8\.')" = 20 ]
  ! grep -qx '10.199.8.1/24' "$BATS_TEST_TMPDIR/addrs"
  [ "$(nt_in "$NET_HOST" ip -o link show master huskbr1 | wc -l)" = 20 ]
  nt_in_ctr p20 busybox ping -c 1 -W 30 "$(head -1 "$BATS_TEST_TMPDIR/addrs" | cut -d/ -f1)"

  for i in $(seq 20); do
    nt_husk delete --force p$i &
  done
  wait
  # the pool is whole again: no record of any address
  [ -z "$(find "$(husk_root)/.ipam" -type f ! -name '*.lock')" ]
  [ "$(nt_in "$NET_HOST" ip -o link | grep -c hk)" = 0 ]
  [ -z "$(nt_in "$NET_HOST" bridge fdb show br huskbr1 | grep -v permanent)" ]
}

@test "network: linux.netDevices are moved in, renamed, and given back on delete" {
  nt_in "$NET_HOST" ip link add hkdev0 type veth peer name hkdev1
  nt_bundle '{}' '.linux.netDevices = {"hkdev0": {"name": "inner0"}}'
  nt_create --bundle "$BUNDLE" nd1
  nt_in_ctr nd1 ip link show inner0
  ! nt_in "$NET_HOST" ip link show hkdev0 2>/dev/null
  nt_husk delete --force nd1
  nt_in "$NET_HOST" ip link show hkdev0
}

@test "network: a network namespace with a path is left to its owner" {
  local cni
  cni=$(nt_netns cni)
  nt_bundle "$(bridge_net 2)" "(.linux.namespaces[] | select(.type == \"network\")) += {\"path\": \"/run/netns/$cni\"}"
  nt_create --bundle "$BUNDLE" cni1
  [ "$(ip -n "$cni" -o link | wc -l)" = 1 ] # lo only
  ! nt_in "$NET_HOST" ip link show huskbr0 2>/dev/null
}
