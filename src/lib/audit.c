/* audit.c -- see audit.h */
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

void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * The length of the valid UTF-8 sequence at s (n bytes left), or 0 if the
 * bytes there are not one (Unicode 15, table 3-7: no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* Appends s as a JSON string, reading at most vmax bytes of it. */
static void
json_str(struct buf *b, const char *str, size_t vmax)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n = strlen(str), i, k;

	if (n > vmax) {
		n = vmax;
		/* do not cut a character in two */
		while (n > 0 && (s[n] & 0xc0) == 0x80)
			n--;
	}
	buf_add(b, "\"", 1);
	for (i = 0; i < n; i += k) {
		k = 1;
		switch (s[i]) {
		case '"':	buf_add(b, "\\\"", 2); continue;
		case '\\':	buf_add(b, "\\\\", 2); continue;
		case '\b':	buf_add(b, "\\b", 2); continue;
		case '\f':	buf_add(b, "\\f", 2); continue;
		case '\n':	buf_add(b, "\\n", 2); continue;
		case '\r':	buf_add(b, "\\r", 2); continue;
		case '\t':	buf_add(b, "\\t", 2); continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f) {
			buf_printf(b, "\\u%04x", s[i]);
			continue;
		}
		if (s[i] < 0x80) {
			buf_add(b, s + i, 1);
			continue;
		}
		if ((k = utf8_len(s + i, n - i)) == 0) {
			buf_add(b, "\xef\xbf\xbd", 3);	/* U+FFFD */
			k = 1;
			continue;
		}
		/* line and paragraph separators break naive JS readers */
		if (k == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			buf_printf(b, "\\u%04x", s[i + 2] == 0xa8 ? 0x2028 : 0x2029);
			continue;
		}
		buf_add(b, s + i, k);
	}
	buf_add(b, "\"", 1);
}

static int
name_ok(const char *s, int event)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_')
			continue;
		if (event && (s[i] == '.' || s[i] == '-'))
			continue;
		return 0;
	}
	return i > 0 && i <= AUDIT_NAME_MAX;
}

static int
key_reserved(const char *k)
{
	return strcmp(k, "seq") == 0 || strcmp(k, "time") == 0 ||
	    strcmp(k, "event") == 0 || strcmp(k, "prev") == 0;
}

/*
 * Builds a line (no newline) into b.  vmax bounds string values (SIZE_MAX
 * when re-serialising a parsed line).  0, or -1 with errno and err.
 */
int
build_line(struct buf *b, uint64_t seq, const char *stamp, const char *event,
    const struct audit_field *f, const char *prev, size_t vmax,
    char *err, size_t errlen)
{
	size_t	 i, j;

	if (event == NULL || !name_ok(event, 1)) {
		seterr(err, errlen, "bad event name");
		errno = EINVAL;
		return -1;
	}
	for (i = 0; f != NULL && f[i].key != NULL; i++) {
		if (!name_ok(f[i].key, 0) || key_reserved(f[i].key)) {
			seterr(err, errlen, "bad key \"%.64s\"", f[i].key);
			errno = EINVAL;
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(f[i].key, f[j].key) == 0) {
				seterr(err, errlen, "duplicate key \"%s\"",
				    f[i].key);
				errno = EINVAL;
				return -1;
			}
	}
	b->len = 0;
	buf_printf(b, "{\"seq\":%" PRIu64 ",\"time\":", seq);
	json_str(b, stamp, SIZE_MAX);
	buf_adds(b, ",\"event\":");
	json_str(b, event, SIZE_MAX);
	for (i = 0; f != NULL && f[i].key != NULL; i++) {
		buf_adds(b, ",\"");
		buf_adds(b, f[i].key);
		buf_adds(b, "\":");
		switch (f[i].type) {
		case AUDIT_STR:
			if (f[i].v.s == NULL)
				buf_adds(b, "null");
			else
				json_str(b, f[i].v.s, vmax);
			break;
		case AUDIT_INT:
			buf_printf(b, "%" PRId64, f[i].v.i);
			break;
		case AUDIT_UINT:
			buf_printf(b, "%" PRIu64, f[i].v.u);
			break;
		default:
			seterr(err, errlen, "bad type for key \"%s\"", f[i].key);
			errno = EINVAL;
			return -1;
		}
	}
	buf_adds(b, ",\"prev\":\"");
	buf_adds(b, prev);
	buf_adds(b, "\"}");
	if (b->len + 1 > AUDIT_LINE_MAX) {
		seterr(err, errlen, "line of %zu bytes is too long", b->len);
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
stamp_time(const char *s, time_t *t)
{
	struct tm	 tm;
	char		*end;
	char		 back[32];

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ",
	    &tm)) == NULL || *end != '\0')
		return -1;
	*t = timegm(&tm);
	util_utc_stamp(back, sizeof(back), *t);
	return strcmp(back, s) == 0 ? 0 : -1;
}

struct audit *
audit_open(const char *path, char *err, size_t errlen)
{
	int	 fd;

	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return audit_fdopen(fd, path, err, errlen);
}

struct audit *
audit_fdopen(int fd, const char *path, char *err, size_t errlen)
{
	struct audit		*a;
	struct audit_record	 rec;
	struct stat		 st;
	const char		*line;
	size_t			 linelen;
	char			*buf = NULL, perr_[200], torn_hash[65];
	off_t			 torn;
	int			 saved;

	if (fstat(fd, &st) == -1) {
		seterr(err, errlen, "%s: fstat: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		errno = EINVAL;
		goto fail;
	}
	if (read_tail(fd, st.st_size, &buf, &line, &linelen, &torn, err,
	    errlen, path) == -1)
		goto fail;
	a = xcalloc(1, sizeof(*a));
	a->fd = fd;
	a->path = xstrdup(path);
	a->size = st.st_size;
	memcpy(a->head, AUDIT_HASH_ZERO, 65);
	if (line != NULL) {
		if (audit_parse_line(line, linelen, &rec, perr_,
		    sizeof(perr_)) == -1) {
			seterr(err, errlen, "%s: cannot continue the chain, "
			    "last line: %s", path, perr_);
			free(buf);
			audit_close(a);
			errno = EBADMSG;
			return NULL;
		}
		a->seq = rec.seq;
		audit_record_free(&rec);
		sha256_hex(a->head, line, linelen);
	}
	if (torn > 0) {
		/* a write that never completed: cut it off, say so */
		sha256_hex(torn_hash, buf + (st.st_size > 2 * AUDIT_LINE_MAX ?
		    2 * AUDIT_LINE_MAX : st.st_size) - torn, (size_t)torn);
		if (ftruncate(fd, st.st_size - torn) == -1 ||
		    fdatasync(fd) == -1) {
			seterr(err, errlen, "%s: cutting off a torn last line: "
			    "%s", path, strerror(errno));
			goto fail_a;
		}
		a->size = st.st_size - torn;
		if (audit_write(a, "audit_recovered",
		    AF_UINT("torn_bytes", (uint64_t)torn),
		    AF_STR("torn_sha256", torn_hash)) == -1) {
			seterr(err, errlen, "%s: write: %s", path,
			    strerror(errno));
			goto fail_a;
		}
	}
	free(buf);
	return a;
fail_a:
	saved = errno;
	free(buf);
	audit_close(a);
	errno = saved;
	return NULL;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd != -1)
		close(a->fd);
	free(a->path);
	free(a);
}

uint64_t
audit_seq(const struct audit *a)
{
	return a->seq;
}

const char *
audit_head(const struct audit *a)
{
	return a->head;
}

static int
audit_append(struct audit *a, time_t t, const char *event,
    const struct audit_field *fields)
{
	struct buf	 b = { 0 };
	char		 stamp[32];
	ssize_t		 n;
	int		 saved;

	util_utc_stamp(stamp, sizeof(stamp), t);
	if (build_line(&b, a->seq + 1, stamp, event, fields, a->head,
	    AUDIT_VALUE_MAX, NULL, 0) == -1) {
		saved = errno;
		free(b.p);
		errno = saved;
		return -1;
	}
	buf_add(&b, "\n", 1);
	n = write(a->fd, b.p, b.len);
	if (n != (ssize_t)b.len) {
		saved = n == -1 ? errno : ENOSPC;
		/* never leave half a line behind */
		if (n > 0 && ftruncate(a->fd, a->size) == -1)
			saved = errno;
		free(b.p);
		errno = saved;
		return -1;
	}
	a->size += (off_t)n;
	a->seq++;
	sha256_hex(a->head, b.p, b.len - 1);
	free(b.p);
	return fdatasync(a->fd);
}

/*
 * A file emptied under us (logrotate's copytruncate): the chain goes on,
 * and its first line says so, its prev the head of the copied-away part.
 */
static int
audit_truncated(struct audit *a, time_t t)
{
	struct stat	 st;

	if (fstat(a->fd, &st) == -1 || st.st_size >= a->size)
		return 0;
	a->size = st.st_size;
	if (st.st_size != 0)
		return 0;	/* not ours to judge: appended to */
	return audit_append(a, t, AUDIT_CONTINUED, (const struct audit_field[]){
	    AF_STR("reason", "truncated"), AF_END });
}

int
audit_reopen(struct audit *a, char *err, size_t errlen)
{
	struct stat	 old, cur;
	int		 fd, rc, saved;

	fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0640);
	if (fd == -1) {
		seterr(err, errlen, "%s: %s", a->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &cur) == -1 || fstat(a->fd, &old) == -1) {
		saved = errno;
		seterr(err, errlen, "%s: fstat: %s", a->path, strerror(errno));
		close(fd);
		errno = saved;
		return -1;
	}
	if (cur.st_dev == old.st_dev && cur.st_ino == old.st_ino) {
		close(fd);
		return 0;
	}
	if (!S_ISREG(cur.st_mode) || cur.st_size != 0) {
		close(fd);
		seterr(err, errlen, "%s: not the file cairnd writes and not "
		    "empty: still writing the rotated one", a->path);
		errno = EEXIST;
		return -1;
	}
	close(a->fd);
	a->fd = fd;
	a->size = 0;
	rc = audit_append(a, time(NULL), AUDIT_CONTINUED,
	    (const struct audit_field[]){ AF_STR("reason", "reopened"),
	    AF_END });
	saved = errno;
	/* the catalog's anchor follows the new file's first line */
	if (a->hook != NULL)
		a->hook(a, rc == -1 ? saved : 0, a->hook_arg);
	if (rc == -1) {
		seterr(err, errlen, "%s: write: %s", a->path, strerror(saved));
		errno = saved;
		return -1;
	}
	return 1;
}

int
audit_writev_at(struct audit *a, time_t t, const char *event,
    const struct audit_field *fields)
{
	int	 rc, saved;

	rc = audit_truncated(a, t);
	if (rc != -1)
		rc = audit_append(a, t, event, fields);
	saved = errno;
	if (a->hook != NULL)
		a->hook(a, rc == -1 ? saved : 0, a->hook_arg);
	errno = saved;
	return rc;
}

void
audit_set_hook(struct audit *a, audit_hook_fn fn, void *arg)
{
	a->hook = fn;
	a->hook_arg = arg;
}

int
audit_writev(struct audit *a, const char *event,
    const struct audit_field *fields)
{
	return audit_writev_at(a, time(NULL), event, fields);
}
