#!/bin/sh
# `make demo`: runs one real container from the busybox bundle and prints what
# shows its isolation.
#   scripts/demo.sh HUSK BUNDLE
set -eu
husk=$(realpath "$1")
bundle=$(realpath "$2")
state=$(mktemp -d /tmp/husk-demo.XXXXXX)
trap 'rm -rf "$state"' EXIT

inside=$(cat <<'SCRIPT'
echo "hostname:    $(hostname)"
echo "my pid:      $$ (PID 1 of its own pid namespace)"
echo "user:        $(id)"
echo "processes:"; ps -o pid,user,comm
echo "mounts:";    cat /proc/self/mounts
echo "namespaces:"; for ns in /proc/self/ns/*; do echo "  ${ns##*/} -> $(readlink "$ns")"; done
SCRIPT
)
# The demo's own config: the bundle's, with a process that reports what it sees.
jq --arg script "$inside" '.process.args = ["sh", "-c", $script]' \
  "$bundle/config.json" > "$state/demo.json"

echo "host:        $(hostname), $("$husk" --version | head -n1)"
echo "host's namespaces:"
for ns in /proc/self/ns/*; do echo "  ${ns##*/} -> $(readlink "$ns")"; done
echo "--- inside the container (husk run) ---"
"$husk" --root "$state/run" run --bundle "$bundle" --config "$state/demo.json" "husk-demo-$$"
