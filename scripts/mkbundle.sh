#!/bin/sh
# Builds the default bundle: a rootfs of Debian's busybox-static and a
# config.json from `husk spec`, made non-interactive (terminal false) so that
# it runs under make, CI and tests alike.
#   scripts/mkbundle.sh HUSK OUTDIR
set -eu
husk=$1
out=$2
busybox=/bin/busybox

[ -x "$busybox" ] || { echo "mkbundle: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
"$busybox" --list >/dev/null 2>&1 || { echo "mkbundle: $busybox is not a static busybox" >&2; exit 1; }

tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp/rootfs"
cd "$tmp/rootfs"
mkdir -p bin dev etc proc sys tmp root run var/tmp home
chmod 1777 tmp var/tmp
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "bin/$applet"
done
cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
GROUP
echo husk > etc/hostname
cd - >/dev/null

"$husk" spec --bundle "$tmp"
jq '.process.terminal = false' "$tmp/config.json" > "$tmp/config.json.new"
mv "$tmp/config.json.new" "$tmp/config.json"

rm -rf "$out"
mv "$tmp" "$out"
echo "mkbundle: bundle ready in $out"
