/*
 * mysql_rows.c -- one table of the dump (see mysql_int.h): its definition,
 * the columns a restore can insert, its rows as INSERT statements of at
 * most stmt_max bytes (put_value() formats one value), its checksum and the
 * counts for the catalog.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysql.h>

#include "cairn/buf.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "mysql_int.h"

/*
 * Engines whose rows are not their own: a MERGE table's are its underlying
 * tables' (dumped with them; an INSERT would write them twice, and fails
 * before those exist), BLACKHOLE keeps none, FEDERATED and CONNECT show a
 * remote server's or a file's.
 */
static int
keeps_no_rows(const char *engine)
{
	static const char *const none[] = { "MRG_MyISAM", "MRG_MYISAM",
	    "BLACKHOLE", "FEDERATED", "CONNECT" };

	for (size_t i = 0; engine != NULL && i < nitems(none); i++)
		if (strcasecmp(engine, none[i]) == 0)
			return 1;
	return 0;
}


enum col_kind {
	COL_RAW,	/* numbers: as the server sends them */
	COL_FLOAT,	/* FLOAT selected as DOUBLE: shortest exact text */
	COL_HEX,	/* binary: 0x... */
	COL_STRING,	/* text: '...' */
};

struct col {
	char		*name;		/* owns */
	int		 is_float;
	int		 as_binary;	/* charset not safely convertible */
	int		 period;	/* ROW START / ROW END */
	int		 is_enum;
	size_t		 enum_idx;	/* result column of its index */
	enum col_kind	 kind;		/* from the result's metadata */
};

/* character sets whose every value survives a trip through utf8mb4 */
static int
charset_lossless(const char *cs)
{
	static const char *const ok[] = {
		"utf8mb4", "utf8mb3", "utf8", "latin1", "ascii", "ucs2",
		"utf16", "utf16le", "utf32", "binary",
	};
	size_t	 i;

	if (cs == NULL)
		return 1;
	for (i = 0; i < nitems(ok); i++)
		if (strcmp(cs, ok[i]) == 0)
			return 1;
	return 0;
}

static void
cols_free(struct col *c, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

/*
 * The columns a restore can insert: every stored or invisible column, no
 * generated one; with history, the period columns of a versioned table
 * (named explicitly, or the implicit ROW_START/ROW_END).
 */
static int
dump_columns(struct dump *d, const struct obj *ob, int history,
    struct col **colsp, size_t *ncolsp, int *history_ok)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct col	*c = NULL;
	size_t		 n = 0;
	int		 explicit_period = 0, trx_period = 0;

	*history_ok = history;
	/* EXTRA, not MariaDB's IS_GENERATED: MySQL has only the former (and
	 * says DEFAULT_GENERATED for expression defaults, which stay) */
	buf_adds(&q, "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_SET_NAME, "
	    "EXTRA, GENERATION_EXPRESSION FROM "
	    "information_schema.COLUMNS WHERE TABLE_SCHEMA = ");
	query_lit(&q, d->db, ob->db);
	buf_adds(&q, " AND TABLE_NAME = ");
	query_lit(&q, d->db, ob->name);
	buf_adds(&q, " ORDER BY ORDINAL_POSITION");
	r = dump_query(d, q.p, "list columns");
	buf_free(&q);
	if (r == NULL)
		return -1;
	while ((row = mysql_fetch_row(r)) != NULL) {
		const char	*gen = row[4] != NULL ? row[4] : "";
		int		 period;

		if (row[0] == NULL || row[1] == NULL)
			continue;
		period = strcmp(gen, "ROW START") == 0 ||
		    strcmp(gen, "ROW END") == 0;
		if (period) {
			explicit_period = 1;
			if (strcasecmp(row[1], "bigint") == 0)
				trx_period = 1;
		}
		if (row[3] != NULL && (strstr(row[3], "VIRTUAL GENERATED") ||
		    strstr(row[3], "STORED GENERATED") ||
		    strstr(row[3], "PERSISTENT GENERATED")) && !period)
			continue;	/* generated: the server computes it */
		c = xreallocarray(c, n + 1, sizeof(*c));
		memset(&c[n], 0, sizeof(*c));
		c[n].name = xstrdup(row[0]);
		c[n].is_float = strcasecmp(row[1], "float") == 0;
		c[n].as_binary = !charset_lossless(row[2]);
		c[n].is_enum = strcasecmp(row[1], "enum") == 0;
		c[n].period = period;
		n++;
	}
	mysql_free_result(r);

	/* transaction-precise history (row_start BIGINT) cannot be inserted
	 * on another server: keep the current rows only */
	if (trx_period)
		*history_ok = 0;
	if (!*history_ok || !ob->versioned) {
		size_t	 i, k;

		for (i = k = 0; i < n; i++) {
			if (c[i].period) {
				free(c[i].name);
				continue;
			}
			c[k++] = c[i];
		}
		n = k;
	} else if (!explicit_period) {
		c = xreallocarray(c, n + 2, sizeof(*c));
		memset(&c[n], 0, 2 * sizeof(*c));
		c[n++].name = xstrdup("row_start");
		c[n++].name = xstrdup("row_end");
	}
	if (ob->versioned && !*history_ok)
		log_warnx("mysql: %s.%s: system-versioned table dumped "
		    "without its history rows (%s)", ob->db, ob->name,
		    trx_period ? "transaction-precise history cannot be "
		    "inserted" : "this server cannot insert history");
	*colsp = c;
	*ncolsp = n;
	return 0;
}

static enum col_kind
field_kind(const MYSQL_FIELD *f, const struct col *c)
{
	if (c->is_float)
		return COL_FLOAT;
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
	case MYSQL_TYPE_DOUBLE:
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_YEAR:
		return COL_RAW;
	case MYSQL_TYPE_BIT:
	case MYSQL_TYPE_GEOMETRY:
		return COL_HEX;
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		return f->charsetnr == 63 ? COL_HEX : COL_STRING;
	default:
		return COL_STRING;
	}
}

static int
dump_add_stat(struct dump *d, const struct obj *ob, uint64_t rows,
    int has_checksum, uint64_t checksum)
{
	struct table_stat	*t;
	struct job_result	*res = d->res;

	if (res->ntables == d->tables_cap) {
		d->tables_cap = d->tables_cap ? 2 * d->tables_cap : 16;
		res->tables = xreallocarray(res->tables, d->tables_cap,
		    sizeof(*res->tables));
	}
	t = &res->tables[res->ntables++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s.%s", ob->db, ob->name);
	t->rows = rows;
	t->has_checksum = has_checksum;
	t->checksum = checksum;
	return 0;
}

static int
dump_checksum(struct dump *d, const struct obj *ob, uint64_t *sum,
    int *has)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;

	*has = 0;
	buf_adds(&q, "CHECKSUM TABLE ");
	query_ident(&q, ob->db);
	buf_adds(&q, ".");
	query_ident(&q, ob->name);
	r = dump_query(d, q.p, "checksum table");
	buf_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) != NULL && row[1] != NULL) {
		*sum = strtoull(row[1], NULL, 10);
		*has = 1;
	}
	mysql_free_result(r);
	return 0;
}

/*
 * One value of a row as the INSERT writes it: NULL, a number as the server
 * sent it, a FLOAT's shortest exact text, 0x... for binary, '...' for text,
 * 0 for ENUM's error value (its index, selected after the columns, is 0).
 */
static void
put_value(struct sqlout *o, const struct col *c, MYSQL_ROW row,
    const unsigned long *len, size_t i)
{
	char	 fl[64];

	if (row[i] == NULL) {
		sqlout_put(o, "NULL", 4);
		return;
	}
	switch (c->kind) {
	case COL_RAW:
		sqlout_put(o, row[i], len[i]);
		break;
	case COL_FLOAT:
		if (sqlout_float_text(fl, sizeof(fl), row[i]) == 0)
			sqlout_puts(o, fl);
		else
			sqlout_put(o, row[i], len[i]);
		break;
	case COL_HEX:
		sqlout_hex(o, (const unsigned char *)row[i], len[i]);
		break;
	case COL_STRING:
		if (c->is_enum && row[c->enum_idx] != NULL &&
		    strcmp(row[c->enum_idx], "0") == 0)
			sqlout_putc(o, '0');
		else
			sqlout_string(o, row[i], len[i]);
		break;
	}
}

/*
 * The SELECT of one table's rows (q) and the head of its INSERTs (prefix):
 * FLOAT as DOUBLE, values of a lossy character set as BINARY, each ENUM's
 * index after the columns (cols[].enum_idx says where).
 */
static void
rows_select(const struct obj *ob, struct col *cols, size_t ncols,
    int history, struct buf *q, struct buf *prefix)
{
	size_t	 i, nsel;

	buf_adds(q, "SELECT /*!40001 SQL_NO_CACHE */ ");
	buf_adds(prefix, "INSERT INTO ");
	query_ident(prefix, ob->name);
	buf_adds(prefix, " (");
	for (i = 0; i < ncols; i++) {
		if (i > 0) {
			buf_adds(q, ",");
			buf_adds(prefix, ",");
		}
		if (cols[i].is_float) {
			buf_adds(q, "CAST(");
			query_ident(q, cols[i].name);
			buf_adds(q, " AS DOUBLE)");
		} else if (cols[i].as_binary) {
			buf_adds(q, "CAST(");
			query_ident(q, cols[i].name);
			buf_adds(q, " AS BINARY)");
		} else
			query_ident(q, cols[i].name);
		query_ident(prefix, cols[i].name);
	}
	/* ENUM's error value (index 0) reads as '' like a real '' member:
	 * its index, selected after the columns, tells them apart */
	for (i = 0, nsel = ncols; i < ncols; i++) {
		if (!cols[i].is_enum)
			continue;
		buf_adds(q, ",");
		query_ident(q, cols[i].name);
		buf_adds(q, "+0");
		cols[i].enum_idx = nsel++;
	}
	buf_adds(prefix, ") VALUES ");
	buf_adds(q, " FROM ");
	query_ident(q, ob->db);
	buf_adds(q, ".");
	query_ident(q, ob->name);
	if (history && ob->versioned)
		buf_adds(q, " FOR SYSTEM_TIME ALL");
}

/* the fetch of a table's rows stopped on an error: a read timeout looks
 * like any lost connection, so say which it was */
static void
rows_fetch_err(struct dump *d, const char *what, int64_t last_ms)
{
	if (mysql_errno(d->db) == CR_SERVER_LOST &&
	    util_now_ms() - last_ms >=
	    (int64_t)d->job->db.read_timeout * 1000 - 200)
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: %s: no data from "
		    "the server for %d s (read_timeout): %s", what,
		    d->job->db.read_timeout, mysql_error(d->db));
	dump_dberr(d, what);
}

/* the rows of one table as INSERT statements of at most stmt_max bytes */
static int
dump_rows(struct dump *d, const struct obj *ob, struct col *cols,
    size_t ncols, int history, uint64_t *rowsp)
{
	struct sqlout	*o = d->out;
	struct buf	 q = { 0 }, prefix = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	MYSQL_FIELD	*f;
	unsigned long	*len;
	uint64_t	 rows = 0, stmt_start = 0;
	int64_t		 last_ms;
	size_t		 i, bound;
	int		 in_stmt = 0, wrapped;
	char		 what[300];

	snprintf(what, sizeof(what), "select %s.%s", ob->db, ob->name);
	*rowsp = 0;
	if (ncols == 0)
		return 0;	/* only generated columns: nothing to insert */

	rows_select(ob, cols, ncols, history, &q, &prefix);
	/* a name with CR LF in the prefix: every INSERT wrapped */
	wrapped = sqlout_needs_wrap(prefix.p, prefix.len);
	if (mysql_real_query(d->db, q.p, (unsigned long)q.len) != 0) {
		buf_free(&q);
		buf_free(&prefix);
		return dump_dberr(d, what);
	}
	buf_free(&q);
	if ((r = mysql_use_result(d->db)) == NULL) {
		buf_free(&prefix);
		return dump_dberr(d, what);
	}
	f = mysql_fetch_fields(r);
	for (i = 0; i < ncols; i++)
		cols[i].kind = field_kind(&f[i], &cols[i]);
	last_ms = util_now_ms();

	while ((row = mysql_fetch_row(r)) != NULL) {
		len = mysql_fetch_lengths(r);
		/* an upper bound of the row's text, to close the statement
		 * before it grows past stmt_max */
		bound = 2;
		for (i = 0; i < ncols; i++) {
			d->prog.bytes_in += len[i];
			bound += row[i] == NULL ? 5 : cols[i].kind == COL_RAW ||
			    cols[i].kind == COL_FLOAT ? len[i] + 1 :
			    2 * len[i] + 3;
		}
		if (in_stmt && sqlout_bytes(o) - stmt_start + bound + 2 >
		    d->stmt_max) {
			put_end(o, wrapped);
			in_stmt = 0;
		}
		if (!in_stmt) {
			stmt_start = sqlout_bytes(o);
			if (wrapped)
				sqlout_wrap_begin(o);
			sqlout_put(o, prefix.p, prefix.len);
			in_stmt = 1;
		} else
			sqlout_putc(o, ',');
		sqlout_putc(o, '(');
		for (i = 0; i < ncols; i++) {
			if (i > 0)
				sqlout_putc(o, ',');
			put_value(o, &cols[i], row, len, i);
		}
		sqlout_putc(o, ')');
		rows++;
		d->prog.items_done++;
		if ((rows & 63) == 0) {
			last_ms = util_now_ms();
			if (sqlout_error(o) != 0 || dump_cancelled(d))
				break;
			dump_progress(d, 0);
		}
	}
	buf_free(&prefix);
	if (in_stmt)
		put_end(o, wrapped);
	*rowsp = rows;
	if (d->rc == CAIRN_E_OK && mysql_errno(d->db) != 0) {
		rows_fetch_err(d, what, last_ms);
		mysql_free_result(r);
		return -1;
	}
	/* frees what the server still sends when we stopped early */
	mysql_free_result(r);
	if (d->rc != CAIRN_E_OK)
		return -1;
	return dump_store_err(d);
}

int
dump_table(struct dump *d, const struct obj *ob, const char *coll)
{
	struct sqlout	*o = d->out;
	struct col	*cols = NULL;
	size_t		 ncols = 0;
	uint64_t	 rows = 0, sum = 0;
	int		 has_sum = 0, history = d->insert_history;

	snprintf(d->prog.current, sizeof(d->prog.current), "%s.%s", ob->db,
	    ob->name);
	dump_progress(d, 1);

	if (dump_definition(d, "TABLE", ob) == -1)
		return -1;
	if (dump_columns(d, ob, history, &cols, &ncols, &history) == -1)
		return -1;
	if (!keeps_no_rows(ob->engine) && d->job->checksum &&
	    dump_checksum(d, ob, &sum, &has_sum) == -1)
		goto fail;

	if (keeps_no_rows(ob->engine)) {
		/* its rows live elsewhere: definition only, no markers, no
		 * counts for the catalog or the restore test */
		sqlout_puts(o, "-- no rows of its own (");
		sqlout_comment_text(o, ob->engine);
		sqlout_puts(o, " engine)\n");
		cols_free(cols, ncols);
		cols = NULL;
	} else {
		sqlout_puts(o, "-- cairn table ");
		put_comment_name(o, ob->db, ob->name);
		sqlout_putc(o, '\n');
		if (history && ob->versioned && !d->history_used) {
			/* once for the rest of the file (the trailer
			 * restores it) */
			sqlout_puts(o, "/*!101100 SET @OLD_INSERT_HISTORY="
			    "@@SYSTEM_VERSIONING_INSERT_HISTORY, "
			    "SYSTEM_VERSIONING_INSERT_HISTORY=1 */;\n");
			d->history_used = 1;
		}
		if (dump_rows(d, ob, cols, ncols, history, &rows) == -1)
			goto fail;
		sqlout_puts(o, "-- cairn rows ");
		put_comment_name(o, ob->db, ob->name);
		sqlout_printf(o, " %llu\n", (unsigned long long)rows);
		cols_free(cols, ncols);
		cols = NULL;
		dump_add_stat(d, ob, rows, has_sum, sum);
	}

	if (dump_triggers(d, ob->db, coll, ob->name) == -1)
		return -1;
	/* release this table's metadata lock */
	if (dump_exec(d, "ROLLBACK TO SAVEPOINT cairn_sp",
	    "rollback to savepoint") == -1)
		return -1;
	return dump_store_err(d);
fail:
	cols_free(cols, ncols);
	return -1;
}
