/*
 * verify_stream -- one pass over an artifact (SHA-256, the age layer,
 * decompression into a sink) and the SQL sink that checks a MySQL dump:
 * format line, completion marker, row counts (verify_sql).  See
 * verify_int.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cairn/errors.h"
#include "cairn/sqlscan.h"
#include "cairn/unpack.h"
#include "cairn/age.h"
#include "cairn/verify.h"
#include "verify_int.h"

#define IN_CHUNK	(128 * 1024)
#define FORMAT_LINE	"-- cairn dump format 1"
#define MARKER		"-- cairn dump completed "
#define VERIFY_STMT_KEEP	(1024 * 1024)	/* bytes of a statement held */

/* ---- the SQL sink ---- */

static void
sink_err(struct dump_sink *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sink_err(struct dump_sink *m, const char *fmt, ...)
{
	va_list	 ap;

	if (m->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

/* "-- cairn rows `db`.`tbl` N" / "-- cairn table `db`.`tbl`" */
static void
sink_comment(struct dump_sink *m, const struct sqlscan_item *it)
{
	const char		*p = it->text, *end = it->text + it->len;
	char			 db[96], tbl[96], key[192], *ep;
	struct table_stat	*ts;
	unsigned long long	 n;

	if (strncmp(p, "-- cairn rows ", 14) != 0)
		return;
	p += 14;
	if (sqlscan_ident(&p, end, db, sizeof(db)) == -1 || p >= end ||
	    *p != '.' ||
	    (p++, sqlscan_ident(&p, end, tbl, sizeof(tbl))) == -1) {
		sink_err(m, "line %" PRIu64 ": bad rows line", it->line);
		return;
	}
	while (p < end && *p == ' ')
		p++;
	errno = 0;
	n = strtoull(p, &ep, 10);
	if (p == end || !isdigit((unsigned char)*p) || errno != 0 ||
	    ep != end) {
		sink_err(m, "line %" PRIu64 ": bad row count", it->line);
		return;
	}
	snprintf(key, sizeof(key), "%s.%s", db, tbl);
	if ((ts = verify_tables_get(&m->recorded, key, 1)) == NULL) {
		m->oom = 1;
		return;
	}
	ts->rows += n;
	/* a table with no rows has no INSERT: make it known all the same */
	if (verify_tables_get(&m->counted, key, 1) == NULL)
		m->oom = 1;
}

/* rows of an INSERT into db.tbl (db "": the current one) */
static int
count_rows(struct dump_sink *m, const char *db, const char *tbl,
    uint64_t rows)
{
	char			 key[192];
	struct table_stat	*ts;

	snprintf(key, sizeof(key), "%s.%s", db[0] != '\0' ? db : m->db, tbl);
	if ((ts = verify_tables_get(&m->counted, key, 1)) == NULL) {
		m->oom = 1;
		return -1;
	}
	ts->rows += rows;
	return 0;
}

int
verify_sink_item(void *arg, const struct sqlscan_item *it)
{
	struct dump_sink	*m = arg;
	char			 db[96], tbl[96];
	uint64_t		 rows;
	int			 r;

	if (it->kind == SQLSCAN_COMMAND) {
		/* nothing cairn writes reads as one: a hostile name that
		 * escaped its quotes, or a dump made by someone else */
		sink_err(m, "line %" PRIu64 ": the stock client would run the "
		    "client command \"%s\" here", it->line, it->text);
		return m->restore != NULL ? -1 : 0;
	}
	if (it->kind == SQLSCAN_COMMENT)
		sink_comment(m, it);
	else if (it->kind == SQLSCAN_STMT) {
		if (sqlscan_use(it->text, it->len, db, sizeof(db)) == 1)
			snprintf(m->db, sizeof(m->db), "%s", db);
		if (it->cut) {
			/* a long statement, only its head kept: an INSERT's
			 * rows are its groups after the column list */
			int	 has_cols;

			r = sqlscan_insert_head(it->text, it->len, db,
			    sizeof(db), tbl, sizeof(tbl), &has_cols);
			rows = it->groups - (uint64_t)(has_cols != 0);
		} else
			r = sqlscan_insert(it->text, it->len, db, sizeof(db),
			    tbl, sizeof(tbl), &rows);
		if (r == -1)
			sink_err(m, "line %" PRIu64 ": malformed INSERT",
			    it->line);
		else if (r == 1 && count_rows(m, db, tbl, rows) == -1)
			return -1;
	}
	if (m->oom)
		return -1;
	if (m->restore != NULL)
		return verify_restore_stmt(m->restore, it, m);
	return 0;
}

/*
 * The fast path over rows.  A line that starts where the scanner is
 * between statements (sqlscan_plain()) and with "INSERT INTO " is held
 * whole (up to FAST_LINE_MAX); if it is exactly one such statement
 * (sqlscan_rows_line()) its rows are counted from its head and its groups
 * and the scanner passes it by; any other line, or a held one that is not,
 * goes through the scanner byte by byte.  Off for the restore test, which
 * runs every statement.
 */
#define FAST_LINE_MAX	((size_t)2 << 20)
#define INSERT_HEAD	"INSERT INTO "
enum { LINE_START, LINE_HOLD, LINE_SLOW };

/* what is held, then the newline if nl, to the scanner */
static int
sink_slow(struct dump_sink *m, int nl)
{
	size_t	 n = m->llen;

	m->llen = 0;
	if (n > 0 && sqlscan_feed(m->scan, m->line, n) == -1)
		return -1;
	return nl ? sqlscan_feed(m->scan, "\n", 1) : 0;
}

/* a whole held line: counted and passed by, or through the scanner */
static int
sink_line(struct dump_sink *m)
{
	char		 db[96], tbl[96];
	uint64_t	 groups;
	int		 has_cols;

	if (sqlscan_rows_line(m->line, m->llen, &groups) != 1 ||
	    sqlscan_insert_head(m->line, m->llen, db, sizeof(db), tbl,
	    sizeof(tbl), &has_cols) != 1 || groups < 1 + (has_cols != 0))
		return sink_slow(m, 1);
	m->llen = 0;
	sqlscan_skip_line(m->scan);
	return count_rows(m, db, tbl, groups - (uint64_t)(has_cols != 0));
}

static int
sink_lines(struct dump_sink *m, const char *p, size_t n)
{
	const size_t	 hl = strlen(INSERT_HEAD);

	while (n > 0) {
		const char	*nl = memchr(p, '\n', n);
		size_t		 k = nl != NULL ? (size_t)(nl - p) : n;

		if (m->lstate == LINE_START)
			m->lstate = sqlscan_plain(m->scan) ? LINE_HOLD :
			    LINE_SLOW;
		if (m->lstate == LINE_HOLD && m->llen + k <= FAST_LINE_MAX) {
			memcpy(m->line + m->llen, p, k);
			m->llen += k;
			if (memcmp(m->line, INSERT_HEAD, m->llen < hl ?
			    m->llen : hl) == 0) {
				if (nl != NULL && sink_line(m) == -1)
					return -1;
				if (nl != NULL) {
					m->lstate = LINE_START;
					k++;
				}
				p += k;
				n -= k;
				continue;
			}
			p += k;		/* not an INSERT: the rest slowly */
			n -= k;
			k = 0;
		}
		if (m->lstate == LINE_HOLD) {
			if (sink_slow(m, 0) == -1)
				return -1;
			m->lstate = LINE_SLOW;
		}
		if (nl != NULL) {
			m->lstate = LINE_START;
			k++;
		}
		if (sqlscan_feed(m->scan, p, k) == -1)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* the end of the stream: a held line without its newline to the scanner */
int
verify_sink_flush(struct dump_sink *m)
{
	return m->lstate == LINE_HOLD ? sink_slow(m, 0) : 0;
}

int
verify_sink_feed(void *arg, const char *p, size_t n)
{
	struct dump_sink	*m = arg;

	if (m->head_len < HEAD_LEN) {
		size_t	 k = HEAD_LEN - m->head_len < n ? HEAD_LEN - m->head_len
		    : n;

		memcpy(m->head + m->head_len, p, k);
		m->head_len += k;
		m->head[m->head_len] = '\0';
	}
	if (n >= TAIL_LEN) {
		memcpy(m->tail, p + n - TAIL_LEN, TAIL_LEN);
		m->tail_len = TAIL_LEN;
	} else {
		size_t	 keep = m->tail_len + n > TAIL_LEN ? TAIL_LEN - n :
		    m->tail_len;

		memmove(m->tail, m->tail + m->tail_len - keep, keep);
		memcpy(m->tail + keep, p, n);
		m->tail_len = keep + n;
	}
	m->total += n;
	if (m->line == NULL)
		return sqlscan_feed(m->scan, p, n);
	return sink_lines(m, p, n);
}

/* Is the tail "\n-- cairn dump completed YYYY-MM-DDTHH:MM:SSZ\n"? */
static int
marker_ok(const struct dump_sink *m)
{
	static const char	 pat[] = "\n" MARKER "####-##-##T##:##:##Z\n";
	size_t			 pl = sizeof(pat) - 1;
	const char		*t;

	if (m->tail_len < pl)
		return 0;
	t = m->tail + m->tail_len - pl;
	for (size_t i = 0; i < pl; i++) {
		if (pat[i] == '#' ? !isdigit((unsigned char)t[i]) :
		    t[i] != pat[i])
			return 0;
	}
	return 1;
}

static void
sink_results(struct dump_sink *m, const struct verify_expect *e,
    struct verify_result *res, int scan_ok)
{
	if (strncmp(m->head, FORMAT_LINE "\n", strlen(FORMAT_LINE) + 1) != 0)
		verify_fail(res, VERIFY_FORMAT, "format: line 1 is not \"%s\"",
		    FORMAT_LINE);
	else if (!marker_ok(m))
		verify_fail(res, VERIFY_FORMAT,
		    "format: the completion marker is not "
		    "the last line: the dump is incomplete");
	else
		verify_passed(res, VERIFY_FORMAT);

	if (!scan_ok) {
		verify_fail(res, VERIFY_ROWS,
		    "sql: %s", sqlscan_error(m->scan));
		return;
	}
	if (m->err[0] != '\0') {
		verify_fail(res, VERIFY_ROWS, "sql: %s", m->err);
		return;
	}
	for (size_t i = 0; i < m->counted.n; i++) {
		const struct table_stat	*c = &m->counted.v[i];
		const struct table_stat	*r = verify_tables_get(
		    &m->recorded, c->name, 0);

		if (r == NULL)
			verify_fail(res, VERIFY_ROWS,
			    "table %s: %" PRIu64 " rows in "
			    "dump, no rows line", c->name, c->rows);
		else if (r->rows != c->rows)
			verify_fail(res, VERIFY_ROWS,
			    "table %s: %" PRIu64 " rows in "
			    "dump, %" PRIu64 " recorded", c->name, c->rows,
			    r->rows);
	}
	if (e->tables != NULL) {
		for (size_t i = 0; i < e->ntables; i++) {
			const struct table_stat	*x = &e->tables[i];
			const struct table_stat	*c = verify_tables_get(
			    &m->counted, x->name, 0);

			if (c == NULL)
				verify_fail(res, VERIFY_ROWS,
				    "table %s: not in dump, "
				    "%" PRIu64 " rows in catalog", x->name,
				    x->rows);
			else if (c->rows != x->rows)
				verify_fail(res, VERIFY_ROWS,
				    "table %s: %" PRIu64
				    " rows in dump, %" PRIu64 " in catalog",
				    x->name, c->rows, x->rows);
		}
		for (size_t i = 0; i < m->counted.n; i++)
			if (verify_expect_find(e, m->counted.v[i].name) == NULL)
				verify_fail(res, VERIFY_ROWS,
				    "table %s: in dump, not "
				    "in catalog", m->counted.v[i].name);
	}
	verify_passed(res, VERIFY_ROWS);
}

/* ---- one pass over the file ---- */

/* Set up the age side of a pass over NAME. */
void
verify_pass_setup(struct pass *p, const char *name,
    const struct verify_opts *o)
{
	p->encrypted = age_is_encrypted_name(name);
	if (p->encrypted && o != NULL && o->nage_ids > 0) {
		p->age_ids = o->age_ids;
		p->nage_ids = o->nage_ids;
	}
}

static void
pass_progress(struct pass *p, uint64_t *next)
{
	struct job_progress	 jp;

	if (p->opts == NULL || p->opts->progress == NULL || p->stored < *next)
		return;
	*next = p->stored + (4u << 20);
	memset(&jp, 0, sizeof(jp));
	jp.bytes_in = p->stored;
	jp.bytes_out = p->raw;
	snprintf(jp.current, sizeof(jp.current), "%s", p->name);
	p->opts->progress(p->opts->progress_arg, &jp);
}

/* the decompressed stream into the pass's sink (an unpack_sink_fn) */
static int
pass_out(void *arg, const unsigned char *b, size_t n)
{
	struct pass	*p = arg;

	p->raw += n;
	if (p->sink == NULL || p->sink_failed || n == 0)
		return 0;
	if (p->sink(p->sink_arg, (const char *)b, n) == -1)
		p->sink_failed = 1;
	return 0;
}

/* Decompress n bytes into the sink; after a stream error only the
 * digest goes on. */
static void
pass_feed(struct pass *p, const unsigned char *in, size_t n)
{
	if (p->stream_err[0] == '\0' && unpack_feed(p->up, in, n) == -1)
		snprintf(p->stream_err, sizeof(p->stream_err), "%s",
		    unpack_error(p->up));
}

/* Plaintext out of the age decryptor: the compressed stream. */
static int
pass_age_out(void *arg, const void *buf, size_t n)
{
	struct pass	*p = arg;

	pass_feed(p, buf, n);
	p->plain += n;
	return 0;
}

/* The end of the compressed stream: was it complete? */
static void
pass_stream_end(struct pass *p)
{
	if (p->stream_err[0] == '\0' && unpack_end(p->up) == -1)
		snprintf(p->stream_err, sizeof(p->stream_err), "%s",
		    unpack_error(p->up));
}

/*
 * Read the file from its start to its end: every byte into SHA-256 and
 * then into the decompressor, or into the age decryptor (which feeds the
 * decompressor) for an ".age" file.  0 at the end of the file, -1 on a
 * read error (p->io_errno) or cancel (p->cancelled).
 */
static int
pass_read(struct pass *p, unsigned char *in, EVP_MD_CTX *md,
    struct age_dec *age)
{
	uint64_t	 next_progress = 0;
	ssize_t		 r;

	if (lseek(p->fd, 0, SEEK_SET) == -1) {
		p->io_errno = errno;
		return -1;
	}
	for (;;) {
		if (p->opts != NULL && verify_cancelled(p->opts)) {
			p->cancelled = 1;
			return -1;
		}
		r = read(p->fd, in, IN_CHUNK);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			p->io_errno = errno;
			return -1;
		}
		if (r == 0)
			return 0;
		EVP_DigestUpdate(md, in, (size_t)r);
		p->stored += (uint64_t)r;
		pass_progress(p, &next_progress);
		if (age == NULL) {
			p->plain += (uint64_t)r;
			pass_feed(p, in, (size_t)r);
		} else if (p->age_err[0] == '\0' &&
		    age_dec_write(age, in, (size_t)r) == -1)
			snprintf(p->age_err, sizeof(p->age_err), "age: %s",
			    age_dec_error(age));
	}
}

/* After the last byte: the age trailer, the stream's end, the digest. */
static void
pass_end(struct pass *p, EVP_MD_CTX *md, struct age_dec *age)
{
	if (age != NULL && p->age_err[0] == '\0' &&
	    age_dec_finish(age) == -1)
		snprintf(p->age_err, sizeof(p->age_err), "age: %s",
		    age_dec_error(age));
	if (age != NULL) {
		size_t	 nx, ns = age_dec_stanzas(age, &nx);

		snprintf(p->age_info, sizeof(p->age_info), "%zu stanza%s "
		    "(%zu X25519)", ns, ns == 1 ? "" : "s", nx);
	}
	if (age == NULL || (p->nage_ids > 0 && p->age_err[0] == '\0'))
		pass_stream_end(p);
	EVP_DigestFinal_ex(md, p->sha, NULL);
}

/*
 * Read the whole file.  Returns 0 when the file was read to its end
 * (stream problems are in p->stream_err, age problems in p->age_err),
 * -1 on a read error (io_errno) or cancel.  An ".age" file goes through
 * the age decryptor first: with p->age_ids, decrypted; without, its
 * header and layout checked and nothing decompressed.
 */
int
verify_pass_run(struct pass *p)
{
	unsigned char	*in = NULL;
	EVP_MD_CTX	*md = NULL;
	struct age_dec	*age = NULL;
	int		 rc = -1;

	in = malloc(IN_CHUNK);
	md = EVP_MD_CTX_new();
	if (in == NULL || md == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    (p->up = unpack_new(p->ck, pass_out, p)) == NULL) {
		p->io_errno = ENOMEM;
		goto done;
	}
	if (p->encrypted && (age = age_dec_new(p->age_ids, p->nage_ids,
	    pass_age_out, p)) == NULL) {
		p->io_errno = errno;
		goto done;
	}
	if (pass_read(p, in, md, age) == -1)
		goto done;
	pass_end(p, md, age);
	rc = 0;
done:
	age_dec_free(age);
	unpack_free(p->up);
	p->up = NULL;
	EVP_MD_CTX_free(md);
	free(in);
	return rc;
}

/* ---- a MySQL dump ---- */

/* The restore test, after every other check passed. */
static int
sql_restore_test(int dirfd, const char *name, const struct verify_expect *e,
    const struct verify_opts *opts, struct verify_result *res)
{
	struct verify_result	 rr;
	int			 code;

	code = verify_restore_mysql(dirfd, name, e, opts, &rr);
	res->ran |= rr.ran;
	res->failed |= rr.failed;
	memcpy(res->detail[VERIFY_RESTORE], rr.detail[VERIFY_RESTORE],
	    sizeof(res->detail[VERIFY_RESTORE]));
	if (code != CAIRN_E_OK && code != CAIRN_E_VERIFY)
		snprintf(res->message, sizeof(res->message), "%s",
		    rr.message);
	verify_result_free(&rr);
	if (code != CAIRN_E_OK && code != CAIRN_E_VERIFY)
		return code;
	return CAIRN_E_OK;
}

int
verify_sql(struct pass *p, int dirfd, const struct verify_expect *e,
    const struct verify_opts *opts, struct verify_result *res)
{
	struct dump_sink	 m;
	int			 code, content, scan_ok = 1;

	memset(&m, 0, sizeof(m));
	/* a statement may be as long as max_allowed_packet allows (1 GiB);
	 * only its head is held */
	m.scan = sqlscan_new(opts != NULL && opts->max_stmt != 0 ?
	    opts->max_stmt : SQLSCAN_MAX_PACKET, verify_sink_item, &m);
	if (m.scan == NULL) {
		snprintf(res->message, sizeof(res->message), "verify: %s",
		    strerror(errno));
		return CAIRN_E_OSERR;
	}
	sqlscan_keep(m.scan, VERIFY_STMT_KEEP);
	if ((m.line = malloc(FAST_LINE_MAX)) == NULL) {
		sqlscan_free(m.scan);
		snprintf(res->message, sizeof(res->message), "verify: %s",
		    strerror(errno));
		return CAIRN_E_OSERR;
	}
	p->sink = verify_sink_feed;
	p->sink_arg = &m;
	code = verify_pass_checks(p, e, res, &content);
	if (code != CAIRN_E_OK || !content ||
	    (res->failed & (1u << VERIFY_STREAM)))
		goto out;	/* a broken stream's content proves nothing */

	if (!p->sink_failed && (verify_sink_flush(&m) == -1 ||
	    sqlscan_end(m.scan) == -1))
		scan_ok = 0;
	if (p->sink_failed && !m.oom)
		scan_ok = 0;
	if (m.oom) {
		code = CAIRN_E_OSERR;
		snprintf(res->message, sizeof(res->message),
		    "verify: out of memory");
		goto out;
	}
	sink_results(&m, e, res, scan_ok);
	verify_tables_to_result(&m.counted, res);
	if (res->failed == 0 && opts != NULL && opts->restore_test)
		code = sql_restore_test(dirfd, p->name, e, opts, res);
out:
	sqlscan_free(m.scan);
	free(m.line);
	free(m.counted.v);
	free(m.recorded.v);
	return code;
}
