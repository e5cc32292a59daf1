/* audit_parse.c -- reading one audit line back (see audit.h) */
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

/* A JSON integer at ps->p into f: AUDIT_UINT, or AUDIT_INT if negative. */
static int
parse_int(struct parser *ps, struct audit_field *f)
{
	const char	*q;
	uint64_t	 u = 0;
	int		 neg;

	neg = *ps->p == '-';
	if (neg)
		ps->p++;
	q = ps->p;
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		unsigned d = (unsigned)(*ps->p - '0');

		if (u > (UINT64_MAX - d) / 10) {
			perr(ps, "number out of range");
			return -1;
		}
		u = u * 10 + d;
		ps->p++;
	}
	if (ps->p == q || (ps->p < ps->end && (*ps->p == '.' ||
	    *ps->p == 'e' || *ps->p == 'E'))) {
		perr(ps, "integer expected");
		return -1;
	}
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1) {
			perr(ps, "number out of range");
			return -1;
		}
		f->type = AUDIT_INT;
		f->v.i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		f->type = AUDIT_UINT;
		f->v.u = u;
	}
	return 0;
}

/* One value into f: a string, null or an integer. */
static int
parse_value(struct parser *ps, struct audit_field *f)
{
	char	*v;

	if (ps->p < ps->end && *ps->p == '"') {
		if ((v = parse_str(ps)) == NULL)
			return -1;
		f->type = AUDIT_STR;
		f->v.s = v;
	} else if (ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
		f->type = AUDIT_STR;
		f->v.s = NULL;
		ps->p += 4;
	} else if (ps->p < ps->end && (*ps->p == '-' ||
	    (*ps->p >= '0' && *ps->p <= '9'))) {
		return parse_int(ps, f);
	} else {
		perr(ps, "string, integer or null expected");
		return -1;
	}
	return 0;
}

/*
 * The flat object that is the whole line, into *kvp (grown here, owned by
 * the caller even on failure) and *nkvp, with room for one more entry.
 */
static int
parse_object(struct parser *ps, struct audit_field **kvp, size_t *nkvp)
{
	size_t	 cap = 0;
	char	*key;

	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p++ != '{') {
		perr(ps, "object expected");
		return -1;
	}
	for (;;) {
		skip_ws(ps);
		if ((key = parse_str(ps)) == NULL)
			return -1;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p++ != ':') {
			perr(ps, "':' expected");
			return -1;
		}
		skip_ws(ps);
		if (*nkvp + 1 >= cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*kvp = xreallocarray(*kvp, cap, sizeof(**kvp));
		}
		(*kvp)[*nkvp].key = key;
		if (parse_value(ps, &(*kvp)[*nkvp]) == -1)
			return -1;
		(*nkvp)++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			break;
		}
		perr(ps, "',' or '}' expected");
		return -1;
	}
	skip_ws(ps);
	if (ps->p != ps->end) {
		perr(ps, "garbage after the object");
		return -1;
	}
	return 0;
}

/*
 * The fixed keys in their fixed places (seq, time, event first, prev
 * last), then r's fields: on success r owns kv, shifted down over
 * seq/time/event and ended with a NULL key.
 */
static int
parse_fields(struct audit_record *r, struct audit_field *kv, size_t nkv,
    char *err, size_t errlen)
{
	char	*v;
	size_t	 i;
	time_t	 t;

	if (nkv < 4 || strcmp(kv[0].key, "seq") != 0 ||
	    kv[0].type != AUDIT_UINT || strcmp(kv[1].key, "time") != 0 ||
	    kv[1].type != AUDIT_STR || kv[1].v.s == NULL ||
	    strcmp(kv[2].key, "event") != 0 || kv[2].type != AUDIT_STR ||
	    kv[2].v.s == NULL || strcmp(kv[nkv - 1].key, "prev") != 0 ||
	    kv[nkv - 1].type != AUDIT_STR || kv[nkv - 1].v.s == NULL) {
		seterr(err, errlen, "not an audit record: seq, time, event "
		    "first and prev last expected");
		errno = EBADMSG;
		return -1;
	}
	if (stamp_time(kv[1].v.s, &t) == -1) {
		seterr(err, errlen, "bad time \"%.40s\"", kv[1].v.s);
		errno = EBADMSG;
		return -1;
	}
	v = (char *)kv[nkv - 1].v.s;
	for (i = 0; v[i] != '\0'; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' &&
		    v[i] <= 'f')))
			break;
	if (i != 64 || v[i] != '\0') {
		seterr(err, errlen, "prev is not a lowercase hex SHA-256");
		errno = EBADMSG;
		return -1;
	}
	r->seq = kv[0].v.u;
	snprintf(r->time, sizeof(r->time), "%s", kv[1].v.s);
	r->event = (char *)kv[2].v.s;
	memcpy(r->prev, v, 65);
	memmove(kv, kv + 3, (nkv - 4) * sizeof(*kv));
	r->nfields = nkv - 4;
	kv[r->nfields].key = NULL;
	r->fields = kv;
	return 0;
}

int
audit_parse_line(const char *line, size_t len, struct audit_record *r,
    char *err, size_t errlen)
{
	struct parser		 ps;
	struct audit_field	*kv = NULL;
	struct buf		 b = { 0 };
	size_t			 nkv = 0;
	char			*arena;
	int			 saved;

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
	if (parse_object(&ps, &kv, &nkv) == -1 ||
	    parse_fields(r, kv, nkv, err, errlen) == -1)
		goto fail;
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
	saved = errno;
	free(b.p);
	free(kv);
	audit_record_free(r);
	errno = saved;
	return -1;
}
