# Helpers of tests/containerd.bats and tests/podman.bats: husk under the real
# clients (containerd 1.6 with its runc shim, podman 4.3 with conmon), each a
# private instance of the file's own (setup_file), never the host's.
#
# HUSK_CLIENTS_RUNTIME=/usr/bin/runc runs the same files on runc, to see what
# the clients expect where husk differs.

# The runtime the clients are given.
cl_runtime() {
  echo "${HUSK_CLIENTS_RUNTIME:-$HUSK}"
}

# The state dir the runtime uses when a client passes no --root (podman).
cl_default_root() {
  case $(basename "$(cl_runtime)") in
    runc) echo /run/runc ;;
    *) echo /run/husk ;;
  esac
}

# Prints the fenced block that follows "<!-- snippet: $1 -->" in README.md,
# with /usr/local/bin/husk made the runtime under test: the tests configure
# the clients with what the README tells users to write.
cl_readme_snippet() {
  awk -v name="$1" '
    $0 == "<!-- snippet: " name " -->" { want = 1; next }
    want && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$HUSK_SRC/README.md" | sed "s|/usr/local/bin/husk|$(cl_runtime)|g"
}

# The name of the image cl_build_image makes.
CL_IMAGE=localhost/husk-busybox:latest

# Builds an OCI image layout of the bundle's busybox rootfs with umoci (no
# registry here), with sh as its command, archived as $1: an oci-archive
# that ctr image import and podman load both read, named $CL_IMAGE (umoci
# tags take no registry or repository: the index's ref.name is set after).
cl_build_image() {
  local out=$1 layout
  layout=$(mktemp -d "${out%/*}/oci.XXXXXX")
  rmdir "$layout"
  umoci init --layout "$layout" &&
    umoci new --image "$layout:latest" &&
    umoci insert --image "$layout:latest" "$HUSK_BUNDLE_SRC/rootfs" / &&
    umoci config --image "$layout:latest" --config.cmd sh --config.workingdir / \
      --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin &&
    jq -c --arg n "$CL_IMAGE" '.manifests[0].annotations["org.opencontainers.image.ref.name"] = $n' \
      "$layout/index.json" > "$layout/index.json.new" &&
    mv "$layout/index.json.new" "$layout/index.json" &&
    tar -cf "$out" -C "$layout" . &&
    rm -rf "$layout"
}

# Fails (with a message) unless the client programs $@ are installed.
cl_need() {
  local p
  for p in "$@"; do
    command -v "$p" > /dev/null || { echo "$p is not installed (scripts/deps.sh installs it)" >&2; return 1; }
  done
  [ -f "$HUSK_BUNDLE_SRC/rootfs/bin/busybox" ] || { echo "no bundle: run make bundle" >&2; return 1; }
}

# The cgroup2 mount (the hybrid host's is /sys/fs/cgroup/unified).
cl_cgroup2() {
  if [ "$(stat -fc %T /sys/fs/cgroup 2> /dev/null)" = cgroup2fs ]; then
    echo /sys/fs/cgroup
  else
    echo /sys/fs/cgroup/unified
  fi
}

# True where the cgroup2 mount offers every controller in $@.
cl_has_controllers() {
  local c
  for c in "$@"; do
    grep -qw "$c" "$(cl_cgroup2)/cgroup.controllers" 2> /dev/null || return 1
  done
}

# The pids whose environment holds the exact entry $1.
cl_pids_with_env() {
  grep -lsxzF "$1" /proc/[0-9]*/environ | cut -d/ -f3
}

# The mount points under $1.
cl_mounts_under() {
  awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

# Runs the shell command line $1 on a terminal of its own (script(1)): the
# clients' -t wants one.
cl_tty() {
  script -qec "$1" /dev/null < /dev/null
}

# ---------- containerd ----------

# Starts a private containerd under $CTD_DIR (a directory on the lane's tmpfs,
# short enough for the socket's path): its own config (CRI off: ctr does not
# use it), root, state and socket; its timeouts for shims raised from 2-5 s
# (a task whose state query times out is left out of `ctr task ls`, and the
# VM lane's guest can stall for seconds).  Sets CTD_PID.
ctd_start() {
  local conf=$CTD_DIR/config.toml
  mkdir -p "$CTD_DIR"
  cat > "$conf" << EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTD_DIR/sock"
[ttrpc]
  address = "$CTD_DIR/sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD_DIR/opt"
[timeouts]
  "io.containerd.timeout.shim.cleanup" = "60s"
  "io.containerd.timeout.shim.load" = "60s"
  "io.containerd.timeout.shim.shutdown" = "60s"
  "io.containerd.timeout.task.state" = "60s"
EOF
  containerd --config "$conf" > "$CTD_DIR/log" 2>&1 3>&- &
  export CTD_PID=$!
  wait_until 30 ctd version || { echo "containerd did not start:" >&2; tail -n 20 "$CTD_DIR/log" >&2; return 1; }
}

# Stops the private containerd (SIGTERM, then SIGKILL) and every shim it
# started, unmounts what is left under its root and removes it.
ctd_stop() {
  local shims
  shims=$(ctd_shims)
  if [ -n "${CTD_PID:-}" ]; then
    kill "$CTD_PID" 2> /dev/null || true
    wait_until 10 pid_dead "$CTD_PID" || kill -9 "$CTD_PID" 2> /dev/null || true
    wait "$CTD_PID" 2> /dev/null || true
  fi
  [ -z "$shims" ] || kill -9 $shims 2> /dev/null || true
  cl_mounts_under "$CTD_DIR" | sort -r | xargs -r -n1 umount -l 2> /dev/null || true
  rm -rf "$CTD_DIR"
}

# ctr on the private containerd, in the file's namespace.
ctd() {
  ctr --address "$CTD_DIR/sock" --namespace "$CTD_NS" "$@"
}

# The same as a command line, for cl_tty.
ctd_cmdline() {
  echo "ctr --address $CTD_DIR/sock --namespace $CTD_NS"
}

# The pids of the shims of the file's namespace.
ctd_shims() {
  pgrep -f "containerd-shim-runc-v2 -namespace $CTD_NS -id " || true
}

ctd_no_shims() {
  [ -z "$(ctd_shims)" ]
}

# Removes every task and container of the namespace (teardown).
ctd_clean() {
  local id
  for id in $(ctd task ls -q 2> /dev/null); do
    ctd task kill -s SIGKILL "$id" > /dev/null 2>&1 || true
    ctd task delete --force "$id" > /dev/null 2>&1 || true
  done
  for id in $(ctd container ls -q 2> /dev/null); do
    ctd container delete "$id" > /dev/null 2>&1 || true
  done
}

# ---------- podman ----------

# Writes $PM_DIR/containers.conf: the README's snippet (runtime husk, its
# path, runtime_supports_json) plus what keeps podman private and within
# this sandbox's means, and sets the variables pm() passes.
pm_setup() {
  mkdir -p "$PM_DIR"
  PM_CONF=$PM_DIR/containers.conf
  # default_ulimits: podman's own default for root is nofile=1048576, past
  # the hard limit here, and this sandbox's root lacks CAP_SYS_RESOURCE to
  # raise it: podman's create then fails in any runtime.  pids_limit 0:
  # podman's default of 2048 needs the pids controller, which the host
  # lane's cgroup2 lacks (tests that want a limit ask for one).  netns none:
  # no CNI network is made on the host.  conmon_env_vars: conmon runs the
  # exit command (podman container cleanup) with only these, and it must
  # read this file too.
  cat > "$PM_DIR/engine.extra" << EOF
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
tmp_dir = "$PM_DIR/tmp"
volume_path = "$PM_DIR/volumes"
conmon_env_vars = ["PATH=$PATH", "CONTAINERS_CONF=$PM_CONF"]
EOF
  {
    cat << EOF
[containers]
netns = "none"
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
env = ["$PM_MARK"]
log_driver = "k8s-file"

EOF
    cl_readme_snippet podman-containers.conf | sed "/^\[engine\]\$/r $PM_DIR/engine.extra"
  } > "$PM_CONF"
}

# podman with the private config, storage and run roots.
pm() {
  CONTAINERS_CONF=$PM_CONF podman --root "$PM_DIR/root" --runroot "$PM_DIR/run" \
    --storage-driver overlay "$@"
}

# The same as a command line, for cl_tty.
pm_cmdline() {
  echo "CONTAINERS_CONF=$PM_CONF podman --root $PM_DIR/root --runroot $PM_DIR/run --storage-driver overlay"
}
