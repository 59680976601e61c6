#!/usr/bin/env bats
# husk's command line: flags as runc takes them, help texts, errors in the
# log format asked for, `husk spec` and `husk features`.

load helpers
bats_require_minimum_version 1.5.0

COMMANDS="create start run exec state kill delete list ps pause resume update events spec features checkpoint restore"

# Flags of runc 1.1 (and crun's --config) that each command must accept.
declare -A FLAGS=(
  [create]="--bundle --config --console-socket --pid-file --no-pivot --no-new-keyring --no-subreaper --preserve-fds"
  [run]="--bundle --config --console-socket --detach --keep --pid-file --no-subreaper --no-pivot --no-new-keyring --preserve-fds"
  [exec]="--console-socket --cwd --env --tty --user --additional-gids --process --detach --pid-file --process-label --apparmor --no-new-privs --cap --preserve-fds --cgroup --ignore-paused"
  [kill]="--all"
  [delete]="--force"
  [list]="--format --quiet"
  [ps]="--format"
  [update]="--resources --blkio-weight --cpu-period --cpu-quota --cpu-share --cpu-rt-period --cpu-rt-runtime --cpuset-cpus --cpuset-mems --memory --memory-reservation --memory-swap --kernel-memory --kernel-memory-tcp --pids-limit --l3-cache-schema --mem-bw-schema"
  [events]="--interval --stats"
  [spec]="--bundle --rootless"
)

# The last line of the JSON log $1, checked to be a runc-style error line.
last_json_error() {
  tail -n 1 "$1" | jq -e 'select(.level == "error" and (.msg | type == "string" and length > 0)
      and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$")))'
}

# The key paths of a JSON document, array indices included, one per line.
key_paths() {
  jq -r '[paths | map(tostring) | join(".")] | sort | .[]' "$1"
}

@test "cli: --help of every command exits 0 and lists its flags" {
  for c in $COMMANDS; do
    run -0 "$HUSK" "$c" --help
    [[ "${lines[0]}" == "Usage: husk $c"* ]] || { echo "$c: ${lines[0]}"; false; }
    for f in ${FLAGS[$c]:-}; do
      [[ "$output" == *"$f"* ]] || { echo "$c --help lacks $f"; false; }
    done
    run -0 "$HUSK" "$c" -h
    [[ "${lines[0]}" == "Usage: husk $c"* ]]
    run -0 "$HUSK" help "$c"
    [[ "${lines[0]}" == "Usage: husk $c"* ]]
  done
}

@test "cli: husk --help lists every command and global flag" {
  run -0 "$HUSK" --help
  for c in $COMMANDS; do
    [[ "$output" == *"  $c "* ]] || { echo "missing $c"; false; }
  done
  for f in --root --cgroup-manager --log --log-format --debug --systemd-cgroup --rootless --version; do
    [[ "$output" == *"$f"* ]] || { echo "missing $f"; false; }
  done
}

@test "cli: --version prints version, commit, spec version and features" {
  run -0 "$HUSK" --version
  [[ "${lines[0]}" =~ ^husk\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
  [[ "${lines[1]}" =~ ^commit:\ [^[:space:]]+$ ]]
  [ "${lines[2]}" = "spec: 1.3.0" ]
  [[ "$output" =~ libseccomp:\ [0-9]+\.[0-9]+\.[0-9]+ ]]
  [[ "$output" == *"+CAP"* && "$output" == *"+YAJL"* ]]
  run -0 "$HUSK" -v
  [[ "${lines[0]}" =~ ^husk\ version ]]
}

@test "cli: unknown command, unknown flag, missing value, wrong argument count exit 1" {
  run -1 "$HUSK" frobnicate
  [[ "$output" == *'unknown command "frobnicate"'* ]]
  run -1 "$HUSK" --frobnicate list
  [[ "$output" == *"unknown flag --frobnicate"* ]]
  run -1 husk list --frobnicate=1
  [[ "$output" == *"list: unknown flag --frobnicate"* ]]
  run -1 husk create --bogus id
  [[ "$output" == *"create: unknown flag --bogus"* ]]
  # runc's create has no --detach (run has).
  run -1 husk create --detach id
  [[ "$output" == *"unknown flag --detach"* ]]
  run -1 husk list --format
  [[ "$output" == *"--format needs a value"* ]]
  run -1 husk list --format yaml
  [[ "$output" == *'expected table or json, got "yaml"'* ]]
  run -1 husk state
  [[ "$output" == *"state: expected ID, got 0 arguments"* ]]
  run -1 husk state a b
  [[ "$output" == *"got 2 arguments"* ]]
  run -1 husk list extra
  [[ "$output" == *'list: takes no arguments, got "extra"'* ]]
  run -1 husk delete --force=maybe id
  [[ "$output" == *'expected true or false, got "maybe"'* ]]
}

@test "cli: bad global flag values are refused" {
  run -1 "$HUSK" --log-format yaml list
  [[ "$output" == *'--log-format: expected text or json, got "yaml"'* ]]
  run -1 "$HUSK" --cgroup-manager=cgroupv3 list
  [[ "$output" == *"--cgroup-manager: expected cgroupfs, systemd or disabled"* ]]
  run -1 "$HUSK" --rootless maybe list
  [[ "$output" == *"--rootless: expected true, false or auto"* ]]
  run -1 "$HUSK" --root= list
  [[ "$output" == *"--root"* ]]
  run -1 "$HUSK" --log "$BATS_TEST_TMPDIR/no/such/dir/log" list
  [[ "$output" == *"--log $BATS_TEST_TMPDIR/no/such/dir/log: No such file or directory"* ]]
}

@test "cli: the systemd cgroup driver is refused with a clear message" {
  run -1 "$HUSK" --systemd-cgroup list
  [ "$output" = "husk: --systemd-cgroup: the systemd cgroup driver is not supported yet; use --cgroup-manager=cgroupfs" ]
  run -1 "$HUSK" --cgroup-manager systemd list
  [[ "$output" == *"the systemd cgroup driver is not supported yet"* ]]
  run -0 "$HUSK" --root "$(husk_root)" --cgroup-manager=cgroupfs --rootless=false list -q
  run -0 "$HUSK" --root "$(husk_root)" --cgroup-manager disabled --rootless auto list -q
}

@test "cli: --opt value, --opt=value, -opt and short forms are the same flag" {
  local d=$BATS_TEST_TMPDIR
  mkdir "$d/a" "$d/b" "$d/c" "$d/e"
  "$HUSK" spec --bundle "$d/a"
  "$HUSK" spec --bundle="$d/b"
  "$HUSK" spec -b "$d/c"
  "$HUSK" spec -bundle "$d/e"
  for x in b c e; do cmp "$d/a/config.json" "$d/$x/config.json"; done

  run -0 "$HUSK" --root "$(husk_root)" list --format json
  local ref=$output
  for form in "--format=json" "-f json" "-f=json" "-format json"; do
    # shellcheck disable=SC2086
    run -0 "$HUSK" --root="$(husk_root)" list $form
    [ "$output" = "$ref" ]
  done
  # Flags after arguments, and "--" ending them, as runc's reordering does.
  run -1 husk kill missing-ctr KILL --all=nope
  [[ "$output" == *'--all: expected true or false, got "nope"'* ]]
  run -1 husk delete -- --force
  [[ "$output" != *"unknown flag"* ]]
}

@test "cli: flags containerd's shim and conmon pass all parse" {
  local d=$BATS_TEST_TMPDIR log=$BATS_TEST_TMPDIR/log.json
  local parse_error='unknown flag|needs a value|got [0-9]+ arguments|expected true or false'
  : > "$log"
  # Each fails in the runtime (no such bundle or container), never in the parser.
  local -a calls=(
    "create --bundle $d/nobundle --pid-file $d/init.pid --console-socket $d/sock --no-pivot ctr1"
    "create --bundle=$d/nobundle --pid-file=$d/init.pid --preserve-fds=2 --no-new-keyring ctr1"
    "start ctr1"
    "exec --process $d/process.json --console-socket $d/sock --detach --pid-file $d/exec.pid ctr1"
    "exec --pid-file $d/exec.pid --process $d/process.json --detach --tty --console-socket $d/sock ctr1"
    "ps --format json ctr1"
    "pause ctr1"
    "resume ctr1"
    "kill ctr1 9"
    "kill --all ctr1 15"
    "kill ctr1 SIGKILL"
    "delete ctr1"
    "delete --force ctr1"
    "update --resources=$d/resources.json ctr1"
    "run -d --keep --bundle $d/nobundle ctr1"
  )
  for c in "${calls[@]}"; do
    # shellcheck disable=SC2086
    run "$HUSK" --root "$(husk_root)" --log "$log" --log-format json $c
    # delete --force of a missing container may succeed, as with runc.
    [ "$status" -eq 0 ] && [[ "$c" == "delete --force"* ]] && continue
    [ "$status" -eq 1 ] || { echo "$c: exit $status"; false; }
    last_json_error "$log" > "$BATS_TEST_TMPDIR/line" || { echo "$c: no JSON error line"; cat "$log"; false; }
    if jq -r .msg "$BATS_TEST_TMPDIR/line" | grep -Eq "$parse_error"; then
      echo "$c: parse error: $(jq -r .msg "$BATS_TEST_TMPDIR/line")"
      false
    fi
  done
  # conmon's spelling of the global flags.
  run -1 "$HUSK" --root "$(husk_root)" --log-format=json --log="$log" state ctr1
  last_json_error "$log"
}

@test "cli: --log-format json writes runc's error line to --log and the message to stderr" {
  local log=$BATS_TEST_TMPDIR/log.json
  run -1 --separate-stderr "$HUSK" --root "$(husk_root)" --log "$log" --log-format json state no-such-ctr
  [ "$(wc -l < "$log")" -eq 1 ]
  last_json_error "$log"
  local msg
  msg=$(jq -r .msg "$log")
  [ "$stderr" = "husk: $msg" ]
  [ -z "$output" ]
  # Appended, never truncated: containerd reads the last error.
  run -1 "$HUSK" --root "$(husk_root)" --log "$log" --log-format json --bogus-flag state x
  [ "$(wc -l < "$log")" -eq 2 ]
  last_json_error "$log" | jq -e '.msg | contains("--bogus-flag")'
}

@test "cli: --log-format json without --log writes the JSON line on stderr" {
  run -1 --separate-stderr "$HUSK" --root "$(husk_root)" --log-format=json state no-such-ctr
  [ "${#stderr_lines[@]}" -eq 1 ]
  echo "$stderr" | jq -e '.level == "error" and (.msg | length > 0) and (.time | type == "string")'
}

@test "cli: text errors say husk: on stderr; with --log, the file has a logrus-style line too" {
  run -1 --separate-stderr "$HUSK" --root "$(husk_root)" state no-such-ctr
  [[ "$stderr" == "husk: "* ]]
  [ "${#stderr_lines[@]}" -eq 1 ]
  local log=$BATS_TEST_TMPDIR/log.txt
  run -1 --separate-stderr "$HUSK" --root "$(husk_root)" --log "$log" state no-such-ctr
  [[ "$stderr" == "husk: "* ]]
  grep -Eq '^time="[0-9T:.-]+Z" level=error msg=".+"$' "$log"
}

@test "cli: JSON log lines escape quotes, backslashes, control characters and bad UTF-8" {
  local log=$BATS_TEST_TMPDIR/log.json
  local sig=$'a"b\\c\x01d\te\nf\xffg\xc3\xa9'
  run -1 "$HUSK" --log "$log" --log-format json kill some-ctr "$sig"
  [ "$(wc -l < "$log")" -eq 1 ]
  last_json_error "$log"
  local msg
  msg=$(jq -r .msg "$log")
  # Everything but the invalid byte comes back as it was; that one is U+FFFD.
  [ "$msg" = "kill: unknown signal \"${sig/$'\xff'/$'\xef\xbf\xbd'}\"" ]
}

@test "cli: --debug adds debug lines, which are absent without it" {
  local log=$BATS_TEST_TMPDIR/log.json
  run -0 "$HUSK" --root "$(husk_root)" --log "$log" --log-format json list -q
  ! grep -q '"level":"debug"' "$log"
  run -0 "$HUSK" --root "$(husk_root)" --debug --log "$log" --log-format json list -q
  grep '"level":"debug"' "$log" | jq -e . > /dev/null
}

@test "cli: kill takes signal names with or without SIG, in any case, and numbers" {
  for s in BOGUS SIGBOGUS 0 65 +1 9x "" SIG RTMIN+99 RTMAX+1; do
    run -1 husk kill some-ctr "$s"
    [[ "$output" == *"unknown signal"* || "$output" == *"invalid signal"* ]] || { echo "$s: $output"; false; }
  done
  # Valid ones get past the parser: the failure is about the container.
  for s in KILL SIGKILL sigkill Kill 9 TERM sigterm 15 HUP SIGUSR1 usr2 RTMIN RTMIN+3 SIGRTMAX-1 64 IOT; do
    run -1 husk kill some-ctr "$s"
    [[ "$output" != *"unknown signal"* && "$output" != *"invalid signal"* ]] || { echo "$s: $output"; false; }
  done
  # A dash makes it a flag, as with runc.
  run -1 husk kill some-ctr -9
  [[ "$output" == *"unknown flag -9"* ]]
}

@test "cli: update, events parse their flags and values before the runtime" {
  run -1 husk update --memory 64m --memory-swap -1 --cpu-quota=5000 --cpuset-cpus 0 ctr
  [ "$output" = 'husk: container "ctr" does not exist' ]
  run -1 husk update --resources - ctr <<< '{"pids": {"limit": 5}}'
  [ "$output" = 'husk: container "ctr" does not exist' ]
  run -1 husk update --resources - ctr <<< '{"pids": {"limit": "5"}}'
  [[ "$output" == *"pids.limit"* ]]
  run -1 husk update --memory 1x ctr
  [[ "$output" == *'--memory: expected a size in bytes'*'"1x"'* ]]
  run -1 husk update --memory-typo 1 ctr
  [[ "$output" == *"unknown flag --memory-typo"* ]]
  run -1 husk events --stats --interval 1s ctr
  [ "$output" = 'husk: container "ctr" does not exist' ]
  run -1 husk events --interval 5 ctr
  [[ "$output" == *'--interval: expected a duration'* ]]
  run -1 husk checkpoint ctr
  [[ "$output" == *"checkpoint: not supported"* ]]
  run -1 husk restore --image-path x ctr
  [[ "$output" == *"restore: not supported"* ]]
}

@test "cli: exec needs a command or --process, not both; unsupported flags are refused" {
  run -1 husk exec ctr
  [[ "$output" == *"exec: no command"* ]]
  run -1 husk exec --process "$BATS_TEST_TMPDIR/p.json" ctr true
  [[ "$output" == *"either --process FILE or a command"* ]]
  run -1 husk exec --env NOEQUALS ctr true
  [[ "$output" == *'--env: expected KEY=VALUE, got "NOEQUALS"'* ]]
  for f in "--cgroup x" "--ignore-paused"; do
    # shellcheck disable=SC2086
    run -1 husk exec $f ctr true
    [[ "$output" == *"is not supported yet"* ]] || { echo "$f: $output"; false; }
  done
  # these reach the runtime, which finds no container "ctr"
  for f in "--apparmor p" "--process-label l" "-g 10"; do
    # shellcheck disable=SC2086
    run -1 husk exec $f ctr true
    [[ "$output" != *"not supported"* && "$output" == *ctr* ]] || { echo "$f: $output"; false; }
  done
  # What follows the id is the command's, flags included.
  run -1 husk exec -t -e A=1 -u 0:0 --cwd / --cap CAP_KILL ctr -- sh -c 'exit 3' --bogus
  [[ "$output" != *"unknown flag"* && "$output" != *"exec: no command"* ]]
}

@test "cli: spec writes runc's default config with husk's spec version and a seccomp profile" {
  command -v runc > /dev/null || skip_because "runc is not installed: cannot compare with runc spec"
  local d=$BATS_TEST_TMPDIR
  mkdir "$d/husk" "$d/runc"
  run -0 "$HUSK" spec --bundle "$d/husk"
  (cd "$d/runc" && runc spec)
  jq -e '.ociVersion == "1.3.0" and .process.terminal == true and .process.args == ["sh"]
         and .root.path == "rootfs" and (.linux.namespaces | map(.type) | index("network") != null)' \
    "$d/husk/config.json"
  # husk adds Docker's default seccomp profile (runc spec writes none; the
  # profile itself is checked in seccomp.bats); all else is runc's.
  jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$d/husk/config.json"
  jq -e '.linux.seccomp == null' "$d/runc/config.json"
  diff <(key_paths "$d/runc/config.json") <(jq 'del(.linux.seccomp)' "$d/husk/config.json" | key_paths /dev/stdin)
  # Same values too, but for the version and the hostname.
  diff <(jq -S 'del(.ociVersion, .hostname)' "$d/runc/config.json") \
       <(jq -S 'del(.ociVersion, .hostname, .linux.seccomp)' "$d/husk/config.json")
}

@test "cli: spec --rootless matches runc spec --rootless and maps the caller's ids" {
  command -v runc > /dev/null || skip_because "runc is not installed: cannot compare with runc spec"
  local d=$BATS_TEST_TMPDIR
  mkdir "$d/husk" "$d/runc"
  (cd "$d/husk" && "$HUSK" spec --rootless)
  (cd "$d/runc" && runc spec --rootless)
  jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$d/husk/config.json"
  jq -e '.linux.seccomp == null' "$d/runc/config.json"
  diff <(key_paths "$d/runc/config.json") <(jq 'del(.linux.seccomp)' "$d/husk/config.json" | key_paths /dev/stdin)
  diff <(jq -S 'del(.ociVersion, .hostname)' "$d/runc/config.json") \
       <(jq -S 'del(.ociVersion, .hostname, .linux.seccomp)' "$d/husk/config.json")
  jq -e --argjson u "$(id -u)" --argjson g "$(id -g)" '
      .linux.uidMappings == [{"containerID": 0, "hostID": $u, "size": 1}]
      and .linux.gidMappings == [{"containerID": 0, "hostID": $g, "size": 1}]
      and (.linux.namespaces | map(.type) | index("user") != null and index("network") == null)
      and .linux.resources == null' "$d/husk/config.json"
}

@test "cli: spec never replaces an existing config.json and leaves nothing on failure" {
  local d=$BATS_TEST_TMPDIR/b
  mkdir "$d"
  echo '{"mine": true}' > "$d/config.json"
  run -1 "$HUSK" spec -b "$d"
  [[ "$output" == *"config.json exists. Remove it first"* ]]
  [ "$(cat "$d/config.json")" = '{"mine": true}' ]
  # A symlink named config.json is not followed either.
  rm "$d/config.json"
  ln -s "$BATS_TEST_TMPDIR/elsewhere" "$d/config.json"
  run -1 "$HUSK" spec -b "$d"
  [ ! -e "$BATS_TEST_TMPDIR/elsewhere" ]
  run -1 "$HUSK" spec -b "$BATS_TEST_TMPDIR/missing"
  [ ! -e "$BATS_TEST_TMPDIR/missing" ]
  run -1 "$HUSK" spec extra-arg
}

@test "cli: features is the runtime-spec features document, truthful about this build" {
  run -0 "$HUSK" features
  echo "$output" | jq -e '
      .ociVersionMin == "1.0.0" and .ociVersionMax == "1.3.0"
      and (.hooks | sort) == (["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] | sort)
      and (.mountOptions | index("rbind") != null and index("ro") != null)
      and (.linux.namespaces | sort) == ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]
      and (.linux.capabilities | index("CAP_SYS_ADMIN") != null and index("CAP_CHOWN") != null)
      and (.linux.capabilities | all(startswith("CAP_")))
      and .linux.cgroup == {"v1": false, "v2": true, "systemd": false, "systemdUser": false, "rdma": false}
      and (.linux.seccomp.enabled | type == "boolean")
      and (.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null)
      and (.linux.seccomp.operators | length == 7)
      and .linux.apparmor.enabled == false and .linux.selinux.enabled == false
      and (.annotations["io.github.seccomp.libseccomp.version"] | test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))
      and (.annotations["husk.version"] | type == "string")'
  # --version and features agree on seccomp.
  local enabled
  enabled=$(echo "$output" | jq -r .linux.seccomp.enabled)
  run -0 "$HUSK" --version
  if [ "$enabled" = true ]; then
    [[ "$output" == *"+SECCOMP"* ]]
  else
    [[ "$output" == *"-SECCOMP"* ]]
  fi
  run -1 "$HUSK" features extra
}

@test "cli: list and ps reject a bad --format before doing anything" {
  run -1 husk ps --format xml ctr
  [[ "$output" == *'ps: --format: expected table or json, got "xml"'* ]]
  run -1 husk ps --format json ctr -ef
  [[ "$output" == *"ps arguments cannot be used with --format json"* ]]
  run -0 husk list -q
  [ -z "$output" ]
  run -0 husk list
  [[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
}

@test "cli: the --log file does not leak into the container" {
  [ -e "$HUSK_BUNDLE_SRC/config.json" ] || skip_because "no bundle at $HUSK_BUNDLE_SRC (make bundle)"
  make_bundle '.process.terminal = false | .process.args = ["sh", "-c", "ls /proc/1/fd; true"]'
  local log=$BATS_TEST_TMPDIR/log.json
  run -0 husk --log "$log" --log-format json --debug run --bundle "$BUNDLE" cli-fds < /dev/null
  # The init (sh, pid 1) holds its stdio and nothing else.
  [ "$(echo $output)" = "0 1 2" ]
  jq -e . "$log" > /dev/null
}
