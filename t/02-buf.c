/* t/02-buf.c -- buf: the one growable buffer */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "tap.h"

static void
vmax(struct buf *b, size_t max, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	buf_vprintf_max(b, max, fmt, ap);
	va_end(ap);
}

int
main(void)
{
	struct buf	 b = { 0 };
	char		*big;
	size_t		 i;

	plan(11);
	ok(b.p == NULL && b.len == 0, "a zeroed buf is empty, p NULL");
	buf_add(&b, "ab", 2);
	buf_addc(&b, 'c');
	buf_adds(&b, "de");
	buf_printf(&b, "-%d-%s", 42, "x");
	is_str(b.p, "abcde-42-x", "add, addc, adds, printf append");
	is_int(b.len, 10, "len counts the bytes, not the NUL");
	big = malloc(5000);
	memset(big, 'y', 4999);
	big[4999] = '\0';
	buf_printf(&b, "%s", big);	/* over printf's stack buffer */
	ok(b.len == 5009 && b.p[5009] == '\0' && b.p[5008] == 'y' &&
	    b.cap > b.len, "a long printf grows the buffer (cap %zu)", b.cap);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, 'z');
	ok(b.len == 105009 && strlen(b.p) == b.len, "many small adds");
	ok(!b.cut, "no bound, nothing cut");
	buf_free(&b);
	ok(b.p == NULL && b.len == 0 && b.cap == 0, "buf_free zeroes it");

	buf_add_max(&b, "12345", 5, 8);
	buf_add_max(&b, "6789", 4, 8);
	is_str(b.p, "12345678", "the bound keeps the first max bytes");
	ok(b.cut && b.len == 8, "and says it cut");
	buf_add_max(&b, "", 0, 100);
	vmax(&b, 100, "%s", "more");
	is_str(b.p, "12345678", "nothing is added after a cut");
	buf_free(&b);
	vmax(&b, 3, "%s", big);
	ok(b.len == 3 && b.cut, "vprintf_max cuts a long one too");
	buf_free(&b);
	free(big);
	return tap_exit();
}
