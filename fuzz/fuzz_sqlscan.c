/*
 * fuzz_sqlscan -- libFuzzer target for the SQL splitter and the INSERT,
 * USE, CREATE DATABASE and CREATE object readers and the qualifier finder
 * (sqlscan.h): the parsers the verifier and cairnctl restore run over dump
 * files that may be damaged.
 *
 * Input: one byte choosing a chunk size, then the dump text.  The text is
 * scanned whole and in chunks; both must give the same events (a chunk may
 * end anywhere), every statement is read by the readers, and nothing may
 * crash or trip a sanitizer.  A difference aborts, which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/sqlscan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct acc {
	uint64_t	 h;	/* FNV-1a over every event */
	size_t		 n;
};

static void
mix(struct acc *a, const void *p, size_t n)
{
	const unsigned char	*c = p;

	for (size_t i = 0; i < n; i++)
		a->h = (a->h ^ c[i]) * 0x100000001b3ULL;
}

/* the verifier's fast path and the full INSERT reader count the same
 * rows wherever both read a statement */
static void
fast_agrees(const char *text, size_t len)
{
	char		*line, db[64], tbl[64];
	uint64_t	 groups, rows;
	int		 has_cols;

	if (len > 4096 || (line = malloc(len + 1)) == NULL)
		return;
	memcpy(line, text, len);
	line[len] = ';';
	if (sqlscan_rows_line(line, len + 1, &groups) == 1 &&
	    sqlscan_insert_head(line, len + 1, db, sizeof(db), tbl,
	    sizeof(tbl), &has_cols) == 1 &&
	    sqlscan_insert(text, len, db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == 1 && rows != groups - (uint64_t)(has_cols != 0))
		abort();
	free(line);
}

static int
on_item(void *arg, const struct sqlscan_item *it)
{
	struct acc	*a = arg;
	char		 db[64], tbl[64];
	uint64_t	 rows;
	ssize_t		 off;

	if (it->text[it->len] != '\0')
		abort();
	mix(a, &it->kind, sizeof(it->kind));
	mix(a, &it->line, sizeof(it->line));
	mix(a, it->text, it->len);
	a->n++;
	if (it->kind == SQLSCAN_STMT) {
		if (sqlscan_insert(it->text, it->len, db, sizeof(db), tbl,
		    sizeof(tbl), &rows) == 1 && rows > it->len)
			abort();
		(void)sqlscan_use(it->text, it->len, db, sizeof(db));
		(void)sqlscan_create_db(it->text, it->len, db, sizeof(db));
		(void)sqlscan_create_object(it->text, it->len, db, 16, tbl,
		    sizeof(tbl));
		off = sqlscan_names_db(it->text, it->len, "src",
		    (int)(it->len & 3));
		if (off < -1 || off >= (ssize_t)it->len)
			abort();
		fast_agrees(it->text, it->len);
	}
	return 0;
}

static int
scan(const uint8_t *p, size_t n, size_t chunk, struct acc *a)
{
	struct sqlscan	*s = sqlscan_new(4096, on_item, a);
	int		 rc = 0;

	if (s == NULL)
		abort();
	for (size_t o = 0; o < n && rc == 0; o += chunk)
		rc = sqlscan_feed(s, (const char *)p + o,
		    n - o < chunk ? n - o : chunk);
	if (rc == 0)
		rc = sqlscan_end(s);
	sqlscan_free(s);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct acc	 whole = { 0xcbf29ce484222325ULL, 0 };
	struct acc	 parts = { 0xcbf29ce484222325ULL, 0 };
	size_t		 chunk;
	int		 r1, r2;

	if (len < 1 || len > 65536)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	r1 = scan(data + 1, len - 1, len, &whole);
	r2 = scan(data + 1, len - 1, chunk, &parts);
	if (r1 != r2 || whole.h != parts.h || whole.n != parts.n)
		abort();
	return 0;
}
