#!/bin/bash
# The start-time cost of husk's defences against container escapes (issue 5):
# bench.sh's "Defences" table.  Alone:
#
#   bench/defences.sh HUSK BUNDLE DRIVE [N]
#
# HUSK: the husk binary; BUNDLE: the busybox bundle (`make bundle`); DRIVE:
# bench/drive built (`make bench` builds it); N: runs of each (default 100,
# 20 with BENCH_QUICK=1).  Prints rows "a|b|..." (the first the header) for
# bench.sh's print_table; exits 1 when a measured command failed.
#
# CVE-2019-5736: create, run and exec re-exec husk from a read-only overlayfs
# of its binary (the default) or a sealed memfd copy (HUSK_EXE_COPY=memfd).
# Without: the same binary reached through a read-only lower-only overlayfs
# mount made here, which husk recognises as already protected and does not
# re-exec from: the same code, less the re-exec (no build or switch turns
# the defence off).  Timed: `run` of true and `exec` of true, interleaved.
# The other defences are a few syscalls each on paths that exist anyway (the
# cwd check, the procfs handle checks, the /dev/null check of masked paths,
# close_range): far below the noise of a container start, so not timed.
set -euo pipefail

die() { echo "defences: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: bench/defences.sh HUSK BUNDLE DRIVE [N]"
HUSK=$(realpath "$1")
BUNDLE=$(realpath "$2")
DRIVE=$(realpath "$3")
N=${4:-$([ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK:-}" != 0 ] && echo 20 || echo 100)}

# A private mount namespace: the overlayfs and the state are gone with it.
if [ -z "${DEFENCES_INNER:-}" ]; then
  export DEFENCES_INNER=1
  exec unshare -m --propagation private "$0" "$HUSK" "$BUNDLE" "$DRIVE" "$N"
fi
W=/run/husk-defences
mkdir -p "$W"
mount -t tmpfs defences "$W"
mkdir "$W/state" "$W/empty" "$W/ro" "$W/true" "$W/sleep"
mount -t overlay -o ro,lowerdir="$(dirname "$HUSK")":"$W/empty" defences-ro "$W/ro"
PROTECTED=$W/ro/$(basename "$HUSK")
for p in true sleep; do
  jq --arg r "$BUNDLE/rootfs" --arg p "$p" \
    '.root.path = $r | .process.terminal = false
     | .process.args = (if $p == "sleep" then ["sleep", "1000000"] else ["true"] end)' \
    "$BUNDLE/config.json" > "$W/$p/config.json"
done

VARIANTS=(overlayfs memfd none)
step() { # LABEL VARIANT HUSK-ARG...: one line of drive's plan
  local label=$1 v=$2 husk=("$HUSK")
  shift 2
  case $v in
    memfd) husk=(@HUSK_EXE_COPY=memfd "$HUSK") ;;
    none) husk=("$PROTECTED") ;;
  esac
  local IFS=$'\t'
  echo "run${IFS}$label,$v${IFS}${husk[*]}${IFS}--root${IFS}$W/state${IFS}$*"
}
"$HUSK" --root "$W/state" run -d --bundle "$W/sleep" def-exec </dev/null >/dev/null
trap '"$HUSK" --root "$W/state" delete -f def-exec >/dev/null 2>&1 || true' EXIT

# The plan: for each i, each variant in a rotating order, run then exec.
plan() {
  local i k v
  for ((i = 0; i < N; i++)); do
    for k in 0 1 2; do
      v=${VARIANTS[(i + k) % 3]}
      step run "$v" run --bundle "$W/true" "def-$v-$i"
      step exec "$v" exec def-exec true
    done
  done
}
RESULTS=$(plan | "$DRIVE" -e "$W/errors.log")

# Medians in us per test and variant; rows in ms.
MED=$(printf '%s\n' "$RESULTS" | awk -F'\t' '$4 != 0 { bad++ } $4 == 0 { print $1 "\t" $2 }' |
  sort -t$'\t' -k1,1 -k2,2n | awk -F'\t' '
    function flush() { if (k != "") print k "\t" ((n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) }
    $1 != k { flush(); k = $1; n = 0 } { v[++n] = $2 } END { flush() }')
med() { printf '%s\n' "$MED" | awk -F'\t' -v k="$1" '$1 == k { printf "%.2f", $2 / 1000 }'; }
cost() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%+.2f", a - b }'; }

echo "defence|timed ($N each, median ms)|with|without|cost"
for t in run exec; do
  echo "CVE-2019-5736, overlayfs (default)|husk $t|$(med "$t,overlayfs")|$(med "$t,none")|$(cost "$t,overlayfs" "$t,none")"
  echo "CVE-2019-5736, sealed memfd|husk $t|$(med "$t,memfd")|$(med "$t,none")|$(cost "$t,memfd" "$t,none")"
done
if printf '%s\n' "$RESULTS" | awk -F'\t' '$4 != 0 { exit 1 }'; then exit 0; fi
echo "defences: some commands failed:" >&2
cat "$W/errors.log" >&2
exit 1
