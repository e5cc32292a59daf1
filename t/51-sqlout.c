/* t/51-sqlout.c -- SQL text output: quoting, escaping, hex, exact FLOAT
 * text, streaming through a small buffer, sticky sink errors. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlout.h"
#include "cairn/sqlscan.h"
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

/* the statement sqlscan gives back, and whether it was wrapped */
struct got {
	char	*text;
	int	 wrapped, cut, n;
};

static int
got_item(void *arg, const struct sqlscan_item *it)
{
	struct got	*g = arg;

	if (it->kind != SQLSCAN_STMT)
		return 0;
	free(g->text);
	g->text = xmalloc(it->len + 1);
	memcpy(g->text, it->text, it->len + 1);
	g->wrapped = it->wrapped;
	g->cut = it->cut;
	g->n++;
	return 0;
}

/* the wrapped form: what the stock client must pass on, and sqlscan's
 * reading of it, through a buffer smaller than the statement */
static void
test_wrap(void)
{
	static const char stmt[] = "CREATE PROCEDURE `p\r\nq`() BEGIN "
	    "SELECT 'it''s \\\r\n'; END";
	static const char bad[][64] = {
		"EXECUTE IMMEDIATE CONCAT('a'",
		"EXECUTE IMMEDIATE CONCAT('a', CHAR(200 USING utf8mb4))",
		"EXECUTE IMMEDIATE CONCAT('a', CHAR( USING utf8mb4))",
		"EXECUTE IMMEDIATE CONCAT('a',CHAR(13 USING utf8mb4))",
		"EXECUTE IMMEDIATE CONCAT('a', CHAR(13 USING latin1))",
		"EXECUTE IMMEDIATE CONCAT('a''), 1)",
	};
	struct mem	 m;
	struct sqlout	*o;
	struct sqlscan	*s;
	struct got	 g = { 0 };
	char		 copy[sizeof(bad[0])], *big;
	int		 okay = 1;

	ok(sqlout_needs_wrap(stmt, strlen(stmt)) &&
	    !sqlout_needs_wrap("a\rb\n\n", 5), "CR LF needs the wrapped form, "
	    "a lone CR or LF does not");
	RENDER(16, sqlout_puts(o, "SET @a = 1;\n"); sqlout_wrap_begin(o);
	    sqlout_puts(o, "A'\\\r\nB"); sqlout_wrap_end(o);
	    sqlout_puts(o, ";\n"));
	is_str(m.p, "SET @a = 1;\nEXECUTE IMMEDIATE CONCAT('A''', CHAR(92 "
	    "USING utf8mb4), '', CHAR(13 USING utf8mb4), '\nB');\n",
	    "quote doubled, backslash and CR spelt out, LF kept");
	free(m.p);

	RENDER(16, sqlout_wrap_begin(o); sqlout_puts(o, stmt);
	    sqlout_wrap_end(o); sqlout_puts(o, ";\nSELECT 1;\n"));
	if ((s = sqlscan_new(0, got_item, &g)) == NULL)
		bail("sqlscan_new");
	sqlscan_keep(s, 64);
	ok(sqlscan_feed(s, m.p, m.len) == 0 && sqlscan_end(s) == 0 &&
	    g.n == 2, "the wrapped statement scans");
	sqlscan_free(s);
	free(m.p);
	ok(g.wrapped == 0 && strcmp(g.text, "SELECT 1") == 0,
	    "the next statement is read as usual");
	g.n = 0;
	RENDER(16, sqlout_wrap_begin(o); sqlout_puts(o, stmt);
	    sqlout_wrap_end(o); sqlout_puts(o, ";\n"));
	if ((s = sqlscan_new(0, got_item, &g)) == NULL)
		bail("sqlscan_new");
	sqlscan_keep(s, 64);
	(void)sqlscan_feed(s, m.p, m.len);
	(void)sqlscan_end(s);
	sqlscan_free(s);
	free(m.p);
	ok(g.n == 1 && g.wrapped && !g.cut && strcmp(g.text, stmt) == 0,
	    "sqlscan gives it back decoded and whole, past its keep limit");
	free(g.text);

	for (size_t i = 0; i < nitems(bad); i++) {
		memcpy(copy, bad[i], sizeof(copy));
		if (sqlscan_unwrap(copy, strlen(copy)) != (size_t)-1 ||
		    strcmp(copy, bad[i]) != 0) {
			diag("decoded: %s", bad[i]);
			okay = 0;
		}
	}
	ok(okay, "any other form is left as it is");
	big = xstrdup("EXECUTE IMMEDIATE CONCAT('', CHAR(13 USING utf8mb4), "
	    "'x''y', CHAR(10 USING utf8mb4))");
	ok(sqlscan_unwrap(big, strlen(big)) == 5 &&
	    memcmp(big, "\rx'y\n", 6) == 0, "empty pieces and a quote decode");
	free(big);
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

	plan(25 + 7);
	test_wrap();

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
