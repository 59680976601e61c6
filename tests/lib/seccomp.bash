# Helpers of tests/seccomp.bats.

# The notify listener (tests/tools/seccomp_listener.c), built once per run.
sc_listener_bin() {
  local bin=$BATS_RUN_TMPDIR/seccomp_listener
  if [ ! -x "$bin" ]; then
    cc -O2 -Wall -Wextra -Werror -o "$bin.tmp.$$" "$HUSK_SRC/tests/tools/seccomp_listener.c" \
      && mv "$bin.tmp.$$" "$bin"
  fi
  echo "$bin"
}

# A jq filter setting linux.seccomp to the JSON $1.
sc_set() {
  echo ".linux.seccomp = $1"
}

# A profile that allows everything but runs the syscalls $1 (a JSON array of
# names) with action $2 (and the extra JSON members $3 on that rule).
sc_profile() {
  echo "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": $1, \"action\": \"$2\"${3:+, $3}}]}"
}

# The files of the filter cache under the test's --root.
sc_cache_files() {
  ls "$(husk_root)/.cache/seccomp/" 2>/dev/null | grep '\.bpf$' || true
}
