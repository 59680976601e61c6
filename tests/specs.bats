#!/usr/bin/env bats
# specs/: config.json parsing.  The unit program (tests/unit/specs_test.c,
# built with ASan/UBSan and LeakSanitizer) checks the good corpus and prints
# the error of each bad config; then the real binary must refuse the same
# configs with the same messages, exit 1 and leave nothing behind.

load helpers
bats_require_minimum_version 1.5.0

CORPUS=$HUSK_SRC/tests/corpus
SPECS_TEST=${SPECS_TEST:-$HUSK_SRC/build/unit/specs_test}
HUSK_CONFIG_MAX=$((16 * 1024 * 1024)) # specs/specs.h

setup() {
  [ -x "$SPECS_TEST" ] || {
    echo "$SPECS_TEST is not built (make unit)" >&2
    return 1
  }
}

# Each "NAME.json<TAB>fragment" line of the bad corpus' expected.txt, as
# two arrays.
load_expected() {
  BAD_FILES=()
  BAD_WANT=()
  local f want
  while IFS=$'\t' read -r f want; do
    case $f in '#'* | '') continue ;; esac
    BAD_FILES+=("$f")
    BAD_WANT+=("$want")
  done < "$CORPUS/bad/expected.txt"
}

# A copy of a good config padded with blanks to exactly $2 bytes at $1.
padded_config() {
  cp "$CORPUS/good/runc-default.json" "$1"
  local size
  size=$(stat -c %s "$1")
  head -c $(($2 - size)) /dev/zero | tr '\0' ' ' >> "$1"
  [ "$(stat -c %s "$1")" = "$2" ]
}

@test "specs: unit checks of the good corpus and inline documents pass (ASan/UBSan)" {
  run -0 "$SPECS_TEST" "$CORPUS"
  [[ "${lines[-1]}" == "# "*" passed, 0 failed" ]]
  # every good document was loaded
  for f in "$CORPUS"/good/*.json; do
    [[ "$output" == *"ok "*" - load $CORPUS/good/$(basename "$f")"* ]] || {
      echo "not loaded by the unit program: $f"
      false
    }
  done
}

@test "specs: the bad corpus and expected.txt list the same files" {
  load_expected
  [ "${#BAD_FILES[@]}" -ge 100 ]
  local -A listed=()
  for f in "${BAD_FILES[@]}"; do
    [ -z "${listed[$f]:-}" ] || { echo "listed twice: $f"; false; }
    listed[$f]=1
  done
  for f in "$CORPUS"/bad/*.json; do
    [ -n "${listed[${f##*/}]:-}" ] || {
      echo "no expected message for $f"
      false
    }
  done
  for f in "${BAD_FILES[@]}"; do
    [ -f "$CORPUS/bad/$f" ] || {
      echo "expected.txt names a missing file: $f"
      false
    }
  done
}

@test "specs: every bad config is refused with the file, the JSON path and what was expected" {
  load_expected
  local failed=0 i line
  cd "$CORPUS/bad"
  # one process for the whole corpus (an ASan start is slow in the VM lane);
  # it prints one line per file: the error, which starts with the file's name
  run -1 "$SPECS_TEST" --config "${BAD_FILES[@]}"
  [ "${#lines[@]}" = "${#BAD_FILES[@]}" ]
  for i in "${!BAD_FILES[@]}"; do
    line=${lines[$i]}
    if [[ "$line" != "${BAD_FILES[$i]}: "*"${BAD_WANT[$i]}"* ]]; then
      echo "${BAD_FILES[$i]}:"
      echo "  got:  $line"
      echo "  want: ${BAD_FILES[$i]}: ...${BAD_WANT[$i]}"
      failed=$((failed + 1))
    fi
  done
  [ "$failed" = 0 ]
  # and alone, each exits 1
  for f in empty.json process-missing-args.json linux-namespace-duplicate.json; do
    run -1 "$SPECS_TEST" --config "$f"
  done
}

@test "specs: a 100 MB config.json is refused by its size, before it is read" {
  local big=$BATS_TEST_TMPDIR/config.json
  cp "$CORPUS/good/runc-default.json" "$big"
  truncate -s 100M "$big" # sparse: costs no disk
  run -1 "$SPECS_TEST" --config "$big"
  [ "$output" = "$big: file too large (104857600 bytes; the limit is $HUSK_CONFIG_MAX bytes)" ]
}

@test "specs: a config of exactly the size limit parses, one byte more is refused" {
  local at=$BATS_TEST_TMPDIR/at.json over=$BATS_TEST_TMPDIR/over.json
  padded_config "$at" "$HUSK_CONFIG_MAX"
  run -0 "$SPECS_TEST" --config "$at"
  [ "$output" = ok ]
  padded_config "$over" $((HUSK_CONFIG_MAX + 1))
  run -1 "$SPECS_TEST" --config "$over"
  [[ "$output" == "$over: file too large ("*" bytes; the limit is $HUSK_CONFIG_MAX bytes)" ]]
}

@test "specs: a missing, directory or FIFO config.json is refused without hanging" {
  run -1 "$SPECS_TEST" --config "$BATS_TEST_TMPDIR/none.json"
  [ "$output" = "$BATS_TEST_TMPDIR/none.json: cannot open: No such file or directory" ]
  mkdir "$BATS_TEST_TMPDIR/dir.json"
  run -1 "$SPECS_TEST" --config "$BATS_TEST_TMPDIR/dir.json"
  [ "$output" = "$BATS_TEST_TMPDIR/dir.json: not a regular file" ]
  mkfifo "$BATS_TEST_TMPDIR/fifo.json"
  run -1 timeout 20 "$SPECS_TEST" --config "$BATS_TEST_TMPDIR/fifo.json"
  [ "$output" = "$BATS_TEST_TMPDIR/fifo.json: not a regular file" ]
}

@test "specs: a symlinked config.json is followed, as runc does" {
  ln -s "$CORPUS/good/full.json" "$BATS_TEST_TMPDIR/config.json"
  run -0 "$SPECS_TEST" --config "$BATS_TEST_TMPDIR/config.json"
  [ "$output" = ok ]
}

@test "specs: exec --process and update --resources documents: paths start at their top" {
  run -0 "$SPECS_TEST" --process "$CORPUS/good/process.json"
  run -0 "$SPECS_TEST" --resources "$CORPUS/good/resources.json"
  echo '{"args": ["sh"], "cwd": "relative"}' > "$BATS_TEST_TMPDIR/p.json"
  run -1 "$SPECS_TEST" --process "$BATS_TEST_TMPDIR/p.json"
  [ "$output" = "$BATS_TEST_TMPDIR/p.json: cwd: expected an absolute path, got \"relative\"" ]
  echo '{"memory": {"limit": "1G"}}' > "$BATS_TEST_TMPDIR/r.json"
  run -1 "$SPECS_TEST" --resources "$BATS_TEST_TMPDIR/r.json"
  [ "$output" = "$BATS_TEST_TMPDIR/r.json: memory.limit: expected an integer, got \"1G\"" ]
  # a full config is no process document: args sit one level down
  run -1 "$SPECS_TEST" --process "$CORPUS/good/runc-default.json"
  [[ "$output" == *"runc-default.json: args: required field is missing" ]]
}

# ---------- the real binary ----------

# Runs `husk run` on a bundle whose config.json is $1 and checks exit 1, the
# fragment $2 on stderr (with the file's name) and no state left for the id.
refused_by_husk() {
  local config=$1 want=$2 id=$3
  cp "$config" "$BUNDLE/config.json"
  run --separate-stderr husk run --bundle "$BUNDLE" "$id"
  if [ "$status" != 1 ] || [[ "$stderr" != *config.json*"$want"* ]]; then
    echo "$(basename "$config"): status $status"
    echo "  stderr: $stderr"
    echo "  want:   ...config.json: ...$want"
    return 1
  fi
  if [ -e "$(husk_root)/$id" ]; then
    echo "$(basename "$config"): state left behind: $(husk_root)/$id"
    return 1
  fi
}

@test "specs: husk run refuses every bad config with exit 1, the message, and no state left" {
  make_bundle
  load_expected
  local failed=0 i
  for i in "${!BAD_FILES[@]}"; do
    refused_by_husk "$CORPUS/bad/${BAD_FILES[$i]}" "${BAD_WANT[$i]}" "bad$i" \
      || failed=$((failed + 1))
  done
  [ "$failed" = 0 ]
  # nothing at all of these containers in the state root
  run husk list -q
  [[ "$output" != *bad* ]]
}

@test "specs: husk run refuses a 100 MB config.json by its size" {
  make_bundle
  truncate -s 100M "$BUNDLE/config.json"
  run -1 --separate-stderr husk run --bundle "$BUNDLE" big
  # the file's name, the limit, and that the size is what is wrong
  [[ "$stderr" == *config.json*"$HUSK_CONFIG_MAX"* ]]
  [[ "$stderr" == *[Ll]arge* ]]
  [ ! -e "$(husk_root)/big" ]
}

@test "specs: husk create --config FILE names that file in its errors" {
  make_bundle
  cp "$CORPUS/bad/linux-memory-limit-string.json" "$BATS_TEST_TMPDIR/other.json"
  run -1 --separate-stderr husk create --bundle "$BUNDLE" --config "$BATS_TEST_TMPDIR/other.json" cfg
  [[ "$stderr" == *"other.json: linux.resources.memory.limit: expected an integer, got \"1G\""* ]]
  [ ! -e "$(husk_root)/cfg" ]
}

@test "specs: with --log-format json the error is the last msg of the log, as containerd reads it" {
  make_bundle
  cp "$CORPUS/bad/mounts-destination-number.json" "$BUNDLE/config.json"
  run -1 "$HUSK" --root "$(husk_root)" --log "$BATS_TEST_TMPDIR/log.json" \
    --log-format json create --bundle "$BUNDLE" logged
  run -0 jq -r 'select(.level == "error") | .msg' "$BATS_TEST_TMPDIR/log.json"
  [[ "${lines[-1]}" == *"config.json: mounts[2].destination: expected a string, got 42" ]]
  [ ! -e "$(husk_root)/logged" ]
}

@test "specs: the configs husk spec writes (and --rootless) parse" {
  mkdir "$BATS_TEST_TMPDIR/root" "$BATS_TEST_TMPDIR/rootless"
  run -0 "$HUSK" spec --bundle "$BATS_TEST_TMPDIR/root"
  run -0 "$HUSK" spec --rootless --bundle "$BATS_TEST_TMPDIR/rootless"
  run -0 "$SPECS_TEST" --config "$BATS_TEST_TMPDIR/root/config.json" \
    "$BATS_TEST_TMPDIR/rootless/config.json"
  [ "$output" = "ok"$'\n'"ok" ]
}

@test "specs: husk run refuses a FIFO config.json without hanging" {
  make_bundle
  rm "$BUNDLE/config.json"
  mkfifo "$BUNDLE/config.json"
  # KILL: a husk stuck in open() may be forwarding TERM to a container
  run timeout -s KILL 20 "$HUSK" --root "$(husk_root)" run --bundle "$BUNDLE" fifo
  [ "$status" = 1 ]
  [[ "$output" == *config.json* ]]
  [ ! -e "$(husk_root)/fifo" ]
}
