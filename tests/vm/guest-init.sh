#!/bin/sh
# Stage 2 of the VM lane's guest: PID 1 on the prepared root (see
# initramfs-init), run by the host's own /bin/sh from the 9p share.  Runs the
# job the host wrote into JOB/cmd with HUSK_LANE=vm and TMPDIR on tmpfs, sends
# its output to the first virtconsole and its exit status (with the uptimes at
# its start and end) to the second, and powers off.  Usage (from the initramfs): guest-init.sh TREE JOB
TREE=$1 JOB=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HUSK_LANE=vm TMPDIR=/tmp HOME=/root TERM=dumb LC_ALL=C.UTF-8
cd "$TREE" || echo "vm-guest: cannot enter $TREE" >&2

# Each write to the console is a slow trip through the emulated device: cat
# between the job and the console turns whatever piled up in the pipe during
# the last write into the next single write.  The console's writes return
# once QEMU has taken the data, so nothing is lost at the power-off below.
read -r booted _ < /proc/uptime
{ bash "$JOB/cmd" < /dev/null; echo $? > /run/husk-vm.rc; } 2>&1 | cat > /dev/hvc0
read -r ended _ < /proc/uptime
read -r rc < /run/husk-vm.rc || rc=125
echo "$rc $booted $ended" > /dev/hvc1
sync
busybox poweroff -f
