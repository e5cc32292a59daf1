/* buf.c -- see buf.h */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/util.h"

void
buf_add_max(struct buf *b, const void *s, size_t n, size_t max)
{
	size_t	 cap;

	if (b->cut)
		return;
	if (n > max - (b->len < max ? b->len : max)) {
		n = b->len < max ? max - b->len : 0;
		b->cut = true;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xreallocarray(b->p, cap, 1);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_add(struct buf *b, const void *s, size_t n)
{
	buf_add_max(b, s, n, SIZE_MAX / 2);
}

void
buf_addc(struct buf *b, char ch)
{
	buf_add(b, &ch, 1);
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_vprintf_max(struct buf *b, size_t max, const char *fmt, va_list ap)
{
	char	 small[512], *big;
	int	 n;
	va_list	 ap2;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add_max(b, small, (size_t)n, max);
		return;
	}
	big = xmalloc((size_t)n + 1);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	buf_add_max(b, big, (size_t)n, max);
	free(big);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	buf_vprintf_max(b, SIZE_MAX / 2, fmt, ap);
	va_end(ap);
}

void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
