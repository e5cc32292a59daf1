#!/bin/sh
# t/90-man.sh -- every man page in man/ is clean under mandoc -T lint.
set -u
if [ -z "${MANDOC:-}" ]; then
	echo "1..0 # SKIP mandoc not found at configure time"
	exit 0
fi
n=0
failed=0
for page in "$top_srcdir"/man/*.[1-9]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	if out=$("$MANDOC" -T lint -W warning "$page" 2>&1) && [ -z "$out" ]; then
		echo "ok $n - $(basename "$page") is lint-clean"
	else
		echo "not ok $n - $(basename "$page") is lint-clean"
		printf '%s\n' "$out" | sed 's/^/# /' >&2
		failed=$((failed + 1))
	fi
done
if [ $n -eq 0 ]; then
	echo "1..0 # SKIP no man pages"
	exit 0
fi
echo "1..$n"
[ $failed -eq 0 ]
