#!/bin/bash
# husk against crun and runc, side by side, on one bundle (`make bench`).
#
#   bench/bench.sh HUSK BUNDLE OUTDIR
#
# HUSK: the husk binary; BUNDLE: the busybox bundle (`make bundle`); OUTDIR:
# where drive and floor were built and where raw.csv, summary.csv, bench.png
# and results.md go.  Environment:
#   BENCH_QUICK=1             small counts, for development (about a minute)
#   BENCH_VARIANTS="RT+NAME:TOKEN[,TOKEN] ..."
#                             extra columns: runtime RT (husk, crun, runc)
#                             run with each VAR=VALUE token in its
#                             environment and each --flag[=value] token
#                             among its global flags: e.g. husk's memfd
#                             copy of its binary in every test:
#                             husk+memfd:HUSK_EXE_COPY=memfd; or crun's
#                             cgroup cost: crun+nocg:--cgroup-manager=disabled
#                             (the cost of husk's defences has its own
#                             table: bench/defences.sh)
#   BENCH_N, BENCH_SCALE_LEVELS, BENCH_BURST, BENCH_BURST_REPS, BENCH_SCALE_N,
#   BENCH_NET_N               override the counts
#
# Every measurement is one runtime command spawned and reaped by bench/drive
# (wall time from CLOCK_MONOTONIC, peak RSS from wait4's ru_maxrss).  Runtimes
# are interleaved A B C, B C A, C A B, ... so that drift hits all alike.
#
# Everything happens in a private mount namespace (with a tmpfs on /run for
# state dirs and network namespaces), and the network baselines in a
# throwaway network namespace: nothing is left on the host.
set -euo pipefail

die() { echo "bench: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: bench/bench.sh HUSK BUNDLE OUTDIR"
[ "$(id -u)" = 0 ] || die "needs root (containers with every namespace)"
HUSK=$(realpath "$1")
BUNDLE=$(realpath "$2")
OUT=$(realpath "$3")
DRIVE=$OUT/drive
FLOOR=$OUT/floor
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$HUSK" ] && [ -x "$DRIVE" ] && [ -x "$FLOOR" ] || die "build first (make bench)"
[ -f "$BUNDLE/config.json" ] || die "$BUNDLE/config.json missing (make bundle)"

# ---------------------------------------------------------------- set-up

cgroup_layout() {
  case $(stat -f -c %T /sys/fs/cgroup) in
    cgroup2fs) echo unified ;;
    tmpfs)
      if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        echo hybrid
      else
        echo legacy
      fi ;;
    *) echo none ;;
  esac
}

# The outer half: note the host's layout, then go on in a private mount
# namespace, where /run is a tmpfs and, on a hybrid host, /sys/fs/cgroup is
# the host's cgroup2 hierarchy itself.
if [ -z "${BENCH_INNER:-}" ]; then
  export BENCH_INNER=1 BENCH_HOST_LAYOUT
  BENCH_HOST_LAYOUT=$(cgroup_layout)
  exec unshare -m --propagation private "$0" "$@"
fi

QUICK=${BENCH_QUICK:-}
[ "$QUICK" = 0 ] && QUICK=
if [ -n "$QUICK" ]; then
  N=${BENCH_N:-10}; LEVELS=${BENCH_SCALE_LEVELS:-"1 10"}
  BURST=${BENCH_BURST:-20}; BURST_REPS=${BENCH_BURST_REPS:-1}
  SCALE_N=${BENCH_SCALE_N:-5}; NET_N=${BENCH_NET_N:-5}
else
  # 1000 existing containers of each runtime take 6-8 minutes on their own
  # on a 2-core machine: BENCH_SCALE_LEVELS="1 10 100 1000" asks for them.
  N=${BENCH_N:-100}; LEVELS=${BENCH_SCALE_LEVELS:-"1 10 100 500"}
  BURST=${BENCH_BURST:-100}; BURST_REPS=${BENCH_BURST_REPS:-2}
  SCALE_N=${BENCH_SCALE_N:-20}; NET_N=${BENCH_NET_N:-50}
fi

RUN=/run/bench
STATE=$RUN/state
mount -t tmpfs -o mode=0755 bench-run /run
mkdir -p "$STATE" "$RUN/pid" "$RUN/bundles" "$OUT"
RAW=$OUT/raw.csv
LOG=$OUT/errors.log
: > "$LOG"
echo "test,runtime,iter,wall_us,maxrss_kb,status" > "$RAW"
T_START=$(date +%s)

# What the host is; what each runtime makes of it.
KERNEL=$(uname -r)
CORES=$(nproc)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
MEM=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
case $BENCH_HOST_LAYOUT in
  hybrid) LAYOUT="hybrid: v1 controllers ($(awk -F: '$1 != 0 { printf "%s%s", s, $2; s="," }' /proc/self/cgroup)); cgroup2 at /sys/fs/cgroup/unified with [$(cat /sys/fs/cgroup/unified/cgroup.controllers)]" ;;
  unified) LAYOUT="unified (cgroup v2) with [$(cat /sys/fs/cgroup/cgroup.controllers)]" ;;
  *) LAYOUT=$BENCH_HOST_LAYOUT ;;
esac
V_HUSK="$("$HUSK" --version | head -1) (tree $(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo unknown))"
V_CRUN=$(crun --version | head -1)
V_RUNC=$(runc --version | head -1)

ROOTFS=$BUNDLE/rootfs
# config.json as `husk spec` wrote it, with the rootfs made absolute (the
# bundles below share it) and the process set by each bundle.
make_bundle() { # NAME JQ-FILTER
  mkdir -p "$RUN/bundles/$1"
  jq --arg root "$ROOTFS" ".root.path = \$root | $2" "$CONFIG" > "$RUN/bundles/$1/config.json"
}

# Runs crun once on the config as it stands; echoes crun's error, if any.
crun_probe() {
  local id=bench-probe out
  make_bundle probe '.process.args = ["true"]'
  out=$(crun --root "$STATE/probe" run --bundle "$RUN/bundles/probe" $id 2>&1 </dev/null) && return 0
  crun --root "$STATE/probe" delete -f $id >/dev/null 2>&1 || true
  rmdir /sys/fs/cgroup/$id 2>/dev/null || true
  echo "$out" | tail -1
  return 1
}

CONFIG=$RUN/spec.json
cp "$BUNDLE/config.json" "$CONFIG"
NOTES=()
note() { NOTES+=("$*"); }

# 1. The host as it is.
CRUN_HOST_ERR=""
if [ "$BENCH_HOST_LAYOUT" = hybrid ]; then
  jq '.ociVersion = "1.0.2"' "$BUNDLE/config.json" > "$CONFIG"
  CRUN_HOST_ERR=$(crun_probe) || true
  cp "$BUNDLE/config.json" "$CONFIG"
  [ -n "$CRUN_HOST_ERR" ] && note "crun on this host's own (hybrid) layout refuses to run: \"$CRUN_HOST_ERR\"."
  # 2. The fair set-up: every runtime sees the host's cgroup2 hierarchy as
  # /sys/fs/cgroup (a private mount, nothing changes on the host), so each
  # uses its own cgroup v2 driver on the same tree.  With cgroups off for
  # all three instead, runc cannot take part: it has no way to run without
  # cgroupfs ("mkdir /sys/fs/cgroup/cpuset/ID: no such file or directory").
  mount -t cgroup2 cgroup2 /sys/fs/cgroup
  note "Fair set-up: all runtimes run in one private mount namespace where /sys/fs/cgroup is the host's cgroup2 hierarchy (cgroup2 mounted over it), so each uses its own cgroup v2 driver on the same tree, with the same controllers [$(cat /sys/fs/cgroup/cgroup.controllers)]; runc cannot run with cgroups off at all, so turning them off for all three is not an option."
fi
CG_LAYOUT=$(cgroup_layout)

# 3. Make the config one that crun 1.8 takes, changing it for all alike.
SPEC_VERSION=$(jq -r .ociVersion "$CONFIG")
err=$(crun_probe) || true
if [[ $err == *"unknown version"* ]]; then
  jq '.ociVersion = "1.0.2"' "$CONFIG" > "$CONFIG.new" && mv "$CONFIG.new" "$CONFIG"
  note "ociVersion $SPEC_VERSION -> 1.0.2 for all: crun 1.8.1 refuses any other (\"$err\")."
  err=$(crun_probe) || true
fi
if [[ $err == *RLIM_MEMLOCK* ]]; then
  jq 'del(.linux.resources.devices)' "$CONFIG" > "$CONFIG.new" && mv "$CONFIG.new" "$CONFIG"
  note "linux.resources.devices dropped for all: crun loads its eBPF device filter only after raising RLIMIT_MEMLOCK to infinity, which this host forbids (no CAP_SYS_RESOURCE): \"$err\". runc and husk still load an eBPF device program for their default device rules; crun, given no rules, loads none (it does less work here)."
  err=$(crun_probe) || true
fi
[ -z "$err" ] || die "crun cannot run the bundle here: $err"
rm -rf "$STATE/probe"

make_bundle true '.process.args = ["true"]'
make_bundle sleep '.process.args = ["sleep", "1000000"]'
NAMESPACES=$(jq -r '[.linux.namespaces[] | select(.path == null) | .type] | join(",")' "$CONFIG")
SECCOMP=$(jq -r 'if .linux.seccomp then "\(.linux.seccomp.defaultAction) by default, \([.linux.seccomp.syscalls[].names | length] | add) syscalls named" else "none" end' "$CONFIG")

# Runtimes: the columns of every table.  A variant is a runtime run with
# extra environment (drive's @VAR=VALUE) and extra global flags.
RTS=(husk crun runc)
declare -A VARENV=() VARFLAGS=()
for v in ${BENCH_VARIANTS:-}; do
  name=${v%%:*}
  case ${name%%+*} in husk|crun|runc) ;; *) die "BENCH_VARIANTS: $v: not husk+NAME, crun+NAME or runc+NAME" ;; esac
  [[ $name == *+?* ]] || die "BENCH_VARIANTS: $v: no variant name"
  RTS+=("$name")
  IFS=, read -r -a toks <<< "${v#*:}"
  for tok in "${toks[@]}"; do
    case $tok in
      --*) VARFLAGS[$name]+="$tok " ;;
      *=*) VARENV[$name]+="@$tok " ;;
      *) die "BENCH_VARIANTS: $v: $tok is neither VAR=VALUE nor --flag" ;;
    esac
  done
done
rt_cmd() { # NAME -> CMD (array)
  local base=${1%%+*} env=() flags=()
  [ "$1" = "$base" ] || read -r -a env <<< "${VARENV[$1]:-}"
  [ "$1" = "$base" ] || read -r -a flags <<< "${VARFLAGS[$1]:-}"
  case $base in
    husk) CMD=("${env[@]}" "$HUSK" "${flags[@]}" --root "$STATE/$1") ;;
    crun|runc) CMD=("${env[@]}" "$base" "${flags[@]}" --root "$STATE/$1") ;;
    floor) CMD=("$FLOOR" "$NAMESPACES" "$ROOTFS" /bin/true) ;;
  esac
}
cid() { echo "b-$1-${2//+/_}-$3"; } # TEST RT N -> container id (N may be "{}")

# The order for iteration I: the list rotated by I.
rotated() { # I NAME...
  local i=$1; shift
  local a=("$@") n=$# k
  for ((k = 0; k < n; k++)); do echo "${a[(i + k) % n]}"; done
}

# ---------------------------------------------------------------- drive

coproc DRV { exec "$DRIVE" -e "$LOG"; }
DRV_IN=${DRV[1]}
DRV_OUT=${DRV[0]}
FAILED=0
plan() { local IFS=$'\t'; printf '%s\n' "$*" >&"$DRV_IN"; }
collect() {
  local label us rss st
  read -r -u "$DRV_OUT" label us rss st || die "drive died (see $LOG)"
  echo "$label,$us,$rss,$st" >> "$RAW"
  [ "$st" = 0 ] || FAILED=$((FAILED + 1))
  LAST_US=$us
}
measure() { plan run "$1,$2,$3" "${@:4}"; collect; }        # TEST RT I CMD...
measure_par() { plan par "$1,$2,$3" "$4" "${@:5}"; collect; } # TEST RT I K CMD...
wait_pidfile() { plan wait "$1"; }

cleanup() {
  local rt id
  [ -n "${DRV_IN:-}" ] && exec {DRV_IN}>&- 2>/dev/null || true
  for rt in "${RTS[@]}"; do
    rt_cmd "$rt"
    for id in $("${CMD[@]}" list -q 2>/dev/null | grep '^b-' || true); do
      "${CMD[@]}" delete -f "$id" >/dev/null 2>&1 || true
    done
  done
  rmdir /sys/fs/cgroup/b-* 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

section() { printf '  %-28s' "$1" >&2; SECTION_T0=$(date +%s.%N); }
section_done() { awk -v a="$SECTION_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%6.1f s\n", b - a }' >&2; }

echo "bench: husk, crun, runc; ${QUICK:+quick mode, }N=$N, logs in $LOG" >&2

# Does each runtime do the same work?  The cgroup its create makes, and
# whether the container's process runs under a seccomp filter.
declare -A CGROUP_MADE=() SECCOMP_ON=()
make_bundle status '.process.args = ["grep", "^Seccomp:", "/proc/self/status"]'
for rt in "${RTS[@]}"; do
  rt_cmd "$rt"; id=$(cid probe "$rt" 0)
  env=(); while [[ ${CMD[0]} == @* ]]; do env+=("${CMD[0]#@}"); CMD=("${CMD[@]:1}"); done
  env "${env[@]}" "${CMD[@]}" create --bundle "$RUN/bundles/true" "$id" </dev/null >/dev/null 2>>"$LOG" \
    || die "$rt create fails on the bench bundle (see $LOG)"
  CGROUP_MADE[$rt]=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" | head -1)
  env "${env[@]}" "${CMD[@]}" delete -f "$id" >/dev/null 2>>"$LOG" || true
  SECCOMP_ON[$rt]=$(env "${env[@]}" "${CMD[@]}" run --bundle "$RUN/bundles/status" "$id" </dev/null 2>>"$LOG" \
                      | awk '{ print ($2 == 2) ? "yes" : "no" }')
  why=""; [ "$rt" = husk ] && why=" (husk's driver is not wired into its runtime yet)"
  [ -n "${CGROUP_MADE[$rt]}" ] || note "$rt made no cgroup for its container$why: it does less work than the others here."
  if [ "$SECCOMP" != none ] && [ "${SECCOMP_ON[$rt]}" != yes ]; then
    note "$rt ran the container without the config's seccomp filter$why: it does less work than the others here."
  fi
done

# ---------------------------------------------------------------- runs

section "warm-up"
for i in 1 2 3; do
  for rt in "${RTS[@]}" floor; do rt_cmd "$rt"
    if [ "$rt" = floor ]; then measure warmup "$rt" $i "${CMD[@]}"
    else measure warmup "$rt" $i "${CMD[@]}" run --bundle "$RUN/bundles/true" "$(cid w "$rt" $i)"; fi
  done
done
section_done

# Lifecycle: `run` of `true` (create, start, wait, delete: run deletes the
# container once it exits, in all three), and the floor beside it.
section "lifecycle x$N"
for ((i = 0; i < N; i++)); do
  for rt in $(rotated $i "${RTS[@]}" floor); do rt_cmd "$rt"
    if [ "$rt" = floor ]; then measure run floor $i "${CMD[@]}"
    else measure run "$rt" $i "${CMD[@]}" run --bundle "$RUN/bundles/true" "$(cid l "$rt" $i)"; fi
  done
done
section_done

# Split: create, start, (the container's `true` ends), delete.
section "create/start/delete x$N"
for ((i = 0; i < N; i++)); do
  order=$(rotated $i "${RTS[@]}")
  for rt in $order; do rt_cmd "$rt"
    measure create "$rt" $i "${CMD[@]}" create --bundle "$RUN/bundles/true" \
      --pid-file "$RUN/pid/$rt" "$(cid s "$rt" $i)"
  done
  for rt in $order; do rt_cmd "$rt"; measure start "$rt" $i "${CMD[@]}" start "$(cid s "$rt" $i)"; done
  for rt in $order; do wait_pidfile "$RUN/pid/$rt"; done
  for rt in $order; do rt_cmd "$rt"; measure delete "$rt" $i "${CMD[@]}" delete "$(cid s "$rt" $i)"; done
done
section_done

# exec of `true` into a running container (busybox sleep).
section "exec x$N"
for rt in "${RTS[@]}"; do rt_cmd "$rt"
  measure exec-setup "$rt" 0 "${CMD[@]}" run -d --bundle "$RUN/bundles/sleep" "$(cid e "$rt" 0)"
done
for ((i = 0; i < N; i++)); do
  for rt in $(rotated $i "${RTS[@]}"); do rt_cmd "$rt"
    measure exec "$rt" $i "${CMD[@]}" exec "$(cid e "$rt" 0)" true
  done
done
for rt in "${RTS[@]}"; do rt_cmd "$rt"
  measure exec-teardown "$rt" 0 "${CMD[@]}" delete -f "$(cid e "$rt" 0)"
done
section_done

# Burst: BURST `run`s of `true` started at once; the total time.
section "burst $BURST x$BURST_REPS"
for ((i = 0; i < BURST_REPS; i++)); do
  for rt in $(rotated $i "${RTS[@]}"); do rt_cmd "$rt"
    measure_par burst "$rt" $i "$BURST" "${CMD[@]}" run --bundle "$RUN/bundles/true" "$(cid b "$rt" $i)-{}"
  done
done
section_done

# One-shot jobs: `husk job -- true` (overlay root, every namespace, cgroup,
# seccomp, report-free) against bubblewrap and unshare(1) running the same
# `true` on the same rootfs, interleaved: the per-job overhead of each.
section "job x$N"
JOB_RTS=(husk-job unshare)
if command -v bwrap >/dev/null; then JOB_RTS+=(bwrap); else note "bwrap is not installed (scripts/deps.sh bench): no bubblewrap column"; fi
job_cmd() { # NAME -> CMD (array)
  case $1 in
    husk-job) CMD=("$HUSK" --root "$STATE/job" job --rootfs "$ROOTFS" -- /bin/true) ;;
    bwrap) CMD=(bwrap --unshare-all --die-with-parent --ro-bind "$ROOTFS" / --proc /proc
                --dev /dev --tmpfs /tmp -- /bin/true) ;;
    unshare) CMD=(unshare --mount --uts --ipc --net --pid --cgroup --fork --kill-child
                  --root "$ROOTFS" --mount-proc /bin/true) ;;
  esac
}
for ((i = 0; i < N; i++)); do
  for rt in $(rotated $i "${JOB_RTS[@]}"); do job_cmd "$rt"; measure job "$rt" $i "${CMD[@]}"; done
done
section_done

# ---------------------------------------------------------------- network

# Baselines in a throwaway network namespace (the "host" there): for each
# container a network namespace made beforehand, then veth + bridge +
# address + route, by iproute2 commands and by the CNI bridge plugin.
section "network x$NET_N"
NET_PLAN=$RUN/net.plan
NET_RAW=$RUN/net.out
mkdir -p "$RUN/cni" /run/netns
CNI_CONF=$RUN/cni/bridge.json
cat > "$CNI_CONF" <<EOF
{"cniVersion": "1.0.0", "name": "benchnet", "type": "bridge", "bridge": "cni0",
 "isGateway": true, "ipMasq": false,
 "ipam": {"type": "host-local", "subnet": "10.89.0.0/16", "dataDir": "$RUN/cni/ipam",
          "routes": [{"dst": "0.0.0.0/0"}]}}
EOF
echo '{"cniVersion": "1.0.0", "name": "benchlo", "type": "loopback"}' > "$RUN/cni/lo.json"
{
  p() { local IFS=$'\t'; printf '%s\n' "$*"; }
  p run "net-prep,host,0" ip link add br0 type bridge
  p run "net-prep,host,0" ip addr add 10.88.0.1/16 dev br0
  p run "net-prep,host,0" ip link set br0 up
  for ((i = 0; i < NET_N; i++)); do
    p run "net-prep,host,$i" ip netns add "ip$i"
    p run "net-prep,host,$i" ip netns add "cni$i"
    a=10.88.$((i / 250)).$((i % 250 + 2))
    for rt in $(rotated $i iproute2 cni); do
      if [ "$rt" = iproute2 ]; then
        p run "net-ip,iproute2,$i" ip link add "hv$i" type veth peer name eth0 netns "ip$i"
        p run "net-ip,iproute2,$i" ip link set "hv$i" master br0 up
        p run "net-ip,iproute2,$i" ip -n "ip$i" addr add "$a/16" dev eth0
        p run "net-ip,iproute2,$i" ip -n "ip$i" link set eth0 up
        p run "net-ip,iproute2,$i" ip -n "ip$i" link set lo up
        p run "net-ip,iproute2,$i" ip -n "ip$i" route add default via 10.88.0.1
        # the teardown that husk does too: the host's end goes at once
        p run "net-ip,iproute2,$i" ip link del "hv$i"
      else
        env=("@CNI_CONTAINERID=c$i" "@CNI_NETNS=/run/netns/cni$i" @CNI_PATH=/usr/lib/cni)
        for cmd in ADD DEL; do
          p run "net-cni,cni,$i" "@CNI_COMMAND=$cmd" "${env[@]}" @CNI_IFNAME=eth0 "@<$CNI_CONF" /usr/lib/cni/bridge
          p run "net-cni,cni,$i" "@CNI_COMMAND=$cmd" "${env[@]}" @CNI_IFNAME=lo "@<$RUN/cni/lo.json" /usr/lib/cni/loopback
        done
      fi
    done
  done
} > "$NET_PLAN"
unshare -n "$DRIVE" -e "$LOG" < "$NET_PLAN" > "$NET_RAW" || die "network baselines failed (see $LOG)"
# One row per container: the commands of one set-up summed.
awk -F'\t' '{ split($1, k, ","); if (k[1] == "net-prep") { if ($4 != 0) bad++; next }
              key = k[1] "," k[2] "," k[3]; us[key] += $2; if ($3 > rss[key]) rss[key] = $3
              if ($4 != 0) st[key] = $4; else if (!(key in st)) st[key] = 0 }
            END { for (key in us) print key "," us[key] "," rss[key] "," st[key]
                  if (bad) print "net-prep,host,0,0,0,1" }' "$NET_RAW" >> "$RAW"

# husk's own network set-up, once `husk run` builds networks from husk.net.*
# annotations: run with a veth on a bridge against run without, interleaved.
NET_WIRED=""
make_bundle net '.process.args = ["ls", "/sys/class/net"]
  | .annotations = {"husk.net.0.type": "veth", "husk.net.0.bridge": "hbr0",
                    "husk.net.0.address": "10.90.0.2/16", "husk.net.0.gateway": "10.90.0.1"}'
if ifs=$(unshare -n "$HUSK" --root "$STATE/netprobe" run --bundle "$RUN/bundles/net" b-netprobe 2>>"$LOG" </dev/null) \
   && [ "$(echo "$ifs" | grep -vc '^lo$')" -gt 0 ]; then
  NET_WIRED=1
  jq '.process.args = ["true"]' "$RUN/bundles/net/config.json" > "$RUN/net.json"
  mv "$RUN/net.json" "$RUN/bundles/net/config.json"
  {
    p() { local IFS=$'\t'; printf '%s\n' "$*"; }
    for ((i = 0; i < NET_N; i++)); do
      for b in $(rotated $i net true); do
        p run "net-husk-$b,husk,$i" "$HUSK" --root "$STATE/husk" run --bundle "$RUN/bundles/$b" "b-n-$b-$i"
      done
    done
  } > "$NET_PLAN"
  unshare -n "$DRIVE" -e "$LOG" < "$NET_PLAN" | tr '\t' ',' >> "$RAW"
fi
section_done

# Scale: with L containers already there (created, their inits waiting for
# start), the time of create, of a whole create+start+delete and of list.
# The pools grow and go in parallel chunks (not measured per container).
POOL_CHUNK=10
pool() { # VERB(create|delete) FROM TO
  local k n rt j=0
  for ((k = $2; k < $3; k += POOL_CHUNK, j++)); do
    n=$(( $3 - k < POOL_CHUNK ? $3 - k : POOL_CHUNK ))
    for rt in $(rotated $j "${RTS[@]}"); do rt_cmd "$rt"
      if [ "$1" = create ]; then
        measure_par pool-create "$rt" "$k" "$k+$n" "${CMD[@]}" create --bundle "$RUN/bundles/sleep" "$(cid p "$rt" "{}")"
      else
        measure_par pool-delete "$rt" "$k" "$k+$n" "${CMD[@]}" delete -f "$(cid p "$rt" "{}")"
      fi
    done
  done
}
have=0
for L in $LEVELS; do
  section "scale: $L existing"
  pool create $have "$L"
  have=$L
  n=$SCALE_N; [ "$L" -ge 1000 ] && n=$(( (SCALE_N + 3) / 4 ))
  for ((i = 0; i < n; i++)); do
    order=$(rotated $i "${RTS[@]}")
    for rt in $order; do rt_cmd "$rt"
      measure "scale-create@$L" "$rt" $i "${CMD[@]}" create --bundle "$RUN/bundles/true" \
        --pid-file "$RUN/pid/$rt" "$(cid c$L "$rt" $i)"
    done
    for rt in $order; do rt_cmd "$rt"; measure "scale-start@$L" "$rt" $i "${CMD[@]}" start "$(cid c$L "$rt" $i)"; done
    for rt in $order; do wait_pidfile "$RUN/pid/$rt"; done
    for rt in $order; do rt_cmd "$rt"; measure "scale-delete@$L" "$rt" $i "${CMD[@]}" delete "$(cid c$L "$rt" $i)"; done
    for rt in $order; do rt_cmd "$rt"; measure "scale-list@$L" "$rt" $i "${CMD[@]}" list; done
  done
  section_done
done
section "scale: deleting the pools"
pool delete 0 $have
section_done
exec {DRV_IN}>&-
wait "$DRV_PID" 2>/dev/null || true

# ---------------------------------------------------------------- results

SUMMARY=$OUT/summary.csv
# Derived rows: a whole split cycle (create + start + delete) per iteration.
awk -F, 'NR > 1 { split($1, t, "@"); lvl = (t[2] == "" ? "" : "@" t[2])
  if (t[1] == "create" || t[1] == "start" || t[1] == "delete" ||
      t[1] == "scale-create" || t[1] == "scale-start" || t[1] == "scale-delete") {
    base = (t[1] ~ /^scale-/) ? "scale-cycle" lvl : "cycle"
    key = base "," $2 "," $3; us[key] += $4; if ($6 != 0) st[key] = $6; else if (!(key in st)) st[key] = 0 } }
  END { for (key in us) print key "," us[key] ",0," st[key] }' "$RAW" > "$RUN/derived.csv"

# Per test and runtime: count, failures, median, p10, p90, min, max of wall
# time (us), median and max of peak RSS (KB), over successful runs.
{ tail -n +2 "$RAW"; cat "$RUN/derived.csv"; } | sort -t, -k1,1 -k2,2 -k4,4n | awk -F, '
  function pick(a, q) { i = int(q * n + 0.999); return a[i < 1 ? 1 : i] }
  function mid(a) { return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  function flush(   i, j, t) {
    if (key == "") return
    if (n == 0) { print key ",0," bad ",,,,,,,"; return }
    for (i = 2; i <= n; i++) { t = r[i]; for (j = i - 1; j >= 1 && r[j] > t; j--) r[j + 1] = r[j]; r[j + 1] = t }
    print key "," n "," bad "," mid(v) "," pick(v, 0.1) "," pick(v, 0.9) "," v[1] "," v[n] "," mid(r) "," r[n]
  }
  BEGIN { print "test,runtime,n,failed,median_us,p10_us,p90_us,min_us,max_us,median_rss_kb,max_rss_kb" }
  { k = $1 "," $2
    if (k != key) { flush(); key = k; n = 0; bad = 0 }
    if ($6 != 0) { bad++; next }
    n++; v[n] = $4; r[n] = $5 }
  END { flush() }' > "$SUMMARY"

# Lookups into the summary.
val() { # TEST RT FIELD(median|p10|p90|rss|n|failed)
  awk -F, -v t="$1" -v r="$2" -v f="$3" '$1 == t && $2 == r {
    c = (f == "n") ? 3 : (f == "failed") ? 4 : (f == "median") ? 5 : (f == "p10") ? 6 : (f == "p90") ? 7 : (f == "rss") ? 10 : 0
    print $c; exit }' "$SUMMARY"
}
ms() { [ -n "$1" ] && awk -v u="$1" 'BEGIN { printf (u >= 100000 ? "%.0f" : u >= 10000 ? "%.1f" : "%.2f"), u / 1000 }' || echo "-"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "-"; }
cell() { # TEST RT -> "median [p10-p90]" in ms
  local m; m=$(val "$1" "$2" median)
  [ -n "$m" ] || { echo "-"; return; }
  echo "$(ms "$m") [$(ms "$(val "$1" "$2" p10)")-$(ms "$(val "$1" "$2" p90)")]"
}

TABLE=$RUN/table.txt
MD=$OUT/results.md
ROWS=()
row() { ROWS+=("$(IFS='|'; echo "$*")"); }
hdr=("what" "${RTS[@]}" "husk/crun" "husk/runc")
row "${hdr[@]}"
perf_row() { # LABEL TEST [floor]
  local cells=() rt
  for rt in "${RTS[@]}"; do cells+=("$(cell "$2" "$rt")"); done
  row "$1" "${cells[@]}" "$(ratio "$(val "$2" husk median)" "$(val "$2" crun median)")" \
      "$(ratio "$(val "$2" husk median)" "$(val "$2" runc median)")"
}
perf_row "run true, whole lifecycle (ms)" run
perf_row "create (ms)" create
perf_row "start (ms)" start
perf_row "delete (ms)" delete
perf_row "create+start+delete (ms)" cycle
perf_row "exec true (ms)" exec
perf_row "burst: $BURST runs at once (ms total)" burst
rss_row() { # LABEL TEST
  local cells=() rt
  for rt in "${RTS[@]}"; do cells+=("$(val "$2" "$rt" rss)"); done
  row "$1" "${cells[@]}" "$(ratio "$(val "$2" husk rss)" "$(val "$2" crun rss)")" \
      "$(ratio "$(val "$2" husk rss)" "$(val "$2" runc rss)")"
}
rss_row "peak RSS, create (KB)" create
rss_row "peak RSS, exec (KB)" exec
rss_row "peak RSS, run (KB)" run
size_cells=()
bin_kb() { awk -v s="$(stat -L -c %s "$1")" 'BEGIN { printf "%.0f", s / 1024 }'; }
libs() { ldd "$1" 2>/dev/null | grep -c '=>' || true; }
for rt in "${RTS[@]}"; do
  case $rt in crun|runc) b=$(command -v $rt) ;; *) b=$HUSK ;; esac
  size_cells+=("$(bin_kb "$b") ($(libs "$b") libs)")
done
row "binary size (KB, shared libs)" "${size_cells[@]}" \
    "$(ratio "$(bin_kb "$HUSK")" "$(bin_kb "$(command -v crun)")")" \
    "$(ratio "$(bin_kb "$HUSK")" "$(bin_kb "$(command -v runc)")")"

FLOOR_MED=$(val run floor median)
HUSK_RUN=$(val run husk median)
HUSK_CYCLE=$(val cycle husk median)

SCALE_ROWS=()
srow() { SCALE_ROWS+=("$(IFS='|'; echo "$*")"); }
shdr=("existing")
for rt in "${RTS[@]}"; do shdr+=("$rt create" "$rt c+s+d" "$rt list"); done
srow "${shdr[@]}"
for L in $LEVELS; do
  cells=()
  for rt in "${RTS[@]}"; do
    cells+=("$(ms "$(val "scale-create@$L" "$rt" median)")" "$(ms "$(val "scale-cycle@$L" "$rt" median)")" "$(ms "$(val "scale-list@$L" "$rt" median)")")
  done
  srow "$L" "${cells[@]}"
done

JOB_ROWS=("$(IFS='|'; echo "per job" "${JOB_RTS[@]}")")
job_cells=()
for rt in "${JOB_RTS[@]}"; do job_cells+=("$(cell job "$rt")"); done
JOB_ROWS+=("$(IFS='|'; echo "true, median [p10-p90] (ms)" "${job_cells[@]}")")

NET_ROWS=()
NET_ROWS+=("set-up and teardown per container|median [p10-p90] (ms)")
NET_ROWS+=("iproute2: veth + bridge + address + route (6 ip commands), ip link del|$(cell net-ip iproute2)")
NET_ROWS+=("CNI bridge + host-local IPAM + loopback plugins, ADD and DEL|$(cell net-cni cni)")
if [ -n "$NET_WIRED" ]; then
  d=$(awk -v a="$(val net-husk-net husk median)" -v b="$(val net-husk-true husk median)" 'BEGIN { print a - b }')
  NET_ROWS+=("husk run with a veth on a bridge, minus husk run without|$(ms "$d")")
else
  NET_ROWS+=("husk|network: not measured yet (husk network annotations not wired)")
fi

target() { # NAME HUSK LIMIT(ratio) AGAINST-LABEL AGAINST
  local r; r=$(ratio "$2" "$5")
  [ "$r" = - ] && { echo "$1: - (not measured)"; return; }
  if awk -v r="$r" -v l="$3" 'BEGIN { exit !(r <= l) }'; then
    echo "$1: met ($r x $4; target <= $3 x)"
  else
    echo "$1: MISSED ($r x $4; target <= $3 x)"
  fi
}
TARGETS=(
  "$(target "lifecycle (run) <= 0.8 x crun" "$(val run husk median)" 0.8 crun "$(val run crun median)")"
  "$(target "peak RSS (create) <= crun" "$(val create husk rss)" 1 crun "$(val create crun rss)")"
  "$(target "peak RSS (exec) <= crun" "$(val exec husk rss)" 1 crun "$(val exec crun rss)")"
  "$(target "exec latency <= crun" "$(val exec husk median)" 1 crun "$(val exec crun median)")"
  "$(target "husk run within 2 x the floor" "$HUSK_RUN" 2 floor "$FLOOR_MED")"
)

# The table: plain text on stdout, markdown in results.md.
print_table() { # FORMAT(text|md) ROW...
  local fmt=$1; shift
  if [ "$fmt" = md ]; then
    local first=1 r
    for r in "$@"; do
      echo "| ${r//|/ | } |"
      if [ $first = 1 ]; then echo "$r" | awk -F'|' '{ s = "|"; for (i = 1; i <= NF; i++) s = s " --- |"; print s }'; first=0; fi
    done
  else
    printf '%s\n' "$@" | awk -F'|' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > nf) nf = NF }
      END { for (r = 1; r <= NR; r++) { s = ""; for (i = 1; i <= nf; i++) s = s sprintf(i == 1 ? "%-" w[i] "s" : "  %" w[i] "s", c[r, i]); print s } }'
  fi
}
# The start-time cost of husk's defences against container escapes.
section "defences x$N"
DEF_OUT=$("$HERE/defences.sh" "$HUSK" "$BUNDLE" "$DRIVE" "$N" 2>>"$LOG") || FAILED=$((FAILED + 1))
mapfile -t DEF_ROWS <<< "$DEF_OUT"
section_done

ELAPSED=$(( $(date +%s) - T_START ))
CMDLINE="make bench${QUICK:+ BENCH_QUICK=1}"
report() { # FORMAT
  local f=$1 h=""
  [ "$f" = md ] && h="### "
  echo "${h}husk bench: husk vs crun vs runc"
  echo
  echo "- command: \`$CMDLINE\` ($(date -u +%Y-%m-%d), ${ELAPSED} s)"
  echo "- machine: kernel $KERNEL, $CORES cores ($CPU), $MEM"
  echo "- cgroups: host $LAYOUT; benchmark run with $CG_LAYOUT"
  echo "- runtimes: $V_HUSK; $V_CRUN; $V_RUNC"
  echo "- container: busybox \`true\`, config from \`husk spec\`: namespaces $NAMESPACES; seccomp $SECCOMP"
  echo "- what each runtime did: $(for rt in "${RTS[@]}"; do printf '%s: cgroup %s, seccomp filter %s; ' "$rt" "${CGROUP_MADE[$rt]:-none}" "${SECCOMP_ON[$rt]:-?}"; done)"
  echo "- counts: $N runs per runtime (interleaved, rotating order), burst of $BURST x $BURST_REPS, scale levels $LEVELS ($SCALE_N cycles each; a quarter of that at 1000 and more), network $NET_N"
  local n; for n in "${NOTES[@]}"; do echo "- $n"; done
  echo
  echo "${h}Per container (median [p10-p90])"
  echo
  print_table "$f" "${ROWS[@]}"
  echo
  echo "floor (clone into the same namespaces + pivot_root + exec true): $(cell run floor) ms;" \
       "husk run = $(ratio "$HUSK_RUN" "$FLOOR_MED") x floor, husk create+start+delete = $(ratio "$HUSK_CYCLE" "$FLOOR_MED") x floor"
  echo
  echo "${h}Scale: median ms per container with N containers already created (waiting for start)"
  echo
  print_table "$f" "${SCALE_ROWS[@]}"
  echo
  echo "${h}One-shot jobs: husk job against bubblewrap and unshare(1)"
  echo
  print_table "$f" "${JOB_ROWS[@]}"
  echo
  echo "${h}Network set-up and teardown per container"
  echo
  print_table "$f" "${NET_ROWS[@]}"
  echo
  echo "${h}Defences: start-time cost (bench/defences.sh)"
  echo
  print_table "$f" "${DEF_ROWS[@]}"
  echo
  echo "${h}Targets"
  echo
  local t; for t in "${TARGETS[@]}"; do echo "- $t"; done
  [ "$FAILED" = 0 ] || { echo; echo "FAILED COMMANDS: $FAILED (see $LOG; failed runs are left out of the figures)"; }
}
report text
report md > "$MD"

# The chart.
awk -F, -v rts="${RTS[*]} floor" 'BEGIN { n = split(rts, R, " ") }
  NR > 1 { med[$1, $2] = $5; lo[$1, $2] = $6; hi[$1, $2] = $7 }
  END { split("run create start delete exec", T, " ")
        printf "test"; for (j = 1; j <= n; j++) printf " %s %s_lo %s_hi", R[j], R[j], R[j]; print ""
        for (i = 1; i <= 5; i++) { printf "%s", T[i]
          for (j = 1; j <= n; j++) { t = T[i]; r = R[j]
            if ((t, r) in med) printf " %.3f %.3f %.3f", med[t, r] / 1000, lo[t, r] / 1000, hi[t, r] / 1000
            else printf " - - -" }
          print "" } }' "$SUMMARY" > "$OUT/chart-bars.dat"
{
  printf 'existing'; for rt in "${RTS[@]}"; do printf ' %s_cycle %s_list' "$rt" "$rt"; done; echo
  for L in $LEVELS; do
    printf '%s' "$L"
    for rt in "${RTS[@]}"; do
      for t in scale-cycle scale-list; do
        m=$(val "$t@$L" "$rt" median); [ -n "$m" ] && printf ' %.3f' "$(awk -v u="$m" 'BEGIN { print u / 1000 }')" || printf ' -'
      done
    done
    echo
  done
} > "$OUT/chart-scale.dat"
NCOL=$(( ${#RTS[@]} + 1 ))
gnuplot <<EOF 2>>"$LOG" || echo "bench: gnuplot failed (see $LOG)" >&2
set terminal pngcairo size 1400,560 font "sans,10" noenhanced
set output "$OUT/bench.png"
set datafile missing "-"
set multiplot layout 1,2 title "husk vs crun vs runc: $KERNEL, $CORES cores, $CG_LAYOUT cgroup view"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set ylabel "ms per container (median, p10-p90)"
set key top left
set yrange [0:*]
set title "per-container operations"
plot for [j=1:$NCOL] "$OUT/chart-bars.dat" using (column(3*j-1)):(column(3*j)):(column(3*j+1)):xtic(1) title columnhead(3*j-1)
unset style
set style data linespoints
set logscale xy
set yrange [*:*]
set xlabel "containers already existing"
set ylabel "ms (median)"
set title "scale: create+start+delete (solid) and list (dashed)"
plot for [j=1:${#RTS[@]}] "$OUT/chart-scale.dat" using 1:(column(2*j)) title columnhead(2*j) lc j lw 2 pt 7, \
     for [j=1:${#RTS[@]}] "$OUT/chart-scale.dat" using 1:(column(2*j+1)) title columnhead(2*j+1) lc j dt 2 lw 1 pt 6
unset multiplot
EOF
echo >&2
echo "bench: $RAW, $SUMMARY, $OUT/bench.png, $MD" >&2
[ "$FAILED" = 0 ] || exit 1
