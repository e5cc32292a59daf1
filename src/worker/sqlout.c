/* sqlout.c -- see sqlout.h */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlout.h"
#include "cairn/sqlscan.h"
#include "cairn/util.h"

struct sqlout {
	sqlout_sink_fn	 sink;
	void		*arg;		/* borrows */
	char		*buf;		/* owns */
	size_t		 len;
	size_t		 cap;
	uint64_t	 total;
	int		 err;		/* sticky errno of the sink */
	int		 wrap;		/* inside sqlout_wrap_begin() */
};

struct sqlout *
sqlout_new(sqlout_sink_fn sink, void *arg, size_t bufsize)
{
	struct sqlout	*o;

	if (bufsize < 64)
		bufsize = 64;
	o = xcalloc(1, sizeof(*o));
	o->sink = sink;
	o->arg = arg;
	o->buf = xmalloc(bufsize);
	o->cap = bufsize;
	return o;
}

void
sqlout_free(struct sqlout *o)
{
	if (o == NULL)
		return;
	free(o->buf);
	free(o);
}

/* the buffer's bytes as pieces of the CONCAT (see sqlout_wrap_begin()) */
static int
sink_wrapped(struct sqlout *o, const char *p, size_t n)
{
	char		 out[4096];
	const char	*rep;
	size_t		 k = 0, m;

	for (size_t i = 0; i < n; i++) {
		if (k + 40 > sizeof(out)) {
			if (o->sink(o->arg, out, k) == -1)
				return -1;
			k = 0;
		}
		switch (p[i]) {
		case '\'':
			rep = "''";
			break;
		case '\r':
			rep = "', CHAR(13 USING utf8mb4), '";
			break;
		case '\\':
			rep = "', CHAR(92 USING utf8mb4), '";
			break;
		default:
			out[k++] = p[i];
			continue;
		}
		m = strlen(rep);
		memcpy(out + k, rep, m);
		k += m;
	}
	return k > 0 ? o->sink(o->arg, out, k) : 0;
}

int
sqlout_flush(struct sqlout *o)
{
	if (o->err == 0 && o->len > 0 && (o->wrap ?
	    sink_wrapped(o, o->buf, o->len) :
	    o->sink(o->arg, o->buf, o->len)) == -1)
		o->err = errno != 0 ? errno : EIO;
	o->len = 0;
	if (o->err != 0) {
		errno = o->err;
		return -1;
	}
	return 0;
}

int
sqlout_error(const struct sqlout *o)
{
	return o->err;
}

uint64_t
sqlout_bytes(const struct sqlout *o)
{
	return o->total;
}

void
sqlout_wrap_begin(struct sqlout *o)
{
	sqlout_puts(o, SQLSCAN_WRAP_HEAD);
	(void)sqlout_flush(o);
	o->wrap = 1;
}

void
sqlout_wrap_end(struct sqlout *o)
{
	(void)sqlout_flush(o);
	o->wrap = 0;
	sqlout_puts(o, "')");
}

int
sqlout_needs_wrap(const char *s, size_t n)
{
	return memmem(s, n, "\r\n", 2) != NULL;
}

/* room for at least n bytes (n <= cap) */
static inline char *
sqlout_room(struct sqlout *o, size_t n)
{
	if (o->cap - o->len < n)
		(void)sqlout_flush(o);
	return o->buf + o->len;
}

void
sqlout_put(struct sqlout *o, const void *p, size_t n)
{
	const char	*s = p;
	size_t		 k;

	o->total += n;
	while (n > 0) {
		if (o->len == o->cap)
			(void)sqlout_flush(o);
		k = o->cap - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void
sqlout_puts(struct sqlout *o, const char *s)
{
	sqlout_put(o, s, strlen(s));
}

void
sqlout_putc(struct sqlout *o, char c)
{
	*sqlout_room(o, 1) = c;
	o->len++;
	o->total++;
}

void
sqlout_printf(struct sqlout *o, const char *fmt, ...)
{
	char	 small[512], *big;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sqlout_put(o, small, (size_t)n);
		return;
	}
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sqlout_put(o, big, (size_t)n);
	free(big);
}

void
sqlout_ident(struct sqlout *o, const char *name)
{
	const char	*p;

	sqlout_putc(o, '`');
	while ((p = strchr(name, '`')) != NULL) {
		sqlout_put(o, name, (size_t)(p - name) + 1);
		sqlout_putc(o, '`');
		name = p + 1;
	}
	sqlout_puts(o, name);
	sqlout_putc(o, '`');
}

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

void
sqlout_marker_name(struct sqlout *o, const char *name)
{
	if (!has_ctl(name)) {
		sqlout_ident(o, name);
		return;
	}
	sqlout_putc(o, 'X');
	sqlout_putc(o, '\'');
	for (const char *p = name; *p != '\0'; p++)
		sqlout_printf(o, "%02x", (unsigned char)*p);
	sqlout_putc(o, '\'');
}

void
sqlout_comment_text(struct sqlout *o, const char *text)
{
	for (; *text != '\0'; text++)
		sqlout_putc(o, (unsigned char)*text < 0x20 || *text == 0x7f ?
		    '?' : *text);
}

/* the second byte of a two-byte escape, 0 for a byte written as is */
static const char esc[256] = {
	['\0'] = '0', ['\n'] = 'n', ['\r'] = 'r', ['\\'] = '\\',
	['\''] = '\'', ['"'] = '"', ['\032'] = 'Z',
};

void
sqlout_string(struct sqlout *o, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 chunk, i;
	char			*d, *d0;

	sqlout_putc(o, '\'');
	while (n > 0) {
		/* escape in chunks that fit the buffer even if every byte
		 * doubles */
		chunk = o->cap / 2;
		if (chunk > n)
			chunk = n;
		d0 = d = sqlout_room(o, 2 * chunk);
		for (i = 0; i < chunk; i++) {
			char	 e = esc[p[i]];

			if (e == 0)
				*d++ = (char)p[i];
			else {
				*d++ = '\\';
				*d++ = e;
			}
		}
		o->len += (size_t)(d - d0);
		o->total += (size_t)(d - d0);
		p += chunk;
		n -= chunk;
	}
	sqlout_putc(o, '\'');
}

void
sqlout_hex(struct sqlout *o, const unsigned char *p, size_t n)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 chunk, i;
	char			*d;

	if (n == 0) {
		sqlout_put(o, "''", 2);
		return;
	}
	sqlout_put(o, "0x", 2);
	while (n > 0) {
		chunk = o->cap / 2;
		if (chunk > n)
			chunk = n;
		d = sqlout_room(o, 2 * chunk);
		for (i = 0; i < chunk; i++) {
			*d++ = digits[p[i] >> 4];
			*d++ = digits[p[i] & 0xf];
		}
		o->len += 2 * chunk;
		o->total += 2 * chunk;
		p += chunk;
		n -= chunk;
	}
}

int
sqlout_float_text(char *out, size_t outlen, const char *in)
{
	char	*end;
	double	 d;
	float	 f;
	int	 prec;

	errno = 0;
	d = strtod(in, &end);
	if (end == in || *end != '\0' || !isfinite(d))
		return -1;
	f = (float)d;
	if (!isfinite(f))
		return -1;
	/* 9 significant digits always identify a binary32 value */
	for (prec = 6; prec <= 9; prec++) {
		snprintf(out, outlen, "%.*g", prec, (double)f);
		if (strtof(out, NULL) == f)
			break;
	}
	/* the server range-checks the decimal value: near FLT_MAX the short
	 * text may lie above it although it reads back as FLT_MAX */
	if (fabs(strtod(out, NULL)) > FLT_MAX)
		snprintf(out, outlen, "%.17g", (double)f);
	return 0;
}
