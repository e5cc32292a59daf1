# t/lib/s3.sh -- a real S3-compatible server for the tests: s3rver 3.x
# from the npm registry (node and npm from Debian: scripts/install-deps).
#
# Source after t/lib/tap.sh and call tap_tmpdir (or daemon_setup) first:
#   s3_setup            installs s3rver once into $top_builddir/t/s3rver
#                       (npm cache there too) or skips the whole test with
#                       the reason; sets S3PORT to a free port
#   s3_start            starts it on 127.0.0.1:$S3PORT with its data in
#                       $S3DIR and the bucket "backups"; waits until it
#                       answers; pid in $S3PID; stopped at exit
#   s3_stop [SIGNAL]    stops it (default TERM; KILL for a crash)
#   s3_object KEY       the file holding the object KEY of bucket backups
#   s3_uploads          in-progress multipart uploads left on the server
#   s3_section [LINE...] the config section "s3 offsite" for this server
#                       (bucket backups, prefix cairn/host1/, the test
#                       keys), with LINEs added inside: one argument for
#                       conf_head
#
# s3rver checks the access key (S3RVER) but not the signature's secret;
# it has no AbortMultipartUpload (405) and no checksum headers.

S3_VERSION=3.7.1

s3_setup()
{
	_dir="$top_builddir/t/s3rver"
	command -v node >/dev/null 2>&1 || skip_all "node is not installed (scripts/install-deps)"
	command -v npm >/dev/null 2>&1 || skip_all "npm is not installed (scripts/install-deps)"
	command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
	if [ ! -x "$_dir/node_modules/.bin/s3rver" ]; then
		mkdir -p "$_dir"
		( cd "$_dir" && npm install --no-audit --no-fund --silent \
		    --cache "$_dir/.npm" "s3rver@$S3_VERSION" ) \
		    > "$_dir/install.log" 2>&1 ||
		    skip_all "cannot install s3rver@$S3_VERSION from npm (see $_dir/install.log)"
	fi
	S3RVER="$_dir/node_modules/.bin/s3rver"
	S3DIR="${TAP_TMP:?}/s3data"
	mkdir -p "$S3DIR"
	S3PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	S3URL="http://127.0.0.1:$S3PORT"
	S3PID=
	echo S3RVER > "$TAP_TMP/s3.access"
	echo S3RVER > "$TAP_TMP/s3.secret"
	at_exit 's3_stop KILL'
}

s3_start()
{
	"$S3RVER" -d "$S3DIR" -a 127.0.0.1 -p "$S3PORT" -s \
	    --configure-bucket backups > "$TAP_TMP/s3rver.log" 2>&1 &
	S3PID=$!
	_i=0
	while ! curl -s -o /dev/null "$S3URL/"; do
		_i=$((_i + 1))
		if [ $_i -gt 150 ] || ! kill -0 "$S3PID" 2>/dev/null; then
			sed 's/^/# s3rver: /' "$TAP_TMP/s3rver.log" >&2
			bail "s3rver did not start on port $S3PORT"
		fi
		sleep 0.1
	done
}

s3_stop()
{
	[ -n "${S3PID:-}" ] || return 0
	kill -"${1:-TERM}" "$S3PID" 2>/dev/null
	wait "$S3PID" 2>/dev/null
	S3PID=
}

s3_object()
{
	_d=$(dirname "$1")
	echo "$S3DIR/backups/$_d/$(basename "$1")._S3rver_object"
}

s3_uploads()
{
	find "$S3DIR/backups/._S3rver_uploads" -mindepth 1 -maxdepth 1 \
	    -type d 2>/dev/null | wc -l
}

s3_section()
{
	printf 's3 offsite {\n\tendpoint = "%s"\n\tbucket = "backups"\n' "$S3URL"
	printf '\tprefix = "cairn/host1/"\n\tpath_style = true\n'
	printf '\taccess_key_file = "%s"\n' "$TAP_TMP/s3.access"
	printf '\tsecret_key_file = "%s"\n' "$TAP_TMP/s3.secret"
	for _l in "$@"; do
		printf '\t%s\n' "$_l"
	done
	printf '}'
}
