/*
 * fuzz_audit -- libFuzzer target for the audit trail's readers
 * (audit.h): audit_parse_line() on every line of the input, then
 * audit_verify() and audit_tail() on the input as a log file.
 *
 * Input: one byte of options (bits 0-1: audit_tail()'s n; bit 2: verify
 * against an anchor), then the log text.
 *
 * Checks: a parsed record is whole (event, 64 hex digits of prev, fields
 * ended by AF_END, the line as given); a line that does not parse says
 * why (EBADMSG and a reason).  audit_verify() is intact exactly when
 * every line checks out, and then audit_tail() sees every line parse;
 * when broken it names a line that exists and a reason.  An intact log
 * must be continued by audit_open() + one audit_write() into a log that
 * still verifies, one line longer.  A failed check aborts, which libFuzzer
 * reports as a crash.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/audit.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[] = "/tmp/cairn-fuzz-audit.XXXXXX";
static char	 path[sizeof(dir) + 16];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	atexit(cleanup);
	return 0;
}

static int
is_hex64(const char *s)
{
	size_t	 i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static void
check_line(const char *line, size_t len)
{
	struct audit_record	 r;
	char			 err[256];
	size_t			 i;

	err[0] = '\0';
	if (audit_parse_line(line, len, &r, err, sizeof(err)) == -1) {
		if (errno != EBADMSG || err[0] == '\0' || r.mem_ != NULL)
			abort();
		return;
	}
	if (r.event == NULL || r.fields == NULL || !is_hex64(r.prev) ||
	    r.linelen != len || memcmp(r.line, line, len) != 0 ||
	    r.time[0] == '\0')
		abort();
	for (i = 0; i < r.nfields; i++)
		if (r.fields[i].key == NULL || (r.fields[i].type != AUDIT_STR &&
		    r.fields[i].type != AUDIT_INT &&
		    r.fields[i].type != AUDIT_UINT))
			abort();
	if (r.fields[r.nfields].key != NULL)
		abort();
	audit_record_free(&r);
}

struct tail_acc {
	size_t	 n, bad;
};

static int
on_record(const struct audit_record *r, void *arg)
{
	struct tail_acc	*acc = arg;

	if (r->line == NULL)
		abort();
	acc->n++;
	if (r->event == NULL)
		acc->bad++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct audit_report	 rep, rep2;
	struct tail_acc		 acc = { 0, 0 };
	struct audit		*a;
	const char		*text, *p, *end, *nl;
	char			 err[256], head[65];
	size_t			 nlines = 0, tail_n;
	int			 fd, anchored, rc;

	if (len < 1 || len > 256 * 1024)
		return 0;
	tail_n = data[0] & 3;
	anchored = (data[0] & 4) != 0;
	text = (const char *)data + 1;
	end = text + len - 1;

	/* every line, complete or not, through the parser */
	for (p = text; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			check_line(p, (size_t)(end - p));
			break;
		}
		check_line(p, (size_t)(nl - p));
		nlines++;
	}

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || (len > 1 && write(fd, text, len - 1) !=
	    (ssize_t)(len - 1)))
		abort();
	close(fd);

	/* without an anchor, then anchored at the last head it reported */
	rc = audit_verify(path, 0, NULL, &rep);
	if (rc == 0) {
		if (rep.bad_line != 0 || rep.lines != nlines ||
		    rep.last_seq != nlines || p < end || !is_hex64(rep.head))
			abort();
	} else {
		if (errno != EBADMSG || rep.bad_line == 0 ||
		    rep.bad_line > nlines + 1 || rep.reason[0] == '\0')
			abort();
	}
	if (anchored && rc == 0) {
		if (audit_verify(path, 0, rep.head, &rep2) != 0 ||
		    audit_verify(path, rep.lines + 1, rep.head, &rep2) != -1 ||
		    rep2.bad_line != rep.lines + 1)
			abort();
	}

	err[0] = '\0';
	if (audit_tail(path, tail_n, on_record, &acc, err, sizeof(err)) != 0)
		abort();
	if (acc.n > nlines || (tail_n == 0 && acc.n != nlines) ||
	    (tail_n > 0 && acc.n != (nlines < tail_n ? nlines : tail_n)) ||
	    (rc == 0 && acc.bad != 0))
		abort();

	/* an intact log is continued, and stays intact */
	if (rc == 0) {
		if ((a = audit_open(path, err, sizeof(err))) == NULL)
			abort();
		if (audit_seq(a) != rep.lines ||
		    strcmp(audit_head(a), rep.head) != 0)
			abort();
		if (audit_write(a, "fuzz", AF_STR("k", "v")) == -1)
			abort();
		memcpy(head, audit_head(a), sizeof(head));
		audit_close(a);
		if (audit_verify(path, 0, head, &rep2) != 0 ||
		    rep2.lines != rep.lines + 1)
			abort();
	}
	return 0;
}
