/* t/51-sqlout.c -- SQL text output: quoting, escaping, hex, exact FLOAT
 * text, streaming through a small buffer, sticky sink errors. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlout.h"
#include "cairn/util.h"
#include "tap.h"

struct mem {
	char	*p;
	size_t	 len;
	size_t	 calls;
	size_t	 largest;
	int	 fail_after;	/* fail the sink after this many calls; -1 never */
};

static int
mem_sink(void *arg, const void *p, size_t n)
{
	struct mem	*m = arg;

	if (m->fail_after >= 0 && (int)m->calls >= m->fail_after) {
		errno = ENOSPC;
		return -1;
	}
	m->calls++;
	if (n > m->largest)
		m->largest = n;
	m->p = xreallocarray(m->p, m->len + n + 1, 1);
	memcpy(m->p + m->len, p, n);
	m->len += n;
	m->p[m->len] = '\0';
	return 0;
}

/* render with a fresh sqlout of the given buffer size */
#define RENDER(bufsz, stmt) do {					\
	memset(&m, 0, sizeof(m));					\
	m.fail_after = -1;						\
	o = sqlout_new(mem_sink, &m, (bufsz));				\
	stmt;								\
	sqlout_flush(o);						\
	sqlout_free(o);							\
} while (0)

static const char *
ftext(const char *in)
{
	static char	 buf[64];

	if (sqlout_float_text(buf, sizeof(buf), in) == -1)
		return "(error)";
	return buf;
}

int
main(void)
{
	struct mem	 m;
	struct sqlout	*o;
	unsigned char	 all[256];
	char		*big, *expect;
	size_t		 i;
	int		 okay;
	float		 f;

	plan(25);

	RENDER(64, sqlout_ident(o, "plain"));
	is_str(m.p, "`plain`", "an identifier is backquoted");
	free(m.p);
	RENDER(64, sqlout_ident(o, "a`b``c"));
	is_str(m.p, "`a``b````c`", "embedded backquotes are doubled");
	free(m.p);

	RENDER(64, sqlout_string(o, "it's \"x\"\\ \n\r", 12));
	is_str(m.p, "'it\\'s \\\"x\\\"\\\\ \\n\\r'",
	    "quotes, backslash, CR and LF are escaped");
	free(m.p);
	RENDER(64, sqlout_string(o, "a\0b\032c", 5));
	is_str(m.p, "'a\\0b\\Zc'", "NUL and ctrl-Z are escaped");
	free(m.p);
	RENDER(64, sqlout_string(o, "", 0));
	is_str(m.p, "''", "the empty string is ''");
	free(m.p);
	RENDER(64, sqlout_string(o, "h\xc3\xa9 \xf0\x9f\x98\x80", 8));
	is_str(m.p, "'h\xc3\xa9 \xf0\x9f\x98\x80'",
	    "UTF-8 (2 and 4 bytes) passes through");
	free(m.p);

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	RENDER(64, sqlout_string(o, (const char *)all, 256));
	okay = strchr(m.p, '\n') == NULL && strchr(m.p, '\r') == NULL &&
	    m.len == 256 + 7 + 2;
	ok(okay, "all 256 bytes as a string: no raw newline, 7 escapes");
	free(m.p);

	RENDER(64, sqlout_hex(o, all, 256));
	expect = xmalloc(2 + 512 + 1);
	memcpy(expect, "0x", 2);
	util_hex(expect + 2, all, 256);
	is_str(m.p, expect, "hex of all 256 bytes through a 64-byte buffer");
	ok(m.largest <= 64, "the sink never gets more than the buffer");
	free(expect);
	free(m.p);
	RENDER(64, sqlout_hex(o, all, 0));
	is_str(m.p, "''", "an empty binary value is ''");
	free(m.p);
	RENDER(64, sqlout_hex(o, all + 171, 2));
	is_str(m.p, "0xabac", "hex digits are lowercase");
	free(m.p);

	/* a value far larger than the buffer streams through it */
	big = xmalloc(100000);
	memset(big, '\'', 100000);
	RENDER(4096, sqlout_string(o, big, 100000));
	ok(m.len == 200002 && m.largest <= 4096 && m.p[1] == '\\' &&
	    m.p[2] == '\'' && m.p[200001] == '\'',
	    "100000 quotes stream through a 4 KiB buffer");
	free(m.p);
	free(big);

	RENDER(64, { sqlout_puts(o, "INSERT ");
	    sqlout_printf(o, "%d rows %s", 3, "x");
	    sqlout_putc(o, ';');
	    ok(sqlout_bytes(o) == 16, "sqlout_bytes counts buffered bytes"); });
	is_str(m.p, "INSERT 3 rows x;", "puts, printf and putc append");
	free(m.p);

	/* a sink error is sticky and reported once flushed */
	memset(&m, 0, sizeof(m));
	m.fail_after = 1;
	o = sqlout_new(mem_sink, &m, 64);
	for (i = 0; i < 10; i++)
		sqlout_puts(o, "0123456789abcdef0123456789abcdef");
	ok(sqlout_error(o) == ENOSPC, "a failing sink sets a sticky error");
	ok(sqlout_flush(o) == -1 && errno == ENOSPC,
	    "flush reports it");
	ok(m.calls == 1, "nothing reaches the sink after the failure");
	sqlout_free(o);
	free(m.p);

	/* FLOAT: the shortest text that reads back as the same float */
	is_str(ftext("16777216"), "16777216", "16777216 stays exact");
	is_str(ftext("0.10000000149011612"), "0.1",
	    "0.1f's double text becomes 0.1");
	is_str(ftext("1.0000001192092896"), "1.0000001",
	    "1 + 2^-23 needs 8 digits");
	f = strtof(ftext("3.4028234663852886e38"), NULL);
	ok(f == FLT_MAX && strtod(ftext("3.4028234663852886e38"), NULL) <=
	    FLT_MAX, "FLT_MAX reads back exactly and stays in range");
	f = strtof(ftext("1.401298464324817e-45"), NULL);
	ok(f > 0 && f == strtof("1.4e-45", NULL),
	    "the smallest subnormal reads back exactly");
	is_str(ftext("-0"), "-0", "negative zero keeps its sign");
	okay = 1;
	for (i = 0; i < 20000; i++) {
		char	 d[64];
		float	 x = (float)((double)rand() / RAND_MAX * 1e6 - 5e5) *
		    (float)(i % 7 + 1) / 3.0f;

		snprintf(d, sizeof(d), "%.17g", (double)x);
		if (strtof(ftext(d), NULL) != x || strlen(ftext(d)) > 15)
			okay = 0;
	}
	ok(okay, "20000 random floats round-trip in at most 9 digits");
	ok(sqlout_float_text(m.p = xmalloc(64), 64, "abc") == -1,
	    "text that is not a number is refused");
	free(m.p);
	return tap_exit();
}
