#!/bin/sh
# Installs what husk needs to build, demo and test, from Debian's packages,
# when missing.  Idempotent and quiet when everything is there.
#   scripts/deps.sh          build, demo and test dependencies (make check)
#   scripts/deps.sh bench    those plus what `make bench` alone needs
set -eu

PKGS="gcc make pkg-config libc6-dev clang libclang-rt-14-dev
libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libyajl-dev
busybox-static bats jq iproute2 procps util-linux tcpdump nftables uidmap slirp4netns
strace
qemu-system-x86 xz-utils linux-image-amd64 runc crun
containerd podman conmon umoci"

# containerd (with its runc shim and ctr), podman and conmon drive husk in
# tests/containerd.bats and tests/podman.bats, on an image umoci builds.

# gnuplot draws the chart; the CNI bridge plugin is the network baseline;
# bubblewrap is the one-shot job baseline.
BENCH_PKGS="gnuplot-nox containernetworking-plugins bubblewrap"

case ${1:-} in
  "") ;;
  bench) PKGS="$PKGS $BENCH_PKGS" ;;
  *) echo "usage: scripts/deps.sh [bench]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
  # linux-image-amd64 is fetched with apt-get download by the VM lane
  # (tests/vm/build.sh, which unpacks it with xz-utils and busybox), not installed.
  [ "$p" = linux-image-amd64 ] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing (run as root to install them)" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
