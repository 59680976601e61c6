#!/usr/bin/env bats
# config.json "process" (and hostname, domainname, sysctl, personality):
# what the container's process sees.  Expected capability sets are those
# runc 1.1.5 gives for the same config on this host.

load helpers

teardown() {
  lc_teardown
}

# Runs the shell command $1 in a container made with the jq filter $2;
# bats' run sets $status and $output.
run_sh() {
  lc_bundle_sh "$1" "${2:-.}"
  run husk run --bundle "$BUNDLE" "p$BATS_TEST_NUMBER" </dev/null
  echo "$output"
}

field() {
  echo "$output" | awk -v k="$1:" '$1 == k {print $2}'
}

@test "process.user: uid, gid, additionalGids" {
  run_sh 'id -u; id -g; id -G' '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 6]}'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1001 ]
  [ "${lines[2]}" = "1001 5 6" ]
}

@test "process.cwd and process.env, exactly as given" {
  run_sh 'pwd; env | sort' '.process.cwd = "/dev" | .process.env = ["PATH=/bin", "A=1", "B=two words"]'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /dev ]
  # busybox sh adds PWD and SHLVL of its own; nothing else may appear
  [ "$(echo "$output" | tail -n +2 | grep -vE '^(PWD|SHLVL)=' | tr '\n' '|')" = "A=1|B=two words|PATH=/bin|" ]
}

@test "process.cwd that does not exist is an error" {
  run_sh 'true' '.process.cwd = "/nonexistent"'
  [ "$status" -eq 1 ]
  [[ "$output" == *'process.cwd: chdir to "/nonexistent"'* ]]
}

@test "process.capabilities: the five sets, root and non-root (as runc)" {
  local caps='.process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_CHOWN"], "ambient": ["CAP_CHOWN"]}'
  run_sh 'grep ^Cap /proc/self/status' "$caps"
  [ "$status" -eq 0 ]
  [ "$(field CapInh)" = 0000000000000001 ]
  [ "$(field CapPrm)" = 0000000000000021 ]
  [ "$(field CapEff)" = 0000000000000021 ]
  [ "$(field CapBnd)" = 0000000000000021 ]
  [ "$(field CapAmb)" = 0000000000000001 ]

  run_sh 'grep ^Cap /proc/self/status' "$caps | .process.user = {\"uid\": 1000, \"gid\": 1000}"
  [ "$status" -eq 0 ]
  [ "$(field CapInh)" = 0000000000000001 ]
  [ "$(field CapPrm)" = 0000000000000001 ]
  [ "$(field CapEff)" = 0000000000000001 ]
  [ "$(field CapBnd)" = 0000000000000021 ]
  [ "$(field CapAmb)" = 0000000000000001 ]
}

@test "process.capabilities: husk spec's defaults, inheritable empty; a misspelt name is an error" {
  run_sh 'grep ^Cap /proc/self/status'
  [ "$status" -eq 0 ]
  # CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
  [ "$(field CapBnd)" = 0000000020000420 ]
  [ "$(field CapEff)" = 0000000020000420 ]
  [ "$(field CapInh)" = 0000000000000000 ]

  run_sh 'true' '.process.capabilities.bounding += ["CAP_NOPE"]'
  [ "$status" -eq 1 ]
  [[ "$output" == *'unknown capability "CAP_NOPE"'* ]]
}

@test "process.rlimits: set in the container; above the hard limit is refused clearly" {
  run_sh 'ulimit -n; grep "Max open files" /proc/self/limits' '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 800}]'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 512 ]
  [ "$(echo ${lines[1]})" = "Max open files 512 800 files" ]

  local hard
  hard=$(ulimit -Hn)
  run_sh 'ulimit -Hn' ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": $((hard + 1)), \"hard\": $((hard + 1))}]"
  if [ "$status" -eq 0 ]; then
    # this host lets husk raise hard limits (CAP_SYS_RESOURCE)
    [ "$output" = $((hard + 1)) ]
  else
    [[ "$output" == *"process.rlimits: RLIMIT_NOFILE"* ]]
    [ ! -e "$(husk_root)/p$BATS_TEST_NUMBER" ]
  fi
}

@test "process.user.umask, and the default 0022" {
  run_sh 'umask' '.process.user.umask = 63'
  [ "$output" = 0077 ]
  run_sh 'umask'
  [ "$output" = 0022 ]
}

@test "process.oomScoreAdj" {
  run_sh 'cat /proc/self/oom_score_adj' '.process.oomScoreAdj = 300'
  [ "$status" -eq 0 ]
  [ "$output" = 300 ]
}

@test "process.noNewPrivileges" {
  run_sh 'grep NoNewPrivs /proc/self/status' '.process.noNewPrivileges = true'
  [ "$(field NoNewPrivs)" = 1 ]
  run_sh 'grep NoNewPrivs /proc/self/status' '.process.noNewPrivileges = false'
  [ "$(field NoNewPrivs)" = 0 ]
}

@test "linux.personality LINUX32" {
  run_sh 'uname -m' '.linux.personality = {"domain": "LINUX32"}'
  [ "$status" -eq 0 ]
  [[ "$output" == i?86 ]]
}

@test "process.scheduler and process.ioPriority" {
  # fields 19 and 41 of /proc/PID/stat: nice and policy (SCHED_BATCH is 3)
  run_sh 'cut -d" " -f19,41 /proc/$$/stat; ionice -p $$' \
    '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5} | .process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "5 3" ]
  [ "${lines[1]}" = idle ]
}

@test "hostname, domainname and linux.sysctl" {
  local host_shmmni host_name
  host_shmmni=$(cat /proc/sys/kernel/shmmni)
  host_name=$(hostname)
  run_sh 'hostname; cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni' \
    '.hostname = "box" | .domainname = "example.org" | .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1000"}'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = box ]
  [ "${lines[1]}" = example.org ]
  [ "${lines[2]}" = 1 ]
  [ "${lines[3]}" = 1000 ]
  # the host's are untouched
  [ "$(cat /proc/sys/kernel/shmmni)" = "$host_shmmni" ]
  [ "$(hostname)" = "$host_name" ]

  run_sh 'true' '.linux.sysctl = {"kernel.panic": "1"}'
  [ "$status" -eq 1 ]
  [[ "$output" == *'"kernel.panic" is not a namespaced sysctl'* ]]
}

@test "a hostname without a UTS namespace is refused" {
  run_sh 'true' '.hostname = "x" | .linux.namespaces = [.linux.namespaces[] | select(.type != "uts")]'
  [ "$status" -eq 1 ]
  [[ "$output" == *"hostname"*"UTS namespace"* ]]
  [ ! -e "$(husk_root)/p$BATS_TEST_NUMBER" ]
}
