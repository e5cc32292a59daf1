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

#define AUDIT_NAME_MAX	64

struct audit {
	int		 fd;
	char		*path;
	uint64_t	 seq;		/* of the last line */
	char		 head[65];	/* its hash */
	off_t		 size;		/* of the file: we are its only writer */
	audit_hook_fn	 hook;		/* after each write, or NULL */
	void		*hook_arg;
};

static void __attribute__((format(printf, 3, 4)))
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
static int
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

/* --- parsing ------------------------------------------------------- */

struct parser {
	const char	*p, *end;
	char		*out;		/* arena for decoded strings */
	char		*err;
	size_t		 errlen;
	const char	*start;
};

static int __attribute__((format(printf, 2, 3)))
perr(struct parser *ps, const char *fmt, ...)
{
	char	 msg[160];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(ps->err, ps->errlen, "bad JSON at byte %td: %s",
	    ps->p - ps->start + 1, msg);
	errno = EBADMSG;
	return -1;
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
hex4(const char *p, unsigned *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			*v |= (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			*v |= (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			*v |= (unsigned)(p[i] - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static char *
put_utf8(char *o, unsigned c)
{
	if (c < 0x80)
		*o++ = (char)c;
	else if (c < 0x800) {
		*o++ = (char)(0xc0 | (c >> 6));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | (c >> 12));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | (c >> 18));
		*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	return o;
}

/* Decodes a JSON string at ps->p into the arena; returns it or NULL. */
static char *
parse_str(struct parser *ps)
{
	char		*s = ps->out, *o = ps->out;
	unsigned	 c, lo;

	if (ps->p >= ps->end || *ps->p != '"') {
		perr(ps, "string expected");
		return NULL;
	}
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end) {
			perr(ps, "unterminated string");
			return NULL;
		}
		c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c < 0x20) {
			perr(ps, "raw control character in string");
			return NULL;
		}
		if (c != '\\') {
			*o++ = (char)c;
			ps->p++;
			continue;
		}
		if (ps->end - ps->p < 2) {
			perr(ps, "unterminated escape");
			return NULL;
		}
		switch (ps->p[1]) {
		case '"':	*o++ = '"'; break;
		case '\\':	*o++ = '\\'; break;
		case '/':	*o++ = '/'; break;
		case 'b':	*o++ = '\b'; break;
		case 'f':	*o++ = '\f'; break;
		case 'n':	*o++ = '\n'; break;
		case 'r':	*o++ = '\r'; break;
		case 't':	*o++ = '\t'; break;
		case 'u':
			if (ps->end - ps->p < 6 || hex4(ps->p + 2, &c) == -1) {
				perr(ps, "bad \\u escape");
				return NULL;
			}
			if (c == 0) {
				perr(ps, "NUL in string");
				return NULL;
			}
			if (c >= 0xdc00 && c <= 0xdfff) {
				perr(ps, "lone low surrogate");
				return NULL;
			}
			if (c >= 0xd800 && c <= 0xdbff) {
				if (ps->end - ps->p < 12 || ps->p[6] != '\\' ||
				    ps->p[7] != 'u' || hex4(ps->p + 8, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					perr(ps, "lone high surrogate");
					return NULL;
				}
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				ps->p += 6;
			}
			o = put_utf8(o, c);
			ps->p += 4;
			break;
		default:
			perr(ps, "bad escape");
			return NULL;
		}
		ps->p += 2;
	}
	ps->p++;
	*o++ = '\0';
	ps->out = o;
	return s;
}

void
audit_record_free(struct audit_record *r)
{
	if (r == NULL)
		return;
	free(r->fields);
	free(r->mem_);
	memset(r, 0, sizeof(*r));
}

static int
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

int
audit_parse_line(const char *line, size_t len, struct audit_record *r,
    char *err, size_t errlen)
{
	struct parser		 ps;
	struct audit_field	*kv = NULL;
	struct buf		 b = { 0 };
	size_t			 nkv = 0, cap = 0, i;
	char			*arena, *key, *v;
	const char		*q;
	time_t			 t;
	int			 neg;

	memset(r, 0, sizeof(*r));
	if (len >= AUDIT_LINE_MAX) {
		seterr(err, errlen, "line of %zu bytes is too long", len);
		errno = EBADMSG;
		return -1;
	}
	/* decoded strings never outgrow their escaped form */
	arena = xmalloc(2 * len + 2);
	memcpy(arena, line, len);
	arena[len] = '\0';
	r->mem_ = arena;
	r->line = arena;
	r->linelen = len;
	ps.start = ps.p = line;
	ps.end = line + len;
	ps.out = arena + len + 1;
	ps.err = err;
	ps.errlen = errlen;

	if (memchr(line, '\0', len) != NULL) {
		seterr(err, errlen, "NUL byte in line");
		errno = EBADMSG;
		goto fail;
	}
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p++ != '{') {
		perr(&ps, "object expected");
		goto fail;
	}
	for (;;) {
		skip_ws(&ps);
		if ((key = parse_str(&ps)) == NULL)
			goto fail;
		skip_ws(&ps);
		if (ps.p >= ps.end || *ps.p++ != ':') {
			perr(&ps, "':' expected");
			goto fail;
		}
		skip_ws(&ps);
		if (nkv + 1 >= cap) {
			cap = cap == 0 ? 16 : cap * 2;
			kv = xreallocarray(kv, cap, sizeof(*kv));
		}
		kv[nkv].key = key;
		if (ps.p < ps.end && *ps.p == '"') {
			if ((v = parse_str(&ps)) == NULL)
				goto fail;
			kv[nkv].type = AUDIT_STR;
			kv[nkv].v.s = v;
		} else if (ps.end - ps.p >= 4 && memcmp(ps.p, "null", 4) == 0) {
			kv[nkv].type = AUDIT_STR;
			kv[nkv].v.s = NULL;
			ps.p += 4;
		} else if (ps.p < ps.end && (*ps.p == '-' ||
		    (*ps.p >= '0' && *ps.p <= '9'))) {
			uint64_t	 u = 0;

			neg = *ps.p == '-';
			if (neg)
				ps.p++;
			q = ps.p;
			while (ps.p < ps.end && *ps.p >= '0' && *ps.p <= '9') {
				unsigned d = (unsigned)(*ps.p - '0');

				if (u > (UINT64_MAX - d) / 10) {
					perr(&ps, "number out of range");
					goto fail;
				}
				u = u * 10 + d;
				ps.p++;
			}
			if (ps.p == q || (ps.p < ps.end && (*ps.p == '.' ||
			    *ps.p == 'e' || *ps.p == 'E'))) {
				perr(&ps, "integer expected");
				goto fail;
			}
			if (neg) {
				if (u > (uint64_t)INT64_MAX + 1) {
					perr(&ps, "number out of range");
					goto fail;
				}
				kv[nkv].type = AUDIT_INT;
				kv[nkv].v.i = u == (uint64_t)INT64_MAX + 1 ?
				    INT64_MIN : -(int64_t)u;
			} else {
				kv[nkv].type = AUDIT_UINT;
				kv[nkv].v.u = u;
			}
		} else {
			perr(&ps, "string, integer or null expected");
			goto fail;
		}
		nkv++;
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p == ',') {
			ps.p++;
			continue;
		}
		if (ps.p < ps.end && *ps.p == '}') {
			ps.p++;
			break;
		}
		perr(&ps, "',' or '}' expected");
		goto fail;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		perr(&ps, "garbage after the object");
		goto fail;
	}

	/* the fixed keys, in their fixed places */
	if (nkv < 4 || strcmp(kv[0].key, "seq") != 0 ||
	    kv[0].type != AUDIT_UINT || strcmp(kv[1].key, "time") != 0 ||
	    kv[1].type != AUDIT_STR || kv[1].v.s == NULL ||
	    strcmp(kv[2].key, "event") != 0 || kv[2].type != AUDIT_STR ||
	    kv[2].v.s == NULL || strcmp(kv[nkv - 1].key, "prev") != 0 ||
	    kv[nkv - 1].type != AUDIT_STR || kv[nkv - 1].v.s == NULL) {
		seterr(err, errlen, "not an audit record: seq, time, event "
		    "first and prev last expected");
		errno = EBADMSG;
		goto fail;
	}
	if (stamp_time(kv[1].v.s, &t) == -1) {
		seterr(err, errlen, "bad time \"%.40s\"", kv[1].v.s);
		errno = EBADMSG;
		goto fail;
	}
	v = (char *)kv[nkv - 1].v.s;
	for (i = 0; v[i] != '\0'; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' &&
		    v[i] <= 'f')))
			break;
	if (i != 64 || v[i] != '\0') {
		seterr(err, errlen, "prev is not a lowercase hex SHA-256");
		errno = EBADMSG;
		goto fail;
	}
	r->seq = kv[0].v.u;
	snprintf(r->time, sizeof(r->time), "%s", kv[1].v.s);
	r->event = (char *)kv[2].v.s;
	memcpy(r->prev, v, 65);
	/* fields: shift down over seq/time/event, end with AF_END */
	memmove(kv, kv + 3, (nkv - 4) * sizeof(*kv));
	r->nfields = nkv - 4;
	kv[r->nfields].key = NULL;
	r->fields = kv;
	kv = NULL;

	/* exactly what audit_write() would have written */
	if (build_line(&b, r->seq, r->time, r->event, r->fields, r->prev,
	    SIZE_MAX, err, errlen) == -1) {
		errno = EBADMSG;
		goto fail;
	}
	if (b.len != len || memcmp(b.p, line, len) != 0) {
		seterr(err, errlen, "not in canonical form (whitespace, "
		    "escapes or number format changed)");
		errno = EBADMSG;
		goto fail;
	}
	free(b.p);
	return 0;
fail:
	i = (size_t)errno;
	free(b.p);
	free(kv);
	audit_record_free(r);
	errno = (int)i;
	return -1;
}

/* --- writing ------------------------------------------------------- */

/*
 * Finds the last complete line in the last bytes of the file.  On return
 * *torn is the length of a fragment after the last newline, and
 * line/linelen the last complete line (linelen 0 and line NULL: none).
 */
static int
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

int
audit_writev(struct audit *a, const char *event,
    const struct audit_field *fields)
{
	return audit_writev_at(a, time(NULL), event, fields);
}

/* --- reading ------------------------------------------------------- */

int
audit_verify(const char *path, uint64_t anchor_seq, const char *anchor_head,
    struct audit_report *rep)
{
	struct audit_record	 rec;
	FILE			*fp;
	char			*line = NULL, why[200], h[65];
	size_t			 cap = 0;
	ssize_t			 n;
	time_t			 t, last_t = 0;
	uint64_t		 base = 0;
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
#define BAD(...)	do {						\
		rep->bad_line = rep->lines + 1;				\
		seterr(rep->reason, sizeof(rep->reason), __VA_ARGS__);	\
		rc = -1;						\
		goto out;						\
	} while (0)
	while ((n = getdelim(&line, &cap, '\n', fp)) > 0) {
		if (line[n - 1] != '\n')
			BAD("no newline at the end: a torn write or a cut");
		line[--n] = '\0';
		if (audit_parse_line(line, (size_t)n, &rec, why,
		    sizeof(why)) == -1)
			BAD("%s", why);
		if (rep->lines == 0 && rec.seq > 1 &&
		    strcmp(rec.event, AUDIT_CONTINUED) == 0) {
			/* a rotated log: it goes on from an earlier file */
			base = rec.seq - 1;
			rep->first_seq = rec.seq;
			memcpy(rep->continues, rec.prev, sizeof(rep->continues));
			memcpy(rep->head, rec.prev, sizeof(rep->head));
		}
		if (rec.seq != base + rep->lines + 1) {
			snprintf(h, sizeof(h), "%" PRIu64, rec.seq);
			audit_record_free(&rec);
			BAD("seq %s where %" PRIu64 " was expected: a line was "
			    "removed, inserted or moved", h,
			    base + rep->lines + 1);
		}
		if (strcmp(rec.prev, rep->head) != 0) {
			audit_record_free(&rec);
			if (rep->lines == 0)
				BAD("prev of the first line is not %.8s...",
				    AUDIT_HASH_ZERO);
			/* seq is in order: the line before was changed */
			rep->bad_line = rep->lines;
			seterr(rep->reason, sizeof(rep->reason),
			    "does not hash to the prev of line %" PRIu64
			    ": this line (or that prev) was changed",
			    rep->lines + 1);
			rc = -1;
			goto out;
		}
		(void)stamp_time(rec.time, &t);	/* checked by the parser */
		if (rep->lines > 0 && t < last_t)
			rep->time_backwards++;
		last_t = t;
		audit_record_free(&rec);
		sha256_hex(rep->head, line, (size_t)n);
		rep->lines++;
		rep->last_seq = base + rep->lines;
		if (anchor_head != NULL && anchor_seq == rep->last_seq &&
		    strcmp(anchor_head, rep->head) != 0) {
			rep->bad_line = rep->lines;
			seterr(rep->reason, sizeof(rep->reason), "hashes to "
			    "%.12s..., not the anchor %.12s...: this line was "
			    "changed", rep->head, anchor_head);
			rc = -1;
			goto out;
		}
	}
	if (ferror(fp)) {
		saved = errno;
		seterr(rep->reason, sizeof(rep->reason), "%s: read: %s", path,
		    strerror(errno));
		fclose(fp);
		free(line);
		errno = saved;
		return -1;
	}
	if (anchor_head != NULL && anchor_seq > rep->last_seq) {
		rep->bad_line = rep->lines + 1;
		seterr(rep->reason, sizeof(rep->reason), "the log ends at seq "
		    "%" PRIu64 ", before the anchor at %" PRIu64 ": lines were "
		    "cut off the end", rep->last_seq, anchor_seq);
		rc = -1;
	} else if (anchor_head != NULL && anchor_seq == 0 &&
	    strcmp(anchor_head, rep->head) != 0) {
		rep->bad_line = rep->lines == 0 ? 1 : rep->lines;
		seterr(rep->reason, sizeof(rep->reason), "the log ends with "
		    "%.12s..., not the anchor %.12s...: the last line was "
		    "changed or lines were cut off the end", rep->head,
		    anchor_head);
		rc = -1;
	}
#undef BAD
out:
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
