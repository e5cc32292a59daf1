# t/lib/podman.sh -- containers for the tests that run cairn as operators
# do (t/96-systemd.sh, t/97-compose.sh), with Debian's podman: no Docker
# engine and no registry needed (docs/containers.md).
#
#   podman_setup        skip_all unless root with podman and mmdebstrap;
#                       exports CONTAINERS_CONF; makes sure the Debian 12
#                       base image exists as docker.io/library/debian:12-slim
#   podman_image TAG DOCKERFILE [CONTEXT [FILE...]]
#                       builds DOCKERFILE (docker format, so HEALTHCHECK is
#                       kept) unless TAG:KEY exists, KEY hashing the
#                       Dockerfile, the base and the FILEs; prints TAG:KEY
#
# The base tar and images are cached by content under CAIRN_CACHE
# (default /var/cache/cairn-tests): a rerun builds nothing.

CAIRN_CACHE=${CAIRN_CACHE:-/var/cache/cairn-tests}
# what the base is made of: its key
PODMAN_BASE_CMD="mmdebstrap --variant=minbase bookworm"

podman_setup()
{
	[ "$(id -u)" -eq 0 ] || skip_all "not root (podman runs rootful here)"
	command -v podman >/dev/null 2>&1 ||
	    skip_all "podman not installed (scripts/install-deps installs it)"
	command -v mmdebstrap >/dev/null 2>&1 ||
	    skip_all "mmdebstrap not installed (scripts/install-deps installs it)"
	mkdir -p "$CAIRN_CACHE"
	# crun fails with hybrid cgroups; apt-get in builds needs the host net
	CONTAINERS_CONF=$CAIRN_CACHE/containers.conf
	cat > "$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4000:4000"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
	export CONTAINERS_CONF
	podman info >/dev/null 2>&1 || skip_all "podman cannot run here"
	_key=$(printf '%s' "$PODMAN_BASE_CMD" | sha256sum | cut -c1-12)
	if ! podman image exists "localhost/cairn-base:$_key"; then
		_tar=$CAIRN_CACHE/base-$_key.tar
		if [ ! -s "$_tar" ]; then
			diag "making the Debian 12 base image (mmdebstrap, minutes)"
			# the .tar ending tells mmdebstrap the format
			$PODMAN_BASE_CMD "$_tar.part.tar" >/dev/null 2>&1 ||
			    bail "mmdebstrap failed"
			mv "$_tar.part.tar" "$_tar"
		fi
		podman import -q "$_tar" "localhost/cairn-base:$_key" \
		    >/dev/null || bail "podman import $_tar failed"
	fi
	# so that FROM debian:12-slim resolves here and nothing is pulled
	podman tag "localhost/cairn-base:$_key" \
	    docker.io/library/debian:12-slim
	PODMAN_BASE_KEY=$_key
}

podman_image()
{
	_tag=$1 _df=$2 _ctx=${3:-$(dirname "$2")}
	shift 2
	[ $# -gt 0 ] && shift
	_key=$( { echo "$PODMAN_BASE_KEY"; cat "$_df" "$@"; } | sha256sum |
	    cut -c1-12)
	if ! podman image exists "$_tag:$_key"; then
		podman build -q --format docker --network=host -f "$_df" \
		    -t "$_tag:$_key" "$_ctx" >&2 ||
		    bail "podman build $_df failed"
	fi
	echo "$_tag:$_key"
}
