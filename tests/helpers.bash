# Shared setup for every bats file: `load helpers` at the top of a .bats file.
# Module-specific helpers live in tests/lib/*.bash (one file per owner) and are
# sourced here.

bats_require_minimum_version 1.5.0  # run -N / run !

HUSK_SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
HUSK=${HUSK:-$HUSK_SRC/build/husk}
HUSK_BUNDLE_SRC=${HUSK_BUNDLE_SRC:-$HUSK_SRC/build/bundle}
# "host" or "vm": the VM lane's guest init exports HUSK_LANE=vm.
HUSK_LANE=${HUSK_LANE:-host}

for _f in "$BATS_TEST_DIRNAME"/lib/*.bash; do
  [ -e "$_f" ] && . "$_f"
done
unset _f

# A skip that always says why, prefixed with the lane so that the summary
# shows which lane lacked what.
skip_because() {
  skip "[$HUSK_LANE] $*"
}

# Makes $BATS_TEST_TMPDIR/bundle: a config.json copied from the built bundle,
# its root.path pointing at the built (shared, read-only) rootfs, with the
# jq filter $1 (optional) applied to it.  Sets BUNDLE.
make_bundle() {
  BUNDLE=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$BUNDLE"
  jq --arg root "$HUSK_BUNDLE_SRC/rootfs" ".root.path = \$root | .root.readonly = true | ${1:-.}" \
    "$HUSK_BUNDLE_SRC/config.json" > "$BUNDLE/config.json"
}

# wait_until SECONDS CONDITION: retries CONDITION every 0.1 s, SECONDS * 10
# times at most, and fails if it never held.  CONDITION is a command and its
# arguments, or one string of shell code (evaluated in the caller's scope,
# for conditions with pipes or $(...); it sees the caller's variables, but
# not the caller's $1, $2...).  Its output is dropped.  The budget is counted
# in tries, not wall time: in the slow VM guest a try takes longer and the
# budget stretches with it.
wait_until() {
  local _wait_tries=$(($1 * 10))
  shift
  until if [ $# -eq 1 ]; then eval "$1"; else "$@"; fi > /dev/null 2>&1; do
    _wait_tries=$((_wait_tries - 1))
    [ "$_wait_tries" -gt 0 ] || return 1
    sleep 0.1
  done
}

# pid_dead PID: no process PID is left, or only its zombie.  One read of
# /proc/PID/stat: a zombie may be reaped between two looks.
pid_dead() {
  local stat
  read -r stat < "/proc/$1/stat" 2> /dev/null || return 0
  [[ ${stat##*) } == Z* ]]
}

# Per-test state dir (--root), on the lane's own tmpfs.
husk_root() {
  echo "$BATS_TEST_TMPDIR/state"
}

# Runs husk with the per-test state dir.
husk() {
  "$HUSK" --root "$(husk_root)" "$@"
}

# The container directories left in the state root: every entry but husk's
# own dot entries (.cache for seccomp filters, .ipam for address pools).
husk_state_ids() {
  ls "$(husk_root)" 2>/dev/null || true
}
