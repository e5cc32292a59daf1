#!/bin/sh
# t/92-packaging.sh -- the shipped systemd unit and docker files are valid.
# (No Docker engine runs here: docker-compose's own parser checks the
# compose file, systemd-analyze the unit; the Dockerfile is checked for the
# files it copies.)
. "$top_srcdir/t/lib/tap.sh"

plan 6
# the unit as make generates it from etc/cairnd.service.in
unit="$top_builddir/etc/cairnd.service"
[ -f "$unit" ] || (cd "$top_builddir" && make -s etc/cairnd.service) >/dev/null
tap_tmpdir
tmp=$TAP_TMP

if command -v systemd-analyze >/dev/null 2>&1; then
	# point the unit at the built binary so verify can resolve ExecStart
	sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/\(cairn[a-z]*\) |\1$top_builddir/\2 |" \
	    "$unit" > "$tmp/cairnd.service"
	out=$(systemd-analyze verify --man=no "$tmp/cairnd.service" 2>&1 |
	    grep -v -e 'Failed to ' -e 'Unit .*not found' -e 'Cannot add dependency' -e '^$')
	is "$out" "" "systemd-analyze verify reports nothing about the unit"
else
	skip 1 "systemd-analyze not installed"
fi
grep -q '^Type=notify$' "$unit"
ok $? "the unit uses Type=notify"
grep -q '^ProtectSystem=strict$' "$unit" && grep -q '^NoNewPrivileges=yes$' "$unit"
ok $? "the unit is hardened (ProtectSystem=strict, NoNewPrivileges)"

compose=$top_srcdir/docker/docker-compose.yaml
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$compose" > "$tmp/compose.out" 2>&1 <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert "version" not in c, "obsolete version: key"
print("\n".join(c["services"]["cairn"]["volumes"]))
PY
	ok $? "the compose file parses and has no obsolete version: key" ||
	    cat "$tmp/compose.out" >&2
	grep -q '/data/app:ro' "$tmp/compose.out"
	ok $? "the application's SQLite volume is mounted read-only"
else
	skip 2 "python3-yaml not installed"
fi
missing=
for f in $(sed -n 's/^COPY \(docker\/[^ ]*\) .*/\1/p' "$top_srcdir/docker/Dockerfile"); do
	[ -f "$top_srcdir/$f" ] || missing="$missing $f"
done
is "$missing" "" "every file the Dockerfile copies exists"
tap_done
