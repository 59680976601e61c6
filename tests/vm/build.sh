#!/bin/sh
# Prepares what the VM lane boots, in a cache under build/vm/<kernel version>/,
# and prints that directory.  Nothing is installed on the host:
#   linux-image-<ver>_*.deb   as `apt-get download` fetched it
#   root/          Debian's stock kernel package, unpacked with dpkg -x
#                  (root/lib/modules/<ver> gets busybox depmod's index)
#   vmlinux        the uncompressed kernel, booted through its PVH entry so that
#                  the (slow, emulated) decompression is skipped
#   initramfs.cpio busybox + the modules needed to mount the 9p root, and
#                  tests/vm/initramfs-init as /init
# The kernel is the one Debian's linux-image-amd64 depends on, fetched with
# `apt-get download`.  The initramfs is rebuilt when this script, its init or
# busybox change; the unpacked kernel when KERNEL_LAYOUT changes.  Concurrent callers
# serialise on a lock.
set -eu

TREE=$(cd "$(dirname "$0")/../.." && pwd -P)
VMDIR=$TREE/tests/vm
CACHE=${HUSK_VM_CACHE:-$TREE/build/vm}
BUSYBOX=/bin/busybox
# Bump when build_kernel unpacks differently: running guests read the unpacked
# modules through 9p, so they are not redone on every edit of this script.
KERNEL_LAYOUT=1
# What /init loads (with their dependencies) before it can mount the root.
INITRAMFS_MODULES="virtio_pci virtio_console 9pnet_virtio 9p overlay"

say() { echo "vm-build: $*" >&2; }
die() { say "$*"; exit 1; }

kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# The newest kernel already in the cache, for machines whose apt lists are
# gone (apt-cache then knows no linux-image-amd64).
cached_version() {
  for d in "$CACHE"/[0-9]*-amd64; do
    [ -d "$d" ] && echo "${d##*/}"
  done | sort -V | tail -n 1
}

# apt-cache takes most of a second: its answer is kept until apt's lists or
# package cache change.
resolve_version() {
  memo=$CACHE/kernel-version
  if [ -s "$memo" ] && [ -e "$CACHE/$(cat "$memo")/.kernel-ok" ] &&
    [ -z "$(find /var/lib/apt/lists /var/cache/apt/pkgcache.bin -maxdepth 0 -newer "$memo" 2>/dev/null)" ]; then
    cat "$memo"
    return
  fi
  pkg=$(kernel_package)
  if [ -z "$pkg" ]; then
    ver=$(cached_version)
    if [ -n "$ver" ] && [ -e "$CACHE/$ver/.kernel-ok" ]; then
      echo "$ver"
      return
    fi
    say "apt knows no linux-image-amd64; running apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    pkg=$(kernel_package)
    [ -n "$pkg" ] || die "cannot resolve the kernel package linux-image-amd64 depends on"
  fi
  echo "${pkg#linux-image-}"
}

# Finds the first compressed stream the bzImage carries and unpacks it, as the
# kernel's scripts/extract-vmlinux does.  The decompressors complain about the
# trailing data after the stream; the ELF check is what counts.
extract_vmlinux() {
  img=$1 out=$2
  for fmt in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
    tool=${fmt%%:*} magic=${fmt#*:}
    command -v "$tool" >/dev/null 2>&1 || continue
    for off in $(LC_ALL=C grep -aboP "$magic" "$img" | cut -d: -f1); do
      tail -c +"$((off + 1))" "$img" | "$tool" -dcq 2>/dev/null > "$out.tmp" || true
      if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        mv "$out.tmp" "$out"
        return 0
      fi
    done
  done
  rm -f "$out.tmp"
  return 1
}

build_kernel() {
  dir=$1 ver=$2
  [ "$(cat "$dir/.kernel-ok" 2>/dev/null)" = "$KERNEL_LAYOUT" ] && return 0
  rm -f "$dir/.kernel-ok"
  mkdir -p "$dir"
  deb=$(ls "$dir"/linux-image-"$ver"_*.deb 2>/dev/null | head -n 1)
  if [ -z "$deb" ]; then
    say "fetching linux-image-$ver (once; cached in $dir)"
    rm -rf "$dir/dl"
    mkdir "$dir/dl"
    # apt-get download writes into the current directory.
    (cd "$dir/dl" && apt-get download "linux-image-$ver" > "$dir/dl/log" 2>&1) ||
      { cat "$dir/dl/log" >&2; die "apt-get download linux-image-$ver failed"; }
    mv "$dir"/dl/linux-image-*.deb "$dir/"
    rm -rf "$dir/dl"
    deb=$(ls "$dir"/linux-image-"$ver"_*.deb | head -n 1)
  fi
  say "unpacking $(basename "$deb")"
  rm -rf "$dir/root" "$dir/vmlinux"
  dpkg -x "$deb" "$dir/root"
  rm -rf "$dir/root/usr/share/doc"
  [ -d "$dir/root/lib/modules/$ver" ] || die "$deb has no lib/modules/$ver"
  say "indexing modules with busybox depmod"
  "$BUSYBOX" depmod -b "$dir/root" "$ver"
  say "extracting vmlinux"
  extract_vmlinux "$dir/root/boot/vmlinuz-$ver" "$dir/vmlinux" ||
    die "found no compressed kernel in $dir/root/boot/vmlinuz-$ver"
  echo "$KERNEL_LAYOUT" > "$dir/.kernel-ok"
}

# Prints the modules $@ need, dependencies first, as paths relative to the
# modules dir, from modules.dep ("mod.ko: dep.ko dep.ko").  Built-in ones
# (absent from modules.dep) print nothing.
module_closure() {
  moddir=$1; shift
  awk -v want="$*" '
    function base(p) { sub(/.*\//, "", p); sub(/\.ko$/, "", p); gsub(/-/, "_", p); return p }
    function visit(p,   i, n, d) {
      if (p in seen) return
      seen[p] = 1
      n = split(deps[p], d, " ")
      for (i = 1; i <= n; i++) visit(d[i])
      print p
    }
    { p = $1; sub(/:$/, "", p); $1 = ""; deps[p] = $0; path[base(p)] = p }
    END {
      n = split(want, w, " ")
      for (i = 1; i <= n; i++) {
        m = w[i]; gsub(/-/, "_", m)
        if (m in path) visit(path[m])
      }
    }' "$moddir/modules.dep"
}

initramfs_key() {
  cat "$0" "$VMDIR/initramfs-init" | cksum
  cksum < "$BUSYBOX"
}

build_initramfs() {
  dir=$1 ver=$2
  key=$(initramfs_key)
  [ -e "$dir/initramfs.cpio" ] && [ "$(cat "$dir/initramfs.key" 2>/dev/null)" = "$key" ] && return 0
  say "building the initramfs"
  stage=$dir/initramfs.d
  rm -rf "$stage"
  mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/lower" \
    "$stage/upper" "$stage/newroot" "$stage/modules"
  cp "$BUSYBOX" "$stage/bin/busybox"
  cp "$VMDIR/initramfs-init" "$stage/init"
  chmod 755 "$stage/init"
  moddir=$dir/root/lib/modules/$ver
  module_closure "$moddir" $INITRAMFS_MODULES > "$stage/modules/order"
  [ -s "$stage/modules/order" ] || die "none of $INITRAMFS_MODULES found in $moddir/modules.dep"
  while read -r m; do
    cp "$moddir/$m" "$stage/modules/"
  done < "$stage/modules/order"
  sed -i 's|.*/||' "$stage/modules/order"
  (cd "$stage" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) > "$dir/initramfs.cpio.tmp"
  mv "$dir/initramfs.cpio.tmp" "$dir/initramfs.cpio"
  rm -rf "$stage"
  echo "$key" > "$dir/initramfs.key"
}

mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9
ver=$(resolve_version)
dir=$CACHE/$ver
build_kernel "$dir" "$ver"
echo "$ver" > "$CACHE/kernel-version"
build_initramfs "$dir" "$ver"
echo "$dir"
