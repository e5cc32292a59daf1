/* audit_read.c -- the chain check and tailing a trail (see audit.h) */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/buf.h"
#include "cairn/sha256.h"
#include "cairn/util.h"
#include "audit_int.h"

/* --- writing ------------------------------------------------------- */

/*
 * Finds the last complete line in the last bytes of the file.  On return
 * *torn is the length of a fragment after the last newline, and
 * line/linelen the last complete line (linelen 0 and line NULL: none).
 */
int
read_tail(int fd, off_t size, char **bufp, const char **line, size_t *linelen,
    off_t *torn, char *err, size_t errlen, const char *path)
{
	size_t		 want, n;
	char		*buf, *nl, *start;
	ssize_t		 r;

	*bufp = NULL;
	*line = NULL;
	*linelen = 0;
	*torn = 0;
	if (size == 0)
		return 0;
	want = size > 2 * AUDIT_LINE_MAX ? 2 * AUDIT_LINE_MAX : (size_t)size;
	buf = xmalloc(want + 1);
	r = pread(fd, buf, want, size - (off_t)want);
	if (r != (ssize_t)want) {
		if (r >= 0)
			errno = EIO;
		seterr(err, errlen, "%s: read: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	n = want;
	if ((nl = memrchr(buf, '\n', n)) == NULL) {
		if ((off_t)want < size) {
			seterr(err, errlen, "%s: last line is longer than "
			    "%d bytes", path, AUDIT_LINE_MAX);
			free(buf);
			errno = EBADMSG;
			return -1;
		}
		*torn = (off_t)n;	/* the whole file is one torn line */
		*bufp = buf;
		return 0;
	}
	*torn = (off_t)(buf + n - (nl + 1));
	n = (size_t)(nl - buf);
	start = memrchr(buf, '\n', n);
	if (start == NULL && (off_t)want < size) {
		seterr(err, errlen, "%s: last line is longer than %d bytes",
		    path, AUDIT_LINE_MAX);
		free(buf);
		errno = EBADMSG;
		return -1;
	}
	start = start == NULL ? buf : start + 1;
	*line = start;
	*linelen = (size_t)(buf + n - start);
	*bufp = buf;
	return 0;
}

struct from_state {
	uint64_t		 anchor_seq;
	const char		*anchor_head;
	uint64_t		 seq;		/* of the last line seen */
	char			 head[65];
	struct audit_report	*rep;
};

static int
from_line(const struct audit_record *r, void *arg)
{
	struct from_state	*fs = arg;
	struct audit_report	*rep = fs->rep;
	char			 h[65];

	rep->bad_line = r->lineno;
	if (r->event == NULL)
		return snprintf(rep->reason, sizeof(rep->reason), "line does "
		    "not parse"), -1;
	sha256_hex(h, r->line, r->linelen);
	if (fs->seq == 0) {
		if (r->seq != fs->anchor_seq || strcmp(h, fs->anchor_head) != 0)
			return snprintf(rep->reason, sizeof(rep->reason),
			    "the line with seq %llu is not the one recorded "
			    "(rewritten or rewound)",
			    (unsigned long long)fs->anchor_seq), -1;
	} else if (r->seq != fs->seq + 1 || strcmp(r->prev, fs->head) != 0)
		return snprintf(rep->reason, sizeof(rep->reason), "seq %llu "
		    "does not follow seq %llu", (unsigned long long)r->seq,
		    (unsigned long long)fs->seq), -1;
	fs->seq = r->seq;
	memcpy(fs->head, h, sizeof(h));
	rep->lines++;
	rep->bad_line = 0;
	return 0;
}

int
audit_verify_from(const char *path, uint64_t anchor_seq,
    const char *anchor_head, uint64_t last_seq, struct audit_report *rep)
{
	struct from_state	 fs = { anchor_seq, anchor_head, 0, "", rep };
	char			 err[200];
	int			 rc;

	memset(rep, 0, sizeof(*rep));
	if (last_seq < anchor_seq) {
		snprintf(rep->reason, sizeof(rep->reason), "the trail ends at "
		    "seq %llu, before seq %llu recorded in the catalog (lines "
		    "deleted, cut off or rewound)",
		    (unsigned long long)last_seq,
		    (unsigned long long)anchor_seq);
		errno = EBADMSG;
		return -1;
	}
	rc = audit_tail(path, (size_t)(last_seq - anchor_seq + 1), from_line,
	    &fs, err, sizeof(err));
	if (rc == -1 && errno != 0 && rep->reason[0] == '\0') {
		snprintf(rep->reason, sizeof(rep->reason), "%s", err);
		return -1;
	}
	if (rc == 0 && fs.seq != last_seq) {
		snprintf(rep->reason, sizeof(rep->reason), "the trail ends at "
		    "seq %llu, expected %llu", (unsigned long long)fs.seq,
		    (unsigned long long)last_seq);
		rc = -1;
	}
	if (rc != 0) {
		errno = EBADMSG;
		return -1;
	}
	rep->last_seq = fs.seq;
	memcpy(rep->head, fs.head, sizeof(rep->head));
	return 0;
}

/* --- reading ------------------------------------------------------- */

/* What audit_verify() carries from one line to the next. */
struct verify_state {
	uint64_t	 base;		/* seq before the first line */
	time_t		 last_t;
	uint64_t	 anchor_seq;
	const char	*anchor_head;	/* NULL: no anchor */
};

static int __attribute__((format(printf, 3, 4)))
verify_bad(struct audit_report *rep, uint64_t line, const char *fmt, ...)
{
	va_list	 ap;

	rep->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
	return -1;
}

/* One line (its newline removed) against the chain so far; -1 if bad. */
static int
verify_line(struct audit_report *rep, struct verify_state *vs,
    const char *line, size_t n)
{
	struct audit_record	 rec;
	char			 why[200];
	uint64_t		 seq;
	time_t			 t;
	int			 bad;

	if (audit_parse_line(line, n, &rec, why, sizeof(why)) == -1)
		return verify_bad(rep, rep->lines + 1, "%s", why);
	if (rep->lines == 0 && rec.seq > 1 &&
	    strcmp(rec.event, AUDIT_CONTINUED) == 0) {
		/* a rotated log: it goes on from an earlier file */
		vs->base = rec.seq - 1;
		rep->first_seq = rec.seq;
		memcpy(rep->continues, rec.prev, sizeof(rep->continues));
		memcpy(rep->head, rec.prev, sizeof(rep->head));
	}
	seq = rec.seq;
	bad = strcmp(rec.prev, rep->head) != 0;
	(void)stamp_time(rec.time, &t);	/* checked by the parser */
	audit_record_free(&rec);
	if (seq != vs->base + rep->lines + 1)
		return verify_bad(rep, rep->lines + 1, "seq %" PRIu64 " where "
		    "%" PRIu64 " was expected: a line was removed, inserted "
		    "or moved", seq, vs->base + rep->lines + 1);
	if (bad && rep->lines == 0)
		return verify_bad(rep, 1, "prev of the first line is not "
		    "%.8s...", AUDIT_HASH_ZERO);
	if (bad)	/* seq is in order: the line before was changed */
		return verify_bad(rep, rep->lines, "does not hash to the prev "
		    "of line %" PRIu64 ": this line (or that prev) was "
		    "changed", rep->lines + 1);
	if (rep->lines > 0 && t < vs->last_t)
		rep->time_backwards++;
	vs->last_t = t;
	sha256_hex(rep->head, line, n);
	rep->lines++;
	rep->last_seq = vs->base + rep->lines;
	if (vs->anchor_head != NULL && vs->anchor_seq == rep->last_seq &&
	    strcmp(vs->anchor_head, rep->head) != 0)
		return verify_bad(rep, rep->lines, "hashes to %.12s..., not "
		    "the anchor %.12s...: this line was changed", rep->head,
		    vs->anchor_head);
	return 0;
}

/* At the end of the file: the anchor must have been reached. */
static int
verify_end(struct audit_report *rep, const struct verify_state *vs)
{
	if (vs->anchor_head != NULL && vs->anchor_seq > rep->last_seq)
		return verify_bad(rep, rep->lines + 1, "the log ends at seq "
		    "%" PRIu64 ", before the anchor at %" PRIu64 ": lines were "
		    "cut off the end", rep->last_seq, vs->anchor_seq);
	if (vs->anchor_head != NULL && vs->anchor_seq == 0 &&
	    strcmp(vs->anchor_head, rep->head) != 0)
		return verify_bad(rep, rep->lines == 0 ? 1 : rep->lines,
		    "the log ends with %.12s..., not the anchor %.12s...: the "
		    "last line was changed or lines were cut off the end",
		    rep->head, vs->anchor_head);
	return 0;
}

int
audit_verify(const char *path, uint64_t anchor_seq, const char *anchor_head,
    struct audit_report *rep)
{
	struct verify_state	 vs = { .anchor_seq = anchor_seq,
	    .anchor_head = anchor_head };
	FILE			*fp;
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	int			 rc = 0, saved;

	memset(rep, 0, sizeof(*rep));
	memcpy(rep->head, AUDIT_HASH_ZERO, 65);
	if ((fp = fopen(path, "re")) == NULL) {
		saved = errno;
		seterr(rep->reason, sizeof(rep->reason), "%s: %s", path,
		    strerror(errno));
		errno = saved;
		return -1;
	}
	while (rc == 0 && (n = getdelim(&line, &cap, '\n', fp)) > 0) {
		if (line[n - 1] != '\n')
			rc = verify_bad(rep, rep->lines + 1, "no newline at "
			    "the end: a torn write or a cut");
		else {
			line[--n] = '\0';
			rc = verify_line(rep, &vs, line, (size_t)n);
		}
	}
	if (rc == 0 && ferror(fp)) {
		saved = errno;
		seterr(rep->reason, sizeof(rep->reason), "%s: read: %s", path,
		    strerror(errno));
		fclose(fp);
		free(line);
		errno = saved;
		return -1;
	}
	if (rc == 0)
		rc = verify_end(rep, &vs);
	fclose(fp);
	free(line);
	if (rc == -1)
		errno = EBADMSG;
	return rc;
}

/* The offset where the last n complete lines before end start. */
static int
tail_start(int fd, off_t end, size_t n, off_t *start)
{
	char	 blk[65536];
	off_t	 pos = end - 1;	/* skip the newline that ends the last line */
	size_t	 seen = 0, len, i;
	ssize_t	 r;

	*start = 0;
	while (pos > 0) {
		len = pos > (off_t)sizeof(blk) ? sizeof(blk) : (size_t)pos;
		pos -= (off_t)len;
		if ((r = pread(fd, blk, len, pos)) != (ssize_t)len) {
			if (r >= 0)
				errno = EIO;
			return -1;
		}
		for (i = len; i-- > 0;)
			if (blk[i] == '\n' && ++seen == n) {
				*start = pos + (off_t)i + 1;
				return 0;
			}
	}
	return 0;
}

int
audit_tail(const char *path, size_t n, audit_record_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct audit_record	 rec;
	struct stat		 st;
	FILE			*fp;
	char			*line = NULL, c;
	size_t			 cap = 0;
	ssize_t			 len;
	off_t			 end, start = 0, at;
	uint64_t		 lineno = 0;
	int			 fd, rc = 0, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		saved = errno;
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto ioerr;
	/* leave out a torn last line */
	for (end = st.st_size; end > 0; end--) {
		if (pread(fd, &c, 1, end - 1) != 1)
			goto ioerr;
		if (c == '\n')
			break;
	}
	if (n > 0 && end > 0 && tail_start(fd, end, n, &start) == -1)
		goto ioerr;
	if (fseeko(fp, start, SEEK_SET) == -1)
		goto ioerr;
	at = start;
	while (at < end && (len = getdelim(&line, &cap, '\n', fp)) > 0) {
		at += len;
		line[--len] = '\0';
		lineno++;
		if (audit_parse_line(line, (size_t)len, &rec, NULL, 0) == -1) {
			memset(&rec, 0, sizeof(rec));
			rec.line = line;
			rec.linelen = (size_t)len;
			rec.fields = NULL;
		}
		rec.lineno = start == 0 ? lineno : 0;
		rc = fn(&rec, arg);
		if (rec.mem_ != NULL)
			audit_record_free(&rec);
		if (rc != 0)
			break;
	}
	if (ferror(fp))
		goto ioerr;
	fclose(fp);
	free(line);
	return rc;
ioerr:
	saved = errno;
	seterr(err, errlen, "%s: read: %s", path, strerror(errno));
	fclose(fp);
	free(line);
	errno = saved;
	return -1;
}
