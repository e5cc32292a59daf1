/*
 * mysql_schema.c -- the dump's schema objects other than tables (see
 * mysql_int.h): routines, packages, events and triggers with the session
 * state and DELIMITER the stock client needs around them, sequences, and
 * views in dependency order over all databases.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "cairn/buf.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "mysql_int.h"

/*
 * Compound objects: session state around a statement created under other
 * settings, and the DELIMITER the stock client needs
 */

/* a character set or collation name from the server, as a string */
static void
put_word(struct sqlout *o, const char *w)
{
	sqlout_string(o, w, strlen(w));
}

/* a delimiter that does not occur in the body: buf holds at least 24 */
static const char *
pick_delim(const char *body, char *buf, size_t len)
{
	static const char *const cand[] = { ";;", "$$", "//", "@@@", "%%%" };
	size_t	 i;

	for (i = 0; i < nitems(cand); i++)
		if (strstr(body, cand[i]) == NULL)
			return cand[i];
	/* a body holding all of them: $$1, $$2, ... (one is missing) */
	for (i = 1;; i++) {
		snprintf(buf, len, "$$%zu", i);
		if (strstr(body, buf) == NULL)
			return buf;
	}
}

/*
 * Could a comment on the body's last line (a "#", "-- " or an open
 * slash-star, kept when the object was created with the client's
 * --comments) swallow the delimiter written after it?  Any such
 * characters on that line count, inside a string too: the wrapped form
 * is right either way.
 */
static int
tail_comment(const char *stmt)
{
	const char	*l = strrchr(stmt, '\n');

	l = l != NULL ? l + 1 : stmt;
	return strchr(l, '#') != NULL || strstr(l, "--") != NULL ||
	    strstr(l, "/*") != NULL;
}

/*
 * settings: sql_mode (NULL: keep), character_set_client and
 * collation_connection (NULL: keep), time_zone (NULL: keep)
 */
static void
put_compound(struct dump *d, const char *sql_mode, const char *cs_client,
    const char *coll_conn, const char *tz, const char *pre, const char *stmt,
    int compound)
{
	struct sqlout	*o = d->out;
	char		 dbuf[32];
	const char	*delim = compound ? pick_delim(stmt, dbuf, sizeof(dbuf)) :
			    ";";
	int		 wrapped;

	if (cs_client != NULL) {
		sqlout_puts(o, "SET character_set_client = ");
		put_word(o, cs_client);
		sqlout_puts(o, ", character_set_results = ");
		put_word(o, cs_client);
		sqlout_puts(o, ";\n");
	}
	if (coll_conn != NULL) {
		sqlout_puts(o, "SET collation_connection = ");
		put_word(o, coll_conn);
		sqlout_puts(o, ";\n");
	}
	if (sql_mode != NULL) {
		sqlout_puts(o, "SET sql_mode = ");
		sqlout_string(o, sql_mode, strlen(sql_mode));
		sqlout_puts(o, ";\n");
	}
	if (tz != NULL) {
		sqlout_puts(o, "SET time_zone = ");
		sqlout_string(o, tz, strlen(tz));
		sqlout_puts(o, ";\n");
	}
	/* a DROP about the object parses under the object's own sql_mode
	 * (DROP PACKAGE needs ORACLE) */
	if (pre != NULL) {
		wrapped = put_begin(o, pre);
		sqlout_puts(o, pre);
		put_end(o, wrapped);
	}
	if (sqlout_needs_wrap(stmt, strlen(stmt)) ||
	    (compound && tail_comment(stmt))) {
		/* one string literal to the client: no DELIMITER needed */
		sqlout_wrap_begin(o);
		sqlout_puts(o, stmt);
		put_end(o, 1);
	} else {
		if (compound)
			sqlout_printf(o, "DELIMITER %s\n", delim);
		sqlout_puts(o, stmt);
		sqlout_printf(o, "%s\n", delim);
		if (compound)
			sqlout_puts(o, "DELIMITER ;\n");
	}
	/* back to the header's settings */
	if (tz != NULL)
		sqlout_puts(o, "SET time_zone = '+00:00';\n");
	if (sql_mode != NULL)
		sqlout_puts(o, "SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO';\n");
	if (cs_client != NULL || coll_conn != NULL)
		sqlout_puts(o, "SET NAMES utf8mb4;\n");
}

/* SHOW CREATE ... with character_set_results = binary: the text comes back
 * in the character set it was written in, as mysqldump does it, so that
 * setting character_set_client to that one restores it byte for byte */
static MYSQL_RES *
dump_show_binary(struct dump *d, const char *sql, const char *what)
{
	MYSQL_RES	*r;

	if (dump_exec(d, "SET SESSION character_set_results = binary",
	    "set character_set_results") == -1)
		return NULL;
	r = dump_query(d, sql, what);
	if (dump_exec(d, "SET SESSION character_set_results = utf8mb4",
	    "set character_set_results") == -1) {
		if (r != NULL)
			mysql_free_result(r);
		return NULL;
	}
	return r;
}

/* column index by name in a SHOW result */
static int
col_index(MYSQL_RES *r, const char *name)
{
	MYSQL_FIELD	*f = mysql_fetch_fields(r);
	unsigned int	 i, n = mysql_num_fields(r);

	for (i = 0; i < n; i++)
		if (strcasecmp(f[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const char *
row_col(MYSQL_RES *r, MYSQL_ROW row, const char *name)
{
	int	 i = col_index(r, name);

	return i < 0 ? NULL : row[i];
}

/*
 * Routines, events, triggers
 */

/* ALTER DATABASE around an object created while the database had another
 * default collation, so that its "Database Collation" restores too */
static void
put_db_coll(struct dump *d, const char *db, const char *coll)
{
	int	 wrapped = put_begin(d->out, db);

	sqlout_puts(d->out, "ALTER DATABASE ");
	sqlout_ident(d->out, db);
	sqlout_puts(d->out, " COLLATE ");
	put_word(d->out, coll);
	put_end(d->out, wrapped);
}

static int
dump_show_compound(struct dump *d, const char *db, const char *cur_coll,
    const char *kind, const char *name, const char *create_col,
    const char *drop)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	const char	*stmt, *dbcoll, *tz;
	char		 what[256];

	snprintf(what, sizeof(what), "show create %s %s.%s", kind, db, name);
	buf_adds(&q, "SHOW CREATE ");
	buf_adds(&q, kind);
	buf_adds(&q, " ");
	query_ident(&q, db);
	buf_adds(&q, ".");
	query_ident(&q, name);
	r = dump_show_binary(d, q.p, what);
	buf_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL ||
	    (stmt = row_col(r, row, create_col)) == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: %s: no definition "
		    "returned (missing privilege?)", what);
		return -1;
	}
	dbcoll = row_col(r, row, "Database Collation");
	tz = row_col(r, row, "time_zone");

	sqlout_printf(d->out, "\n-- %s ", kind);
	put_comment_name(d->out, db, name);
	sqlout_putc(d->out, '\n');
	if (drop != NULL) {
		buf_adds(&q, "DROP ");
		buf_adds(&q, drop);
		buf_adds(&q, " IF EXISTS ");
		query_ident(&q, name);
	}
	if (dbcoll != NULL && cur_coll != NULL && strcmp(dbcoll, cur_coll))
		put_db_coll(d, db, dbcoll);
	put_compound(d, row_col(r, row, "sql_mode"),
	    row_col(r, row, "character_set_client"),
	    row_col(r, row, "collation_connection"), tz, q.p, stmt, 1);
	buf_free(&q);
	if (dbcoll != NULL && cur_coll != NULL && strcmp(dbcoll, cur_coll))
		put_db_coll(d, db, cur_coll);
	mysql_free_result(r);
	return dump_store_err(d);
}

int
dump_routines(struct dump *d, const char *db, const char *coll)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	int		 rc = 0;

	buf_adds(&q, "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM "
	    "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ");
	query_lit(&q, d->db, db);
	/* FUNCTION, PACKAGE, PACKAGE BODY, PROCEDURE: a package before its
	 * body */
	buf_adds(&q, " ORDER BY ROUTINE_TYPE, ROUTINE_NAME");
	r = dump_query(d, q.p, "list routines");
	buf_free(&q);
	if (r == NULL)
		return -1;
	while (rc == 0 && (row = mysql_fetch_row(r)) != NULL) {
		const char	*type = row[1] != NULL ? row[1] : "";
		const char	*col;

		if (row[0] == NULL)
			continue;
		if (strcmp(type, "FUNCTION") == 0)
			col = "Create Function";
		else if (strcmp(type, "PROCEDURE") == 0)
			col = "Create Procedure";
		else if (strcmp(type, "PACKAGE") == 0)
			col = "Create Package";
		else if (strcmp(type, "PACKAGE BODY") == 0)
			col = "Create Package Body";
		else
			continue;
		rc = dump_show_compound(d, db, coll, type, row[0], col,
		    type);
	}
	mysql_free_result(r);
	return rc;
}

int
dump_events(struct dump *d, const char *db, const char *coll)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	int		 rc = 0;

	buf_adds(&q, "SELECT EVENT_NAME FROM information_schema.EVENTS "
	    "WHERE EVENT_SCHEMA = ");
	query_lit(&q, d->db, db);
	buf_adds(&q, " ORDER BY EVENT_NAME");
	r = dump_query(d, q.p, "list events");
	buf_free(&q);
	if (r == NULL)
		return -1;
	while (rc == 0 && (row = mysql_fetch_row(r)) != NULL)
		if (row[0] != NULL)
			rc = dump_show_compound(d, db, coll, "EVENT", row[0],
			    "Create Event", "EVENT");
	mysql_free_result(r);
	return rc;
}

/*
 * "... FOR EACH ROW PRECEDES `other` ..." names a trigger that must exist
 * first; returns new (free()) or NULL
 */
static char *
trigger_precedes(const char *stmt)
{
	const char	*p = stmt, *e;
	char		*name;
	size_t		 n;

	for (; *p != '\0'; p++)
		if (strncasecmp(p, "FOR EACH ROW", 12) == 0)
			break;
	if (*p == '\0')
		return NULL;
	p += 12;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (strncasecmp(p, "PRECEDES", 8) != 0)
		return NULL;
	p += 8;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '`') {
		name = xmalloc(strlen(p) + 1);
		for (n = 0, p++; *p != '\0'; p++) {
			if (*p == '`') {
				if (p[1] != '`')
					break;
				p++;
			}
			name[n++] = *p;
		}
		name[n] = '\0';
		return name;
	}
	for (e = p; *e != '\0' && *e != ' ' && *e != '\t' && *e != '\n' &&
	    *e != '\r'; e++)
		;
	if (e == p)
		return NULL;
	name = xmalloc((size_t)(e - p) + 1);
	memcpy(name, p, (size_t)(e - p));
	name[e - p] = '\0';
	return name;
}

struct trig {
	char	*name;
	char	*precedes;	/* NULL or the trigger it must precede */
	int	 done;
};

static int
dump_one_trigger(struct dump *d, const char *db, const char *coll,
    struct trig *t, struct trig *all, size_t n)
{
	size_t	 i;

	if (dump_show_compound(d, db, coll, "TRIGGER", t->name,
	    "SQL Original Statement", NULL) == -1)
		return -1;
	t->done = 1;
	/* those that PRECEDE this one, in their original order */
	for (i = 0; i < n; i++)
		if (!all[i].done && all[i].precedes != NULL &&
		    strcmp(all[i].precedes, t->name) == 0 &&
		    dump_one_trigger(d, db, coll, &all[i], all, n) == -1)
			return -1;
	return 0;
}

int
dump_triggers(struct dump *d, const char *db, const char *coll,
    const char *table)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct trig	*t = NULL;
	size_t		 n = 0, i, j;
	int		 rc = 0;

	buf_adds(&q, "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM "
	    "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ");
	query_lit(&q, d->db, db);
	buf_adds(&q, " AND EVENT_OBJECT_TABLE = ");
	query_lit(&q, d->db, table);
	buf_adds(&q, " ORDER BY ACTION_TIMING, EVENT_MANIPULATION, "
	    "ACTION_ORDER");
	r = dump_query(d, q.p, "list triggers");
	buf_free(&q);
	if (r == NULL)
		return -1;
	while ((row = mysql_fetch_row(r)) != NULL) {
		if (row[0] == NULL)
			continue;
		t = xreallocarray(t, n + 1, sizeof(*t));
		t[n].name = xstrdup(row[0]);
		t[n].precedes = NULL;
		t[n].done = 0;
		n++;
	}
	mysql_free_result(r);
	if (n == 0)
		return 0;

	/* PRECEDES needs the statement, which only SHOW CREATE TRIGGER has
	 * (ACTION_STATEMENT is the body alone) */
	for (i = 0; i < n && rc == 0; i++) {
		buf_adds(&q, "SHOW CREATE TRIGGER ");
		query_ident(&q, db);
		buf_adds(&q, ".");
		query_ident(&q, t[i].name);
		if ((r = dump_query(d, q.p, "show create trigger")) == NULL)
			rc = -1;
		else {
			const char	*s;

			if ((row = mysql_fetch_row(r)) != NULL &&
			    (s = row_col(r, row, "SQL Original Statement")) !=
			    NULL)
				t[i].precedes = trigger_precedes(s);
			mysql_free_result(r);
		}
		buf_free(&q);
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (t[i].done)
			continue;
		/* one that precedes a trigger not yet created waits for it,
		 * unless that one is not ours (then the restore reports it) */
		if (t[i].precedes != NULL) {
			for (j = 0; j < n; j++)
				if (!t[j].done &&
				    strcmp(t[j].name, t[i].precedes) == 0)
					break;
			if (j < n)
				continue;
		}
		rc = dump_one_trigger(d, db, coll, &t[i], t, n);
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && !t[i].done)
			rc = dump_one_trigger(d, db, coll, &t[i], t, n);
		free(t[i].name);
		free(t[i].precedes);
	}
	free(t);
	return rc;
}

int
dump_sequence(struct dump *d, const struct obj *ob)
{
	struct sqlout	*o = d->out;
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	int		 wrapped;

	if (dump_definition(d, "SEQUENCE", ob) == -1)
		return -1;
	/* the next value no session has been handed yet: reading the
	 * sequence's row (not NEXTVAL) leaves it untouched */
	buf_adds(&q, "SELECT next_not_cached_value, cycle_count FROM ");
	query_ident(&q, ob->db);
	buf_adds(&q, ".");
	query_ident(&q, ob->name);
	r = dump_query(d, q.p, "read sequence");
	buf_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL || row[0] == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: read sequence %s.%s: "
		    "no row", ob->db, ob->name);
		return -1;
	}
	wrapped = put_begin(o, ob->name);
	sqlout_puts(o, "SELECT SETVAL(");
	sqlout_ident(o, ob->name);
	sqlout_printf(o, ", %s, 0, %s)", row[0],
	    row[1] != NULL ? row[1] : "0");
	put_end(o, wrapped);
	mysql_free_result(r);
	if (dump_exec(d, "ROLLBACK TO SAVEPOINT cairn_sp",
	    "rollback to savepoint") == -1)
		return -1;
	return dump_store_err(d);
}

/*
 * Views, in dependency order over all databases
 */

/*
 * A view on a dropped table, column or function (or whose definer lost
 * its rights) still shows its definition, but no server can create it,
 * and the stock client stops the restore at the first error.  Reading it
 * (no row) tells: ER_VIEW_INVALID.  Another error (a table the account
 * may not read) leaves the view as it was: dumped.
 */
static int
view_check(struct dump *d, struct obj *ob)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;

	buf_adds(&q, "SELECT 1 FROM ");
	query_ident(&q, ob->db);
	buf_adds(&q, ".");
	query_ident(&q, ob->name);
	buf_adds(&q, " LIMIT 0");
	if (mysql_real_query(d->db, q.p, (unsigned long)q.len) != 0) {
		if (mysql_errno(d->db) == ER_VIEW_INVALID) {
			ob->invalid = 1;
			log_warnx("mysql: %s: view %s.%s is invalid (%s): its "
			    "definition is kept as text, not created",
			    d->job->name, ob->db, ob->name,
			    mysql_error(d->db));
		}
	} else if ((r = mysql_store_result(d->db)) != NULL)
		mysql_free_result(r);
	buf_free(&q);
	return 0;
}

static int
dump_view_fetch(struct dump *d, struct obj *ob)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	const char	*s;

	buf_adds(&q, "SHOW CREATE VIEW ");
	query_ident(&q, ob->db);
	buf_adds(&q, ".");
	query_ident(&q, ob->name);
	r = dump_show_binary(d, q.p, "show create view");
	buf_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL ||
	    (s = row_col(r, row, "Create View")) == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: show create view %s.%s: "
		    "no definition returned (missing privilege?)", ob->db,
		    ob->name);
		return -1;
	}
	ob->create = xstrdup(s);
	ob->cs_client = dup_field(row_col(r, row, "character_set_client"));
	ob->coll_conn = dup_field(row_col(r, row, "collation_connection"));
	mysql_free_result(r);
	return view_check(d, ob);
}

/* does the view's definition name `db`.`name`? (the server writes every
 * table reference of a view qualified and quoted) */
static int
view_uses(const struct obj *v, const struct obj *w)
{
	struct buf	 s = { 0 };
	int		 hit;

	query_ident(&s, w->db);
	buf_adds(&s, ".");
	query_ident(&s, w->name);
	hit = strstr(v->create, s.p) != NULL;
	buf_free(&s);
	return hit;
}

/*
 * The view's text without its own database's qualifier (`db`.x becomes x,
 * outside strings): the view is created in the database of the dump's
 * USE, so that a restore under another name (cairnctl restore --database)
 * creates it there and makes it read that database's tables.  Other
 * databases stay named, and so does a function call the user qualified
 * (`db`.`f`(): the server keeps it as written, an unqualified call
 * already means the view's own database; mysqldump.test Bug#23491).
 * Returns new (free()).
 */
/* is p a quoted name followed by '(' (a function call)? */
static int
names_call(const char *p)
{
	if (*p++ != '`')
		return 0;
	for (; *p != '\0'; p++)
		if (*p == '`' && p[1] == '`')
			p++;
		else if (*p == '`')
			break;
	if (*p == '\0')
		return 0;
	for (p++; *p == ' '; p++)
		;
	return *p == '(';
}

static char *
view_unqualified(const char *sql, const char *db)
{
	struct buf	 own = { 0 }, out = { 0 };
	const char	*p = sql, *q;

	query_ident(&own, db);
	buf_adds(&own, ".");
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			for (q = p + 1; *q != '\0' && *q != *p; q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
			if (*q != '\0')
				q++;	/* a doubled quote reopens: fine */
			buf_add(&out, p, (size_t)(q - p));
			p = q;
		} else if (*p == '`') {
			if (strncmp(p, own.p, own.len) == 0 &&
			    !names_call(p + own.len)) {
				p += own.len;
				continue;
			}
			for (q = p + 1; *q != '\0'; q++)
				if (*q == '`' && q[1] != '`')
					break;
				else if (*q == '`')
					q++;
			if (*q != '\0')
				q++;
			buf_add(&out, p, (size_t)(q - p));
			p = q;
		} else
			buf_add(&out, p++, 1);
	}
	buf_free(&own);
	return out.p != NULL ? out.p : xstrdup("");
}

static int
dump_view_one(struct dump *d, struct obj *v, const char **curdb)
{
	struct sqlout	*o = d->out;
	char		*create;
	size_t		 i;
	int		 wrapped;

	if (v->mark == 2)
		return 0;
	if (v->mark == 1)
		return 0;	/* a cycle: the restore will report it */
	v->mark = 1;
	for (i = 0; i < d->nobjs; i++) {
		struct obj	*w = &d->objs[i];

		if (w != v && w->kind == OBJ_VIEW && w->mark != 2 &&
		    view_uses(v, w) && dump_view_one(d, w, curdb) == -1)
			return -1;
	}
	v->mark = 2;
	if (*curdb == NULL || strcmp(*curdb, v->db) != 0) {
		sqlout_putc(o, '\n');
		put_use(o, v->db);
		*curdb = v->db;
	}
	sqlout_puts(o, "\n-- view ");
	put_comment_name(o, v->db, v->name);
	if (v->invalid) {
		/* as text the restore passes over: a human can create it
		 * once what it reads exists again */
		sqlout_puts(o, "\n-- invalid: no server can create it "
		    "(it reads a missing table, column or function)\nDO ");
		sqlout_string(o, v->create, strlen(v->create));
		sqlout_puts(o, ";\n");
		return dump_store_err(d);
	}
	sqlout_putc(o, '\n');
	wrapped = put_begin(o, v->name);
	sqlout_puts(o, "DROP VIEW IF EXISTS ");
	sqlout_ident(o, v->name);
	put_end(o, wrapped);
	create = view_unqualified(v->create, v->db);
	put_compound(d, NULL, v->cs_client, v->coll_conn, NULL, NULL,
	    create, 0);
	free(create);
	return dump_store_err(d);
}

int
dump_views(struct dump *d)
{
	const char	*curdb = NULL;
	size_t		 i, n = 0;

	for (i = 0; i < d->nobjs; i++) {
		if (d->objs[i].kind != OBJ_VIEW)
			continue;
		if (dump_view_fetch(d, &d->objs[i]) == -1)
			return -1;
		n++;
	}
	if (n == 0)
		return 0;
	sqlout_puts(d->out, "\n-- views, each after the views it uses\n");
	for (i = 0; i < d->nobjs; i++)
		if (d->objs[i].kind == OBJ_VIEW &&
		    dump_view_one(d, &d->objs[i], &curdb) == -1)
			return -1;
	return 0;
}
