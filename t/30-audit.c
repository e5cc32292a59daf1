/* t/30-audit.c -- the hash-chained audit trail */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cairn/audit.h"
#include "cairn/util.h"
#include "tap.h"

#define NLINES	6

static char	*dir;

static void
sha256_line(const char *p, size_t len, char out[65])
{
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		bail("EVP_Digest");
	util_hex(out, md, mdlen);
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	char		*p;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		bail("open %s: %s", path, strerror(errno));
	p = xmalloc((size_t)st.st_size + 1);
	if (util_read_all(fd, p, (size_t)st.st_size) != st.st_size)
		bail("read %s", path);
	p[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static void
spit(const char *path, const char *p, size_t len)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    util_write_all(fd, p, len) != (ssize_t)len)
		bail("write %s: %s", path, strerror(errno));
	close(fd);
}

/* Offsets of the start of each line of p (lines[n] = len). */
static size_t
split(const char *p, size_t len, size_t *lines, size_t max)
{
	size_t	 n = 0, i;

	lines[n++] = 0;
	for (i = 0; i < len && n < max; i++)
		if (p[i] == '\n' && i + 1 < len)
			lines[n++] = i + 1;
	lines[n] = len;
	return n;
}

/* Verifies a tampered copy; returns the bad line (0: intact). */
static unsigned long long
check(const char *p, size_t len, const char *anchor, struct audit_report *r)
{
	char	*path = xasprintf("%s/tampered.log", dir);

	spit(path, p, len);
	if (audit_verify(path, 0, anchor, r) == 0)
		r->bad_line = 0;
	else if (errno != EBADMSG)
		bail("verify: %s", r->reason);
	unlink(path);
	free(path);
	return r->bad_line;
}

struct collect {
	uint64_t	 seqs[64];
	size_t		 n;
	char		 last_v[8192];
	char		 last_event[64];
};

static int
collect(const struct audit_record *r, void *arg)
{
	struct collect	*c = arg;
	size_t		 i;

	if (c->n < nitems(c->seqs))
		c->seqs[c->n++] = r->event == NULL ? 0 : r->seq;
	snprintf(c->last_event, sizeof(c->last_event), "%s",
	    r->event == NULL ? "(bad)" : r->event);
	c->last_v[0] = '\0';
	for (i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, "v") == 0 &&
		    r->fields[i].type == AUDIT_STR && r->fields[i].v.s != NULL)
			snprintf(c->last_v, sizeof(c->last_v), "%s",
			    r->fields[i].v.s);
	return 0;
}

static const struct {
	const char	*in;
	const char	*want;	/* python's json.dumps(ensure_ascii) */
} hostile[] = {
	{ "a\"b\\c/d", "\"a\\\"b\\\\c/d\"" },
	{ "\n\r\t\b\f\x01\x1f\x7f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"" },
	{ "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\\u00e9 \\ud83d\\ude00\"" },
	{ "x\xffy", "\"x\\ufffdy\"" },
	{ "\xc0\x80", "\"\\ufffd\\ufffd\"" },			/* overlong NUL */
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate */
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* >10FFFF */
	{ "cut\xe2\x82", "\"cut\\ufffd\\ufffd\"" },		/* truncated */
	{ "ls\xe2\x80\xa8ps\xe2\x80\xa9", "\"ls\\u2028ps\\u2029\"" },
	{ "\"}],\"prev\":\"0\"}\n{\"seq\":1", "\"\\\"}],\\\"prev\\\":\\\"0\\\"}\\n{\\\"seq\\\":1\"" },
};

/* Counts successful writes; a failed one makes the count negative. */
static void
count_hook(struct audit *a, int err, void *arg)
{
	int	*n = arg;

	(void)a;
	*n = err == 0 ? *n + 1 : -1000;
}

int
main(void)
{
	struct audit		*a;
	struct audit_report	 rep;
	struct collect		 col;
	char			*path, *p, *q, err[256], head[65], cmd[512];
	char			 head2[65];
	int			 hooked = 0;
	char			*big, line[1024];
	size_t			 len, off[NLINES + 2], n, i, k;
	FILE			*fp;
	int			 fd, good;

	plan(54);
	dir = tap_tmpdir();
	path = xasprintf("%s/audit.log", dir);

	/* a chain grows and verifies */
	a = audit_open(path, err, sizeof(err));
	ok(a != NULL, "a new log opens");
	if (a == NULL)
		bail("%s", err);
	is_int(audit_seq(a), 0, "a new log starts at seq 0");
	is_str(audit_head(a), AUDIT_HASH_ZERO, "a new log's head is zeros");
	ok(audit_write(a, "start", AF_STR("version", "0.1.0"),
	    AF_INT("pid", 42)) == 0, "first event written");
	ok(audit_write(a, "stop") == 0, "an event without fields");
	snprintf(head2, sizeof(head2), "%s", audit_head(a));
	ok(audit_writev_at(a, 4102444801, "spawn", (struct audit_field[]){
	    AF_STR("job", "fir"), AF_UINT("gen", 4), AF_INT("delta", -7),
	    AF_STR("none", NULL), AF_END }) == 0, "typed fields");
	ok(audit_writev_at(a, 4102444800, "exit", (struct audit_field[]){
	    AF_STR("job", "fir"), AF_INT("code", 91), AF_END }) == 0,
	    "time going backwards is written");
	is_int(audit_seq(a), 4, "seq counts lines");
	snprintf(head, sizeof(head), "%s", audit_head(a));
	audit_close(a);
	ok(audit_verify(path, 0, head, &rep) == 0 && rep.lines == 4 &&
	    rep.last_seq == 4, "chain of 4 verifies");
	is_int(rep.time_backwards, 1, "time going backwards is counted, "
	    "not an error");
	ok(audit_verify_from(path, 2, head2, 4, &rep) == 0 &&
	    rep.lines == 3 && rep.last_seq == 4 && strcmp(rep.head, head) == 0,
	    "from an anchor: only the lines since it are read, and chain on");
	ok(audit_verify_from(path, 5, head, 4, &rep) == -1 &&
	    errno == EBADMSG && strstr(rep.reason, "ends at seq 4") != NULL,
	    "a trail that ends before the anchor is found: %s", rep.reason);
	ok(audit_verify_from(path, 2, head, 4, &rep) == -1 &&
	    errno == EBADMSG && strstr(rep.reason, "not the one recorded")
	    != NULL, "an anchor line that hashes otherwise is found: %s",
	    rep.reason);
	p = slurp(path, &len);
	ok(strncmp(p, "{\"seq\":1,\"time\":\"", 17) == 0 &&
	    strstr(p, "\"event\":\"start\",\"version\":\"0.1.0\",\"pid\":42,"
	    "\"prev\":\"" AUDIT_HASH_ZERO "\"}\n") != NULL,
	    "first line has the documented layout");
	ok(strstr(p, "{\"seq\":3,\"time\":\"2100-01-01T00:00:01Z\",\"event\":"
	    "\"spawn\",\"job\":\"fir\",\"gen\":4,\"delta\":-7,\"none\":null,"
	    "\"prev\":\"") != NULL, "typed fields in order");
	free(p);

	/* reopen continues the chain */
	a = audit_open(path, err, sizeof(err));
	ok(a != NULL && audit_seq(a) == 4 && strcmp(audit_head(a), head) == 0,
	    "reopen picks up seq and head");
	if (a == NULL)
		bail("%s", err);
	audit_set_hook(a, count_hook, &hooked);
	ok(audit_write(a, "reload", AF_STR("result", "ok")) == 0 &&
	    audit_write(a, "ctl", AF_STR("cmd", "status"), AF_UINT("uid", 0))
	    == 0, "writes after reopen");
	is_int(hooked, 2, "the hook saw each write succeed");
	audit_set_hook(a, NULL, NULL);
	snprintf(head, sizeof(head), "%s", audit_head(a));

	/* bad input is refused and leaves the chain alone */
	errno = 0;
	ok(audit_write(a, "x", AF_STR("seq", "1")) == -1 && errno == EINVAL,
	    "reserved key refused");
	ok(audit_write(a, "x", AF_STR("a", "1"), AF_STR("a", "2")) == -1 &&
	    errno == EINVAL, "duplicate key refused");
	ok(audit_write(a, "Bad Event") == -1 && errno == EINVAL,
	    "bad event name refused");
	ok(audit_write(a, "x", AF_STR("k\"ey", "1")) == -1 && errno == EINVAL,
	    "bad key refused");
	ok(audit_seq(a) == NLINES && strcmp(audit_head(a), head) == 0,
	    "refused writes do not advance the chain");
	audit_close(a);
	ok(audit_verify(path, 0, head, &rep) == 0 && rep.lines == NLINES,
	    "chain of %d verifies after reopen", NLINES);

	/* tampering, each caught at the right line */
	p = slurp(path, &len);
	if (split(p, len, off, nitems(off) - 1) != NLINES)
		bail("expected %d lines", NLINES);
	good = 1;
	for (i = 0; i < NLINES; i++) {
		q = xmalloc(len);
		memcpy(q, p, len);
		k = (size_t)(strstr(q + off[i], "\"event\":\"") - q) + 9;
		q[k] = q[k] == 'q' ? 'z' : 'q';
		if (check(q, len, head, &rep) != i + 1) {
			diag("edit of line %zu reported at %llu: %s", i + 1,
			    (unsigned long long)rep.bad_line, rep.reason);
			good = 0;
		}
		free(q);
	}
	ok(good, "an edited byte in any line is caught at that line");
	q = xmalloc(len);
	memcpy(q, p, len);
	q[off[2] + 1] = ' ';	/* {"seq... -> { seq...: bad JSON */
	is_int(check(q, len, head, &rep), 3, "broken JSON caught at its line");
	free(q);
	q = xmalloc(len + 1);
	memcpy(q, p, off[1]);
	q[off[1]] = ' ';	/* leading whitespace: valid JSON */
	memcpy(q + off[1] + 1, p + off[1], len - off[1]);
	is_int(check(q, len + 1, head, &rep), 2, "non-canonical line caught");
	ok(strstr(rep.reason, "canonical") != NULL, "and said why: %s",
	    rep.reason);

	/* delete line 3 */
	memcpy(q, p, off[2]);
	memcpy(q + off[2], p + off[3], len - off[3]);
	is_int(check(q, len - (off[3] - off[2]), head, &rep), 3,
	    "a deleted line is caught");
	ok(strstr(rep.reason, "seq 4 where 3") != NULL, "as a seq gap: %s",
	    rep.reason);
	/* cut the last line off */
	is_int(check(p, off[NLINES - 1], NULL, &rep), 0,
	    "a cut-off last line passes without an anchor (documented)");
	is_int(check(p, off[NLINES - 1], head, &rep), NLINES - 1,
	    "and is caught with the head as anchor");
	free(q);
	/* an anchor in the middle: the log grew after it was shipped */
	q = xasprintf("%s/anchor.log", dir);
	spit(q, p, len);
	sha256_line(p + off[2], off[3] - off[2] - 1, line);
	ok(audit_verify(q, 3, line, &rep) == 0, "an anchor at seq 3 holds "
	    "while the log grows past it");
	p[off[2] + 20] ^= 1;	/* a digit of line 3's time */
	spit(q, p, len);
	ok(audit_verify(q, 3, line, &rep) == -1 && rep.bad_line == 3,
	    "an edit of the anchored line is caught there: %s", rep.reason);
	p[off[2] + 20] ^= 1;
	spit(q, p, off[2]);
	ok(audit_verify(q, 3, line, &rep) == -1 && rep.bad_line == 3,
	    "cutting the log before the anchor is caught: %s", rep.reason);
	unlink(q);
	free(q);

	/* insert a copy of line 2 before line 4 */
	q = xmalloc(len + off[2] - off[1]);
	memcpy(q, p, off[3]);
	memcpy(q + off[3], p + off[1], off[2] - off[1]);
	memcpy(q + off[3] + off[2] - off[1], p + off[3], len - off[3]);
	is_int(check(q, len + off[2] - off[1], head, &rep), 4,
	    "an inserted line is caught");
	free(q);

	/* swap lines 2 and 3 */
	q = xmalloc(len);
	memcpy(q, p, off[1]);
	memcpy(q + off[1], p + off[2], off[3] - off[2]);
	memcpy(q + off[1] + off[3] - off[2], p + off[1], off[2] - off[1]);
	memcpy(q + off[3], p + off[3], len - off[3]);
	is_int(check(q, len, head, &rep), 2, "swapped lines are caught");
	free(q);

	/* truncate in the middle of line 4, then reopen: cut and recorded */
	k = off[3] + (off[4] - off[3]) / 2;
	is_int(check(p, k, NULL, &rep), 4, "a torn line is caught");
	ok(strstr(rep.reason, "newline") != NULL, "as a torn line: %s",
	    rep.reason);
	spit(path, p, k);
	a = audit_open(path, err, sizeof(err));
	ok(a != NULL && audit_seq(a) == 4, "reopen after a torn write "
	    "continues after the last whole line");
	if (a == NULL)
		bail("%s", err);
	snprintf(head, sizeof(head), "%s", audit_head(a));
	audit_close(a);
	ok(audit_verify(path, 0, head, &rep) == 0 && rep.lines == 4,
	    "the repaired log verifies");
	memset(&col, 0, sizeof(col));
	ok(audit_tail(path, 1, collect, &col, err, sizeof(err)) == 0 &&
	    col.n == 1 && col.seqs[0] == 4 &&
	    strcmp(col.last_event, "audit_recovered") == 0,
	    "the repair is on the record");
	q = slurp(path, &n);
	snprintf(line, sizeof(line), "\"torn_bytes\":%zu,", k - off[3]);
	ok(strstr(q, line) != NULL, "with the torn length (%s)", line);
	free(q);

	/* a whole-file torn line (crash during the very first write) */
	spit(path, p, off[1] / 2);
	a = audit_open(path, err, sizeof(err));
	ok(a != NULL && audit_seq(a) == 1, "a log that is one torn line "
	    "restarts at seq 1 with the recovery record");
	audit_close(a);
	ok(audit_verify(path, 0, NULL, &rep) == 0, "and verifies");
	free(p);

	/* an unparseable last line stops the open */
	spit(path, "{\"seq\":1}\n", 10);
	errno = 0;
	ok(audit_open(path, err, sizeof(err)) == NULL && errno == EBADMSG,
	    "a broken last line fails the open: %s", err);
	spit(path, "", 0);

	/* hostile strings round-trip through a JSON parser */
	a = audit_open(path, err, sizeof(err));
	if (a == NULL)
		bail("%s", err);
	good = 1;
	for (i = 0; i < nitems(hostile); i++)
		if (audit_write(a, "hostile", AF_STR("v", hostile[i].in)) == -1)
			good = 0;
	big = xmalloc(10001);
	memset(big, 'x', 10000);
	big[10000] = '\0';
	ok(good && audit_write(a, "big", AF_STR("v", big)) == 0,
	    "hostile and oversized values written");
	audit_close(a);
	memset(&col, 0, sizeof(col));
	ok(audit_tail(path, 1, collect, &col, err, sizeof(err)) == 0 &&
	    strlen(col.last_v) == AUDIT_VALUE_MAX,
	    "values are cut at AUDIT_VALUE_MAX");
	ok(audit_verify(path, 0, NULL, &rep) == 0, "hostile log verifies: %s",
	    rep.reason);
	memset(&col, 0, sizeof(col));
	audit_tail(path, 0, collect, &col, err, sizeof(err));
	is_int(col.n, nitems(hostile) + 1, "tail 0 walks every line");
	memset(&col, 0, sizeof(col));
	ok(audit_tail(path, 3, collect, &col, err, sizeof(err)) == 0 &&
	    col.n == 3 && col.seqs[0] == nitems(hostile) - 1 &&
	    col.seqs[2] == nitems(hostile) + 1, "tail 3 gives the last 3, "
	    "oldest first");
	memset(&col, 0, sizeof(col));
	audit_tail(path, 2 * nitems(hostile) + 1, collect, &col, err,
	    sizeof(err));
	is_int(col.n, nitems(hostile) + 1, "tail beyond the start gives all");
	free(big);

	if (system("python3 -c 'pass' >/dev/null 2>&1") != 0) {
		skip(1, "python3 not available");
	} else {
		snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys\n"
		    "for l in open(sys.argv[1], encoding=\"utf-8\"):\n"
		    "  o = json.loads(l)\n"
		    "  assert list(o)[:3] == [\"seq\",\"time\",\"event\"]\n"
		    "  assert list(o)[-1] == \"prev\"\n"
		    "  print(json.dumps(o[\"v\"][:40], ensure_ascii=True))\n"
		    "' %s", path);
		if ((fp = popen(cmd, "r")) == NULL)
			bail("popen: %s", strerror(errno));
		good = 1;
		for (i = 0; i < nitems(hostile); i++) {
			if (fgets(line, sizeof(line), fp) == NULL) {
				good = 0;
				break;
			}
			line[strcspn(line, "\n")] = '\0';
			if (strcmp(line, hostile[i].want) != 0) {
				diag("value %zu: got %s want %s", i, line,
				    hostile[i].want);
				good = 0;
			}
		}
		while (fgets(line, sizeof(line), fp) != NULL)
			;
		ok(pclose(fp) == 0 && good, "python's json.loads reads every "
		    "line to the expected value");
	}

	/* the reader agrees on valid strings */
	fd = 0;
	for (i = 0; i < 3; i++) {
		struct audit_record	 r;
		char			*l;
		size_t			 ln;

		/* line i+1 of the hostile log */
		p = slurp(path, &len);
		split(p, len, off, nitems(off) - 1);
		l = p + off[i];
		ln = off[i + 1] - off[i] - 1;
		if (audit_parse_line(l, ln, &r, err, sizeof(err)) == 0 &&
		    strcmp(r.fields[0].v.s, hostile[i].in) == 0)
			fd++;
		else
			diag("line %zu: %s", i + 1, err);
		audit_record_free(&r);
		free(p);
	}
	is_int(fd, 3, "our parser decodes escapes back to the input");

	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return tap_exit();
}
