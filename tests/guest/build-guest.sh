#!/bin/sh
# Build the Linux test guest: a kernel and an initramfs made from
# Debian's linux-image-cloud-amd64 and busybox-static, without
# installing either on the host.
#
# usage: build-guest.sh [OUTDIR]
#
# The .debs and the built images are kept beneath
# ${SECVF_GUEST_CACHE:-/var/cache/secvf-guest}, keyed by the package
# versions and by this script, so a second run reuses them and works
# offline.  With OUTDIR the images are also copied there.  Prints
# KERNEL=path and INITRD=path on standard output; everything else goes
# to standard error.
set -eu

me=build-guest
cache=${SECVF_GUEST_CACHE:-/var/cache/secvf-guest}
outdir=${1:-}
script=$(readlink -f "$0")
tmp=""

die() {
	echo "$me: $*" >&2
	exit 1
}

cleanup() {
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The guest's modules: the drivers of the devices the tests give it.
# Their dependencies are added from modules.dep.
MODULES="virtio_pci virtio_blk virtio_net virtio_console virtiofs
vmw_vsock_virtio_transport pvpanic-mmio pvpanic-pci"

# Print FIELD of PACKAGE's candidate from `apt-cache show` text on stdin.
field() {
	awk -v pkg="$1" -v f="$2:" '
		$1 == "Package:" { cur = $2 }
		cur == pkg && $1 == f { sub(/^[^:]*: */, ""); print; exit }'
}

# Resolve the package names and versions; sets KPKG KVER BVER.
resolve() {
	info=$(apt-cache show --no-all-versions linux-image-cloud-amd64 \
		busybox-static 2>/dev/null) || return 1
	KPKG=$(echo "$info" | field linux-image-cloud-amd64 Depends |
		tr ',' '\n' | sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' |
		head -n 1)
	KVER=$(echo "$info" | field linux-image-cloud-amd64 Version)
	BVER=$(echo "$info" | field busybox-static Version)
	[ -n "$KPKG" ] && [ -n "$KVER" ] && [ -n "$BVER" ]
}

# Use the most recent build when the package lists cannot be read or
# the packages cannot be fetched (offline, no `apt-get update`).
fall_back() {
	key=$(cat "$cache/last" 2>/dev/null || true)
	[ -n "$key" ] && [ -f "$cache/out/$key/initrd.gz" ] ||
		die "$*, and no guest is cached in '$cache'"
	echo "$me: $*; using the cached guest $key" >&2
	emit "$cache/out/$key"
	exit 0
}

emit() {
	src=$1
	if [ -n "$outdir" ]; then
		mkdir -p "$outdir" || die "cannot create '$outdir'"
		cp "$src/vmlinuz" "$src/initrd.gz" "$outdir/" ||
			die "cannot copy the guest to '$outdir'"
		src=$(cd "$outdir" && pwd)
	fi
	echo "KERNEL=$src/vmlinuz"
	echo "INITRD=$src/initrd.gz"
}

# Fetch the two .debs into a scratch directory, then file them under
# the names build() reads.
download() {
	dl=$(mktemp -d "$cache/dl.XXXXXX") || return 1
	if (cd "$dl" && apt-get -q -o APT::Sandbox::User=root download \
		"$KPKG" busybox-static >&2); then
		mv "$dl/$KPKG"_*.deb "$kdeb" &&
			mv "$dl"/busybox-static_*.deb "$bdeb"
	else
		false
	fi
	rc=$?
	rm -rf "$dl"
	return $rc
}

# Order the modules so that each comes after what it needs.
load_order() {
	dep=$1
	shift
	for m in "$@"; do
		path=$(awk -v m="$m" '
			{ p = $1; sub(/:$/, "", p); n = p
			  sub(/.*\//, "", n); sub(/\.ko$/, "", n)
			  if (n == m) { print p; exit } }' "$dep")
		[ -n "$path" ] || die "no module '$m' in the guest kernel"
		visit "$dep" "$path"
	done
}

visit() {
	case " $seen " in *" $2 "*) return 0 ;; esac
	for d in $(awk -v p="$2:" '$1 == p { $1 = ""; print; exit }' "$1"); do
		visit "$1" "$d"
	done
	seen="$seen $2"
	echo "$2"
}

build() {
	x=$tmp/x
	root=$tmp/root
	mkdir -p "$x" "$root"
	for deb in "$kdeb" "$bdeb"; do
		dpkg-deb -x "$deb" "$x" || die "cannot unpack '$deb'"
	done
	kver=$(ls "$x/lib/modules")
	bb=$x/bin/busybox
	"$bb" depmod -b "$x" "$kver" || die "depmod failed for '$kver'"

	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" \
		"$root/mnt" "$root/tmp" "$root/root" "$root/lib/modules"
	cp "$bb" "$root/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	if [ "$(id -u)" = 0 ]; then
		mknod -m 600 "$root/dev/console" c 5 1
	fi

	seen=""
	: >"$root/lib/modules/order"
	for p in $(load_order "$x/lib/modules/$kver/modules.dep" $MODULES); do
		cp "$x/lib/modules/$kver/$p" "$root/lib/modules/"
		echo "${p##*/}" >>"$root/lib/modules/order"
	done
	cp "$(dirname "$script")/init" "$root/init"
	chmod 755 "$root/init"

	new=$tmp/out
	mkdir -p "$new"
	cp "$x/boot/vmlinuz-$kver" "$new/vmlinuz"
	find "$root" -exec touch -h -d @0 {} +
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 \
		--quiet) | gzip -6 -n >"$new/initrd.gz" ||
		die "cannot build the initramfs"
}

command -v cpio >/dev/null || die "cpio is missing (make deps)"
command -v apt-get >/dev/null || die "apt-get is missing"
mkdir -p "$cache/debs" "$cache/out" 2>/dev/null ||
	die "cannot create the cache '$cache' (set SECVF_GUEST_CACHE)"

exec 9>"$cache/lock"
flock 9 || die "cannot lock '$cache/lock'"

if ! resolve; then
	echo "$me: no package lists; running apt-get update" >&2
	apt-get update -q >&2 ||
		fall_back "apt-get update failed"
	resolve || fall_back "cannot find linux-image-cloud-amd64 and" \
		"busybox-static with apt-cache"
fi
sum=$(cat "$script" "$(dirname "$script")/init" | sha256sum | cut -c1-12)
key=$(echo "$KPKG-$KVER-bb$BVER-$sum" | tr ':~' '__')
kdeb=$cache/debs/$(echo "${KPKG}_$KVER.deb" | tr ':~' '__')
bdeb=$cache/debs/$(echo "busybox-static_$BVER.deb" | tr ':~' '__')
if [ -f "$cache/out/$key/initrd.gz" ]; then
	echo "$key" >"$cache/last"
	emit "$cache/out/$key"
	exit 0
fi

echo "$me: building $key" >&2
if [ ! -f "$kdeb" ] || [ ! -f "$bdeb" ] && ! download; then
	echo "$me: apt-get download failed; running apt-get update" >&2
	apt-get update -q >&2 ||
		fall_back "apt-get update failed"
	download || fall_back "cannot download '$KPKG' and" \
		"'busybox-static' (see apt-get's message above)"
fi
tmp=$(mktemp -d "$cache/build.XXXXXX")
build
rm -rf "$cache/out/$key"
mv "$tmp/out" "$cache/out/$key"
echo "$key" >"$cache/last"

# Keep only what this build uses.
for old in "$cache"/out/* "$cache"/debs/*; do
	case "$old" in
	"$cache/out/$key" | "$kdeb" | "$bdeb") ;;
	*) rm -rf "$old" ;;
	esac
done
emit "$cache/out/$key"
