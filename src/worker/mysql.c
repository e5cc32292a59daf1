/*
 * mysql.c -- the mysql dump engine (see engine.h, docs/mysql-dumps.md and
 * docs/dump-format.md).
 *
 * One connection, one REPEATABLE READ transaction started WITH CONSISTENT
 * SNAPSHOT: every table's rows come from the same instant without a table
 * lock.  Rows are streamed with mysql_use_result() and formatted into a
 * fixed buffer (sqlout) that feeds the artifact writer, which compresses on
 * its own threads while this thread fetches the next rows.  Memory is
 * bounded by that buffer, the writer's queue and the largest single row.
 *
 * Order of the output: header; per database its CREATE DATABASE and USE,
 * then per table its CREATE TABLE, rows and triggers, its sequences, its
 * routines and its events; then every view of every database in dependency
 * order (views come last so that a view on a view, or on a table of another
 * database, always finds what it names); trailer; completion marker.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "cairn/errors.h"
#include "engine.h"
#include "cairn/log.h"
#include "myconn.h"
#include "sqlout.h"
#include "cairn/util.h"
#include "cairn/writer.h"

#define DUMP_BUF_SIZE		(256 * 1024)
#define DUMP_STMT_MAX		(1024 * 1024)	/* bytes per INSERT */
#define DUMP_PROGRESS_MS	500
#define DUMP_DELIM		";;"

enum obj_kind {
	OBJ_TABLE,
	OBJ_SEQUENCE,
	OBJ_VIEW,
};

struct obj {
	char		*db;		/* owns */
	char		*name;		/* owns */
	enum obj_kind	 kind;
	int		 versioned;	/* SYSTEM VERSIONED */
	char		*engine;	/* owns; NULL for views */
	uint64_t	 est_rows;
	/* views: dependency sort */
	char		*create;	/* owns; SHOW CREATE VIEW text */
	char		*cs_client, *coll_conn;	/* owns */
	int		 mark;		/* 0 new, 1 visiting, 2 done */
	int		 invalid;	/* a view no server can create */
};

struct dump {
	const struct job_env	*env;
	const struct job_conf	*job;
	struct job_result	*res;
	MYSQL			*db;		/* owns */
	struct writer		*w;		/* owns until commit/abort */
	struct sqlout		*out;		/* owns */
	int			 rc;		/* first failure, CAIRN_E_* */
	int			 mariadb;
	int			 insert_history;	/* server can restore history */
	int			 history_used;
	size_t			 stmt_max;
	char			 server_host[128];
	char			 server_version[128];
	char			 where[160];
	char			**dbs;		/* owns */
	size_t			 ndbs;
	char			**db_coll;	/* owns; default collation per db */
	struct obj		*objs;		/* owns */
	size_t			 nobjs;
	size_t			 tables_cap;
	struct job_progress	 prog;
	int64_t			 last_ms;
};

/* a small growable string for queries */
struct str {
	char	*p;
	size_t	 len, cap;
};

static void
str_addn(struct str *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->p = xreallocarray(s->p, 1, s->cap);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
str_add(struct str *s, const char *p)
{
	str_addn(s, p, strlen(p));
}

static void
str_ident(struct str *s, const char *name)
{
	const char	*p;

	str_add(s, "`");
	for (p = name; *p != '\0'; p++) {
		if (*p == '`')
			str_add(s, "`");
		str_addn(s, p, 1);
	}
	str_add(s, "`");
}

/* 'literal' for a query on our connection (utf8mb4, sql_mode '') */
static void
str_lit(struct str *s, MYSQL *db, const char *v)
{
	size_t	 n = strlen(v);
	char	*tmp = xmalloc(2 * n + 1);

	mysql_real_escape_string(db, tmp, v, (unsigned long)n);
	str_add(s, "'");
	str_add(s, tmp);
	str_add(s, "'");
	free(tmp);
}

static void
str_free(struct str *s)
{
	free(s->p);
	s->p = NULL;
	s->len = s->cap = 0;
}

static void dump_fail(struct dump *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* keeps the first cause: later errors are consequences */
static void
dump_fail(struct dump *d, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (d->rc != CAIRN_E_OK)
		return;
	d->rc = code;
	va_start(ap, fmt);
	vsnprintf(d->res->message, sizeof(d->res->message), fmt, ap);
	va_end(ap);
}

static int
dump_cancelled(struct dump *d)
{
	if (d->env->cancel != NULL && *d->env->cancel) {
		dump_fail(d, CAIRN_E_TEMPFAIL, "mysql: dump cancelled");
		return 1;
	}
	return 0;
}

static void
dump_progress(struct dump *d, int force)
{
	int64_t	 now;

	if (d->env->progress == NULL)
		return;
	now = util_now_ms();
	if (!force && now - d->last_ms < DUMP_PROGRESS_MS)
		return;
	d->last_ms = now;
	if (d->out != NULL)
		d->prog.bytes_out = sqlout_bytes(d->out);
	d->env->progress(d->env->progress_arg, &d->prog);
}

/* the server's error as a dump failure: a lost connection is still a dump
 * failure once we were connected */
static int
dump_dberr(struct dump *d, const char *what)
{
	dump_fail(d, CAIRN_E_DB_DUMP, "mysql: %s: %s", what,
	    mysql_error(d->db));
	return -1;
}

static int
dump_store_err(struct dump *d)
{
	int	 e = sqlout_error(d->out);

	if (e == 0)
		return 0;
	dump_fail(d, CAIRN_E_STORE, "mysql: %s",
	    d->w != NULL && writer_error(d->w) != NULL &&
	    writer_error(d->w)[0] != '\0' ? writer_error(d->w) : strerror(e));
	return -1;
}

static int
dump_sink(void *arg, const void *p, size_t n)
{
	struct dump	*d = arg;

	return writer_write(d->w, p, n);
}

/* run a query and store its (small) result; NULL after dump_fail() */
static MYSQL_RES *
dump_query(struct dump *d, const char *sql, const char *what)
{
	MYSQL_RES	*r;

	if (mysql_real_query(d->db, sql, (unsigned long)strlen(sql)) != 0) {
		dump_dberr(d, what);
		return NULL;
	}
	if ((r = mysql_store_result(d->db)) == NULL) {
		if (mysql_errno(d->db) != 0)
			dump_dberr(d, what);
		else
			dump_fail(d, CAIRN_E_DB_DUMP, "mysql: %s: no result",
			    what);
	}
	return r;
}

static int
dump_exec(struct dump *d, const char *sql, const char *what)
{
	if (mysql_real_query(d->db, sql, (unsigned long)strlen(sql)) != 0)
		return dump_dberr(d, what);
	return 0;
}

static char *
dup_field(const char *v)
{
	return xstrdup(v != NULL ? v : "");
}

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

/* a name in a comment line: never raw (see sqlout_marker_name()) */
static void
put_comment_name(struct sqlout *o, const char *db, const char *name)
{
	sqlout_marker_name(o, db);
	if (name != NULL) {
		sqlout_putc(o, '.');
		sqlout_marker_name(o, name);
	}
}

/*
 * USE db.  The stock client runs a line that starts with a command word
 * as that command when it begins a statement, before it has seen the
 * rest: a name spanning lines would reach it cut in two.  An empty comment
 * first keeps the line from being read that way; the client still runs
 * the whole statement as its USE command.
 */
static void
put_use(struct sqlout *o, const char *db)
{
	sqlout_puts(o, strpbrk(db, "\r\n") != NULL ? "/**/USE " : "USE ");
	sqlout_ident(o, db);
	sqlout_puts(o, ";\n");
}

/* a character set or collation name from the server, as a string */
static void
put_word(struct sqlout *o, const char *w)
{
	sqlout_string(o, w, strlen(w));
}

/*
 * Connecting
 */

static int
dump_connect(struct dump *d)
{
	struct myconn_opts	 o = { d->env->password, d->job->lock_wait_timeout };
	char			 err[256];
	int			 transient;
	int64_t			 deadline;

	deadline = util_now_ms() + (int64_t)d->job->connect_retry * 1000;
	snprintf(d->prog.current, sizeof(d->prog.current), "connecting");
	for (;;) {
		d->db = myconn_open(&d->job->db, &o, err, sizeof(err),
		    &transient);
		if (d->db != NULL)
			return 0;
		if (!d->env->first_run || !transient ||
		    util_now_ms() >= deadline)
			break;
		log_info("mysql: %s: %s; retrying", d->job->name, err);
		dump_progress(d, 1);
		if (dump_cancelled(d))
			return -1;
		sleep(1);
		if (dump_cancelled(d))
			return -1;
	}
	dump_fail(d, CAIRN_E_DB_CONNECT, "mysql: connect %s", err);
	return -1;
}

static int
dump_server_info(struct dump *d)
{
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	unsigned long	 map;

	if ((r = dump_query(d, "SELECT @@hostname, @@version, "
	    "@@max_allowed_packet", "server variables")) == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL) {
		mysql_free_result(r);
		return dump_dberr(d, "server variables");
	}
	snprintf(d->server_host, sizeof(d->server_host), "%s",
	    row[0] != NULL ? row[0] : "?");
	snprintf(d->server_version, sizeof(d->server_version), "%s",
	    row[1] != NULL ? row[1] : "?");
	map = row[2] != NULL ? strtoul(row[2], NULL, 10) : 0;
	mysql_free_result(r);

	d->mariadb = strstr(d->server_version, "MariaDB") != NULL;
	/* statements stay well below the packet limit of this server (and of
	 * a restore target with the same settings) */
	d->stmt_max = DUMP_STMT_MAX;
	if (map > 0 && map / 2 < d->stmt_max)
		d->stmt_max = map / 2;
	if (d->stmt_max < 4096)
		d->stmt_max = 4096;

	/* MariaDB >= 10.11 restores history rows of versioned tables */
	d->insert_history = 0;
	if (d->mariadb) {
		if (mysql_query(d->db,
		    "SELECT @@system_versioning_insert_history") == 0) {
			r = mysql_store_result(d->db);
			if (r != NULL)
				mysql_free_result(r);
			d->insert_history = 1;
		}
	}
	return 0;
}

static int
dump_snapshot(struct dump *d)
{
	if (dump_exec(d, "SET SESSION TRANSACTION ISOLATION LEVEL "
	    "REPEATABLE READ", "set isolation level") == -1)
		return -1;
	if (dump_exec(d, "START TRANSACTION WITH CONSISTENT SNAPSHOT, "
	    "READ ONLY", "start transaction") == -1)
		return -1;
	/* rolling back to it after each table releases that table's
	 * metadata lock, so a long dump does not block DDL on tables it
	 * already dumped */
	return dump_exec(d, "SAVEPOINT cairn_sp", "savepoint");
}

/*
 * Catalog: databases and their objects
 */

static int
dump_list_dbs(struct dump *d)
{
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	char		**all = NULL, **coll = NULL;
	size_t		 nall = 0, i, j;
	char *const	*want = d->job->databases;

	if ((r = dump_query(d, "SELECT SCHEMA_NAME, DEFAULT_COLLATION_NAME "
	    "FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME",
	    "list databases")) == NULL)
		return -1;
	while ((row = mysql_fetch_row(r)) != NULL) {
		all = xreallocarray(all, nall + 1, sizeof(*all));
		coll = xreallocarray(coll, nall + 1, sizeof(*coll));
		all[nall] = dup_field(row[0]);
		coll[nall] = dup_field(row[1]);
		nall++;
	}
	mysql_free_result(r);

	d->dbs = xcalloc(nall + 1, sizeof(*d->dbs));
	d->db_coll = xcalloc(nall + 1, sizeof(*d->db_coll));
	if (want != NULL && want[0] != NULL) {
		for (i = 0; want[i] != NULL; i++) {
			for (j = 0; j < nall; j++)
				if (all[j] != NULL &&
				    strcmp(all[j], want[i]) == 0)
					break;
			if (j == nall) {
				dump_fail(d, CAIRN_E_SOURCE,
				    "mysql: unknown database '%s' on %s",
				    want[i], d->where);
				break;
			}
			d->dbs[d->ndbs] = all[j];
			d->db_coll[d->ndbs++] = coll[j];
			all[j] = NULL;
			coll[j] = NULL;
		}
	} else {
		for (j = 0; j < nall; j++) {
			if (myconn_is_system_db(all[j], 0))
				continue;
			d->dbs[d->ndbs] = all[j];
			d->db_coll[d->ndbs++] = coll[j];
			all[j] = NULL;
			coll[j] = NULL;
		}
	}
	for (j = 0; j < nall; j++) {
		free(all[j]);
		free(coll[j]);
	}
	free(all);
	free(coll);
	return d->rc == CAIRN_E_OK ? 0 : -1;
}

static int
dump_excluded(struct dump *d, const char *db, const char *name)
{
	char *const	*x = d->job->exclude_tables;
	size_t		 n = strlen(db);

	for (; x != NULL && *x != NULL; x++)
		if (strncmp(*x, db, n) == 0 && (*x)[n] == '.' &&
		    strcmp(*x + n + 1, name) == 0)
			return 1;
	return 0;
}

static int
is_transactional(const char *engine)
{
	return engine == NULL || strcasecmp(engine, "InnoDB") == 0 ||
	    strcasecmp(engine, "ROCKSDB") == 0 ||
	    strcasecmp(engine, "TokuDB") == 0;
}

static int
dump_list_objects(struct dump *d)
{
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct obj	*o;
	size_t		 i;

	if (d->ndbs == 0)
		return 0;
	str_add(&q, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, "
	    "TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (");
	for (i = 0; i < d->ndbs; i++) {
		if (i > 0)
			str_add(&q, ",");
		str_lit(&q, d->db, d->dbs[i]);
	}
	str_add(&q, ") ORDER BY TABLE_SCHEMA, TABLE_NAME");
	r = dump_query(d, q.p, "list tables");
	str_free(&q);
	if (r == NULL)
		return -1;
	while ((row = mysql_fetch_row(r)) != NULL) {
		enum obj_kind	 kind;

		if (row[0] == NULL || row[1] == NULL || row[2] == NULL)
			continue;
		if (strcmp(row[2], "VIEW") == 0)
			kind = OBJ_VIEW;
		else if (strcmp(row[2], "SEQUENCE") == 0)
			kind = OBJ_SEQUENCE;
		else if (strcmp(row[2], "BASE TABLE") == 0 ||
		    strcmp(row[2], "SYSTEM VERSIONED") == 0)
			kind = OBJ_TABLE;
		else
			continue;	/* TEMPORARY and the like */
		if (dump_excluded(d, row[0], row[1]))
			continue;
		d->objs = xreallocarray(d->objs, d->nobjs + 1,
		    sizeof(*d->objs));
		o = &d->objs[d->nobjs++];
		memset(o, 0, sizeof(*o));
		o->db = xstrdup(row[0]);
		o->name = xstrdup(row[1]);
		o->kind = kind;
		o->versioned = strcmp(row[2], "SYSTEM VERSIONED") == 0;
		o->engine = row[3] != NULL ? xstrdup(row[3]) : NULL;
		o->est_rows = row[4] != NULL ? strtoull(row[4], NULL, 10) : 0;
		if (kind == OBJ_TABLE)
			d->prog.items_total += o->est_rows;
	}
	mysql_free_result(r);
	return 0;
}

/*
 * Header and trailer
 */

static void
dump_header(struct dump *d, time_t started)
{
	struct sqlout	*o = d->out;
	char		 stamp[32];
	size_t		 i, n;

	util_utc_stamp(stamp, sizeof(stamp), started);
	sqlout_puts(o, "-- cairn dump format 1\n"
	    "/*M!999999\\- enable the sandbox mode */\n");
	sqlout_puts(o, "-- host: ");
	sqlout_comment_text(o, d->server_host);
	sqlout_puts(o, " (");
	sqlout_comment_text(o, d->where);
	sqlout_puts(o, ")\n-- server: ");
	sqlout_comment_text(o, d->server_version);
	sqlout_printf(o, "\n-- started: %s\n", stamp);
	sqlout_puts(o, "-- databases:");
	for (i = 0; i < d->ndbs; i++) {
		sqlout_puts(o, i == 0 ? " " : ", ");
		sqlout_marker_name(o, d->dbs[i]);
	}
	sqlout_puts(o, "\n-- snapshot: one REPEATABLE READ transaction "
	    "started WITH CONSISTENT SNAPSHOT, no table locks\n");
	for (i = n = 0; i < d->nobjs; i++) {
		struct obj	*ob = &d->objs[i];

		if (ob->kind == OBJ_VIEW || is_transactional(ob->engine))
			continue;
		if (n++ == 0)
			sqlout_puts(o, "-- not covered by the snapshot "
			    "(non-transactional engine):");
		sqlout_puts(o, n == 1 ? " " : ", ");
		put_comment_name(o, ob->db, ob->name);
		sqlout_puts(o, " (");
		sqlout_comment_text(o, ob->engine);
		sqlout_putc(o, ')');
	}
	if (n > 0)
		sqlout_putc(o, '\n');
	sqlout_puts(o, "\n"
	    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
	    "/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;\n"
	    "/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;\n"
	    "/*!40101 SET NAMES utf8mb4 */;\n"
	    "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n"
	    "/*!40103 SET TIME_ZONE='+00:00' */;\n"
	    "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n"
	    "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, "
	    "FOREIGN_KEY_CHECKS=0 */;\n"
	    "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, "
	    "SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
	    "/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n");
}

static void
dump_trailer(struct dump *d)
{
	struct sqlout	*o = d->out;
	char		 stamp[32];

	sqlout_puts(o, "\n"
	    "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n"
	    "/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n"
	    "/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;\n"
	    "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"
	    "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n"
	    "/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;\n"
	    "/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;\n"
	    "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n");
	if (d->history_used)
		sqlout_puts(o, "/*!101100 SET "
		    "SYSTEM_VERSIONING_INSERT_HISTORY=@OLD_INSERT_HISTORY */;\n");
	util_utc_stamp(stamp, sizeof(stamp), time(NULL));
	sqlout_printf(o, "-- cairn dump completed %s\n", stamp);
}

/*
 * Compound objects: session state around a statement created under other
 * settings, and the DELIMITER the stock client needs
 */

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
	if (pre != NULL)
		sqlout_puts(o, pre);
	if (compound)
		sqlout_printf(o, "DELIMITER %s\n", delim);
	sqlout_puts(o, stmt);
	sqlout_printf(o, "%s\n", delim);
	if (compound)
		sqlout_puts(o, "DELIMITER ;\n");
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
	sqlout_puts(d->out, "ALTER DATABASE ");
	sqlout_ident(d->out, db);
	sqlout_puts(d->out, " COLLATE ");
	put_word(d->out, coll);
	sqlout_puts(d->out, ";\n");
}

static int
dump_show_compound(struct dump *d, const char *db, const char *cur_coll,
    const char *kind, const char *name, const char *create_col,
    const char *drop)
{
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	const char	*stmt, *dbcoll, *tz;
	char		 what[256];

	snprintf(what, sizeof(what), "show create %s %s.%s", kind, db, name);
	str_add(&q, "SHOW CREATE ");
	str_add(&q, kind);
	str_add(&q, " ");
	str_ident(&q, db);
	str_add(&q, ".");
	str_ident(&q, name);
	r = dump_show_binary(d, q.p, what);
	str_free(&q);
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
		str_add(&q, "DROP ");
		str_add(&q, drop);
		str_add(&q, " IF EXISTS ");
		str_ident(&q, name);
		str_add(&q, ";\n");
	}
	if (dbcoll != NULL && cur_coll != NULL && strcmp(dbcoll, cur_coll))
		put_db_coll(d, db, dbcoll);
	put_compound(d, row_col(r, row, "sql_mode"),
	    row_col(r, row, "character_set_client"),
	    row_col(r, row, "collation_connection"), tz, q.p, stmt, 1);
	str_free(&q);
	if (dbcoll != NULL && cur_coll != NULL && strcmp(dbcoll, cur_coll))
		put_db_coll(d, db, cur_coll);
	mysql_free_result(r);
	return dump_store_err(d);
}

static int
dump_routines(struct dump *d, const char *db, const char *coll)
{
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	int		 rc = 0;

	str_add(&q, "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM "
	    "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ");
	str_lit(&q, d->db, db);
	/* FUNCTION, PACKAGE, PACKAGE BODY, PROCEDURE: a package before its
	 * body */
	str_add(&q, " ORDER BY ROUTINE_TYPE, ROUTINE_NAME");
	r = dump_query(d, q.p, "list routines");
	str_free(&q);
	if (r == NULL)
		return -1;
	while (rc == 0 && (row = mysql_fetch_row(r)) != NULL) {
		const char	*type = row[1] != NULL ? row[1] : "";
		char		 col[64];

		if (row[0] == NULL)
			continue;
		if (strcmp(type, "FUNCTION") == 0)
			snprintf(col, sizeof(col), "Create Function");
		else if (strcmp(type, "PROCEDURE") == 0)
			snprintf(col, sizeof(col), "Create Procedure");
		else if (strcmp(type, "PACKAGE") == 0)
			snprintf(col, sizeof(col), "Create Package");
		else if (strcmp(type, "PACKAGE BODY") == 0)
			snprintf(col, sizeof(col), "Create Package Body");
		else
			continue;
		rc = dump_show_compound(d, db, coll, type, row[0], col,
		    type);
	}
	mysql_free_result(r);
	return rc;
}

static int
dump_events(struct dump *d, const char *db, const char *coll)
{
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	int		 rc = 0;

	str_add(&q, "SELECT EVENT_NAME FROM information_schema.EVENTS "
	    "WHERE EVENT_SCHEMA = ");
	str_lit(&q, d->db, db);
	str_add(&q, " ORDER BY EVENT_NAME");
	r = dump_query(d, q.p, "list events");
	str_free(&q);
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

static int
dump_triggers(struct dump *d, const char *db, const char *coll,
    const char *table)
{
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct trig	*t = NULL;
	size_t		 n = 0, i, j;
	int		 rc = 0;

	str_add(&q, "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM "
	    "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ");
	str_lit(&q, d->db, db);
	str_add(&q, " AND EVENT_OBJECT_TABLE = ");
	str_lit(&q, d->db, table);
	str_add(&q, " ORDER BY ACTION_TIMING, EVENT_MANIPULATION, "
	    "ACTION_ORDER");
	r = dump_query(d, q.p, "list triggers");
	str_free(&q);
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
		str_add(&q, "SHOW CREATE TRIGGER ");
		str_ident(&q, db);
		str_add(&q, ".");
		str_ident(&q, t[i].name);
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
		str_free(&q);
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

/*
 * Tables
 */

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
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct col	*c = NULL;
	size_t		 n = 0;
	int		 explicit_period = 0, trx_period = 0;

	*history_ok = history;
	/* EXTRA, not MariaDB's IS_GENERATED: MySQL has only the former (and
	 * says DEFAULT_GENERATED for expression defaults, which stay) */
	str_add(&q, "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_SET_NAME, "
	    "EXTRA, GENERATION_EXPRESSION FROM "
	    "information_schema.COLUMNS WHERE TABLE_SCHEMA = ");
	str_lit(&q, d->db, ob->db);
	str_add(&q, " AND TABLE_NAME = ");
	str_lit(&q, d->db, ob->name);
	str_add(&q, " ORDER BY ORDINAL_POSITION");
	r = dump_query(d, q.p, "list columns");
	str_free(&q);
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
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;

	*has = 0;
	str_add(&q, "CHECKSUM TABLE ");
	str_ident(&q, ob->db);
	str_add(&q, ".");
	str_ident(&q, ob->name);
	r = dump_query(d, q.p, "checksum table");
	str_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) != NULL && row[1] != NULL) {
		*sum = strtoull(row[1], NULL, 10);
		*has = 1;
	}
	mysql_free_result(r);
	return 0;
}

/* the rows of one table as INSERT statements of at most stmt_max bytes */
static int
dump_rows(struct dump *d, const struct obj *ob, struct col *cols,
    size_t ncols, int history, uint64_t *rowsp)
{
	struct sqlout	*o = d->out;
	struct str	 q = { 0 }, prefix = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	MYSQL_FIELD	*f;
	unsigned long	*len;
	uint64_t	 rows = 0, stmt_start = 0;
	int64_t		 last_ms;
	size_t		 i, bound, nsel;
	int		 in_stmt = 0;
	char		 what[300], fl[64];

	snprintf(what, sizeof(what), "select %s.%s", ob->db, ob->name);
	*rowsp = 0;
	if (ncols == 0)
		return 0;	/* only generated columns: nothing to insert */

	str_add(&q, "SELECT /*!40001 SQL_NO_CACHE */ ");
	str_add(&prefix, "INSERT INTO ");
	str_ident(&prefix, ob->name);
	str_add(&prefix, " (");
	for (i = 0; i < ncols; i++) {
		if (i > 0) {
			str_add(&q, ",");
			str_add(&prefix, ",");
		}
		if (cols[i].is_float) {
			str_add(&q, "CAST(");
			str_ident(&q, cols[i].name);
			str_add(&q, " AS DOUBLE)");
		} else if (cols[i].as_binary) {
			str_add(&q, "CAST(");
			str_ident(&q, cols[i].name);
			str_add(&q, " AS BINARY)");
		} else
			str_ident(&q, cols[i].name);
		str_ident(&prefix, cols[i].name);
	}
	/* ENUM's error value (index 0) reads as '' like a real '' member:
	 * its index, selected after the columns, tells them apart */
	for (i = 0, nsel = ncols; i < ncols; i++) {
		if (!cols[i].is_enum)
			continue;
		str_add(&q, ",");
		str_ident(&q, cols[i].name);
		str_add(&q, "+0");
		cols[i].enum_idx = nsel++;
	}
	str_add(&prefix, ") VALUES ");
	str_add(&q, " FROM ");
	str_ident(&q, ob->db);
	str_add(&q, ".");
	str_ident(&q, ob->name);
	if (history && ob->versioned)
		str_add(&q, " FOR SYSTEM_TIME ALL");

	if (mysql_real_query(d->db, q.p, (unsigned long)q.len) != 0) {
		str_free(&q);
		str_free(&prefix);
		return dump_dberr(d, what);
	}
	str_free(&q);
	if ((r = mysql_use_result(d->db)) == NULL) {
		str_free(&prefix);
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
			sqlout_put(o, ";\n", 2);
			in_stmt = 0;
		}
		if (!in_stmt) {
			stmt_start = sqlout_bytes(o);
			sqlout_put(o, prefix.p, prefix.len);
			in_stmt = 1;
		} else
			sqlout_putc(o, ',');
		sqlout_putc(o, '(');
		for (i = 0; i < ncols; i++) {
			if (i > 0)
				sqlout_putc(o, ',');
			if (row[i] == NULL) {
				sqlout_put(o, "NULL", 4);
				continue;
			}
			switch (cols[i].kind) {
			case COL_RAW:
				sqlout_put(o, row[i], len[i]);
				break;
			case COL_FLOAT:
				if (sqlout_float_text(fl, sizeof(fl), row[i])
				    == 0)
					sqlout_puts(o, fl);
				else
					sqlout_put(o, row[i], len[i]);
				break;
			case COL_HEX:
				sqlout_hex(o, (const unsigned char *)row[i],
				    len[i]);
				break;
			case COL_STRING:
				if (cols[i].is_enum &&
				    row[cols[i].enum_idx] != NULL &&
				    strcmp(row[cols[i].enum_idx], "0") == 0)
					sqlout_putc(o, '0');
				else
					sqlout_string(o, row[i], len[i]);
				break;
			}
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
	str_free(&prefix);
	if (in_stmt)
		sqlout_put(o, ";\n", 2);
	*rowsp = rows;
	if (d->rc == CAIRN_E_OK && mysql_errno(d->db) != 0) {
		/* a read timeout looks like any lost connection: say so */
		if (mysql_errno(d->db) == CR_SERVER_LOST &&
		    util_now_ms() - last_ms >=
		    (int64_t)d->job->db.read_timeout * 1000 - 200)
			dump_fail(d, CAIRN_E_DB_DUMP, "mysql: %s: no data from "
			    "the server for %d s (read_timeout): %s", what,
			    d->job->db.read_timeout, mysql_error(d->db));
		dump_dberr(d, what);
		mysql_free_result(r);
		return -1;
	}
	/* frees what the server still sends when we stopped early */
	mysql_free_result(r);
	if (d->rc != CAIRN_E_OK)
		return -1;
	return dump_store_err(d);
}

static int
dump_table(struct dump *d, const struct obj *ob, const char *coll)
{
	struct sqlout	*o = d->out;
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct col	*cols = NULL;
	size_t		 ncols = 0;
	uint64_t	 rows = 0, sum = 0;
	int		 has_sum = 0, history = d->insert_history;

	snprintf(d->prog.current, sizeof(d->prog.current), "%s.%s", ob->db,
	    ob->name);
	dump_progress(d, 1);

	str_add(&q, "SHOW CREATE TABLE ");
	str_ident(&q, ob->db);
	str_add(&q, ".");
	str_ident(&q, ob->name);
	r = dump_query(d, q.p, "show create table");
	str_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL || row[1] == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: show create table "
		    "%s.%s: no definition returned", ob->db, ob->name);
		return -1;
	}
	sqlout_puts(o, "\n-- table ");
	put_comment_name(o, ob->db, ob->name);
	sqlout_puts(o, "\nDROP TABLE IF EXISTS ");
	sqlout_ident(o, ob->name);
	sqlout_puts(o, ";\n");
	sqlout_puts(o, row[1]);
	sqlout_puts(o, ";\n");
	mysql_free_result(r);

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

static int
dump_sequence(struct dump *d, const struct obj *ob)
{
	struct sqlout	*o = d->out;
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;

	str_add(&q, "SHOW CREATE SEQUENCE ");
	str_ident(&q, ob->db);
	str_add(&q, ".");
	str_ident(&q, ob->name);
	r = dump_query(d, q.p, "show create sequence");
	str_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL || row[1] == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: show create sequence "
		    "%s.%s: no definition returned", ob->db, ob->name);
		return -1;
	}
	sqlout_puts(o, "\n-- sequence ");
	put_comment_name(o, ob->db, ob->name);
	sqlout_puts(o, "\nDROP SEQUENCE IF EXISTS ");
	sqlout_ident(o, ob->name);
	sqlout_puts(o, ";\n");
	sqlout_puts(o, row[1]);
	sqlout_puts(o, ";\n");
	mysql_free_result(r);

	/* the next value no session has been handed yet: reading the
	 * sequence's row (not NEXTVAL) leaves it untouched */
	str_add(&q, "SELECT next_not_cached_value, cycle_count FROM ");
	str_ident(&q, ob->db);
	str_add(&q, ".");
	str_ident(&q, ob->name);
	r = dump_query(d, q.p, "read sequence");
	str_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL || row[0] == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: read sequence %s.%s: "
		    "no row", ob->db, ob->name);
		return -1;
	}
	sqlout_puts(o, "SELECT SETVAL(");
	sqlout_ident(o, ob->name);
	sqlout_printf(o, ", %s, 0, %s);\n", row[0],
	    row[1] != NULL ? row[1] : "0");
	mysql_free_result(r);
	if (dump_exec(d, "ROLLBACK TO SAVEPOINT cairn_sp",
	    "rollback to savepoint") == -1)
		return -1;
	return dump_store_err(d);
}

static int
dump_database(struct dump *d, size_t di)
{
	struct sqlout	*o = d->out;
	const char	*db = d->dbs[di], *coll = d->db_coll[di];
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	const char	*s, *ine = "/*!32312 IF NOT EXISTS*/";
	size_t		 i;

	snprintf(d->prog.current, sizeof(d->prog.current), "%s", db);
	str_add(&q, "SHOW CREATE DATABASE IF NOT EXISTS ");
	str_ident(&q, db);
	r = dump_query(d, q.p, "show create database");
	str_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL || row[1] == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: show create database "
		    "%s: no definition returned", db);
		return -1;
	}
	sqlout_puts(o, "\n-- database ");
	sqlout_marker_name(o, db);
	sqlout_putc(o, '\n');
	/* "CREATE DATABASE IF NOT EXISTS" in plain words */
	if ((s = strstr(row[1], ine)) != NULL) {
		sqlout_put(o, row[1], (size_t)(s - row[1]));
		sqlout_puts(o, "IF NOT EXISTS");
		sqlout_puts(o, s + strlen(ine));
	} else
		sqlout_puts(o, row[1]);
	sqlout_puts(o, ";\n");
	put_use(o, db);
	mysql_free_result(r);

	/* sequences first: a column's DEFAULT NEXTVAL(seq) needs its
	 * sequence to exist when the table is created */
	for (i = 0; i < d->nobjs; i++) {
		struct obj	*ob = &d->objs[i];

		if (strcmp(ob->db, db) != 0 || dump_cancelled(d))
			continue;
		if (ob->kind == OBJ_SEQUENCE && dump_sequence(d, ob) == -1)
			return -1;
	}
	for (i = 0; i < d->nobjs; i++) {
		struct obj	*ob = &d->objs[i];

		if (strcmp(ob->db, db) != 0 || dump_cancelled(d))
			continue;
		if (ob->kind == OBJ_TABLE && dump_table(d, ob, coll) == -1)
			return -1;
	}
	if (d->rc != CAIRN_E_OK)
		return -1;
	if (dump_routines(d, db, coll) == -1 || dump_events(d, db, coll) == -1)
		return -1;
	return 0;
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
	struct str	 q = { 0 };
	MYSQL_RES	*r;

	str_add(&q, "SELECT 1 FROM ");
	str_ident(&q, ob->db);
	str_add(&q, ".");
	str_ident(&q, ob->name);
	str_add(&q, " LIMIT 0");
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
	str_free(&q);
	return 0;
}

static int
dump_view_fetch(struct dump *d, struct obj *ob)
{
	struct str	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	const char	*s;

	str_add(&q, "SHOW CREATE VIEW ");
	str_ident(&q, ob->db);
	str_add(&q, ".");
	str_ident(&q, ob->name);
	r = dump_show_binary(d, q.p, "show create view");
	str_free(&q);
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
	struct str	 s = { 0 };
	int		 hit;

	str_ident(&s, w->db);
	str_add(&s, ".");
	str_ident(&s, w->name);
	hit = strstr(v->create, s.p) != NULL;
	str_free(&s);
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
	struct str	 own = { 0 }, out = { 0 };
	const char	*p = sql, *q;

	str_ident(&own, db);
	str_add(&own, ".");
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			for (q = p + 1; *q != '\0' && *q != *p; q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
			if (*q != '\0')
				q++;	/* a doubled quote reopens: fine */
			str_addn(&out, p, (size_t)(q - p));
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
			str_addn(&out, p, (size_t)(q - p));
			p = q;
		} else
			str_addn(&out, p++, 1);
	}
	str_free(&own);
	return out.p != NULL ? out.p : xstrdup("");
}

static int
dump_view_one(struct dump *d, struct obj *v, const char **curdb)
{
	struct sqlout	*o = d->out;
	char		*create;
	size_t		 i;

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
	sqlout_puts(o, "\nDROP VIEW IF EXISTS ");
	sqlout_ident(o, v->name);
	sqlout_puts(o, ";\n");
	create = view_unqualified(v->create, v->db);
	put_compound(d, NULL, v->cs_client, v->coll_conn, NULL, NULL,
	    create, 0);
	free(create);
	return dump_store_err(d);
}

static int
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

/*
 * The whole run
 */

static void
dump_free(struct dump *d)
{
	size_t	 i;

	for (i = 0; i < d->nobjs; i++) {
		free(d->objs[i].db);
		free(d->objs[i].name);
		free(d->objs[i].engine);
		free(d->objs[i].create);
		free(d->objs[i].cs_client);
		free(d->objs[i].coll_conn);
	}
	free(d->objs);
	for (i = 0; i < d->ndbs; i++) {
		free(d->dbs[i]);
		free(d->db_coll[i]);
	}
	free(d->dbs);
	free(d->db_coll);
	sqlout_free(d->out);
	if (d->db != NULL)
		mysql_close(d->db);
}

static void
dump_warn_nontx(struct dump *d)
{
	size_t	 i;

	for (i = 0; i < d->nobjs; i++) {
		struct obj	*ob = &d->objs[i];

		if (ob->kind != OBJ_VIEW && !is_transactional(ob->engine))
			log_warnx("mysql: %s: %s.%s uses %s, which the "
			    "snapshot does not cover: its rows may not be "
			    "consistent with the others", d->job->name,
			    ob->db, ob->name, ob->engine);
	}
}

int
job_mysql_run(const struct job_env *env, struct job_result *res)
{
	struct dump		 d;
	struct writer_opts	 wo;
	unsigned char		(*pks)[32] = NULL;
	char			 agerr[192];
	size_t			 i;

	memset(res, 0, sizeof(*res));
	memset(&d, 0, sizeof(d));
	d.env = env;
	d.job = env->job;
	d.res = res;
	myconn_where(&d.job->db, d.where, sizeof(d.where));
	job_artifact_name(res->artifact, sizeof(res->artifact), d.job,
	    env->started);

	if (mysql_library_init(0, NULL, NULL) != 0) {
		dump_fail(&d, CAIRN_E_SOFTWARE, "mysql: cannot initialize "
		    "the client library");
		goto out;
	}
	if (dump_connect(&d) == -1 || dump_server_info(&d) == -1 ||
	    dump_snapshot(&d) == -1 || dump_list_dbs(&d) == -1 ||
	    dump_list_objects(&d) == -1)
		goto out;
	dump_warn_nontx(&d);

	memset(&wo, 0, sizeof(wo));
	wo.compression = d.job->compression;
	wo.level = d.job->compression_level;
	wo.threads = d.job->compression_threads;
	wo.mode = env->file_mode != 0 ? env->file_mode : 0600;
	if (job_writer_age(d.job, &wo, &pks, agerr, sizeof(agerr)) == -1) {
		dump_fail(&d, CAIRN_E_CONFIG, "mysql: %s", agerr);
		goto out;
	}
	d.w = writer_open(env->dirfd, res->artifact, &wo);
	int open_errno = errno;
	free(pks);
	if (d.w == NULL) {
		char	 culprit[NAME_MAX + 1];
		int	 e = open_errno;

		writer_open_culprit(env->dirfd, res->artifact, e, culprit,
		    sizeof(culprit));
		dump_fail(&d, CAIRN_E_STORE, "mysql: cannot create %s/%s: %s",
		    env->dir != NULL ? env->dir : ".", culprit, strerror(e));
		goto out;
	}
	d.out = sqlout_new(dump_sink, &d, DUMP_BUF_SIZE);

	dump_header(&d, env->started);
	for (i = 0; i < d.ndbs && d.rc == CAIRN_E_OK; i++)
		if (dump_cancelled(&d) || dump_database(&d, i) == -1)
			break;
	if (d.rc == CAIRN_E_OK)
		dump_views(&d);
	if (d.rc == CAIRN_E_OK && !dump_cancelled(&d)) {
		dump_trailer(&d);
		if (sqlout_flush(d.out) == -1)
			dump_store_err(&d);
	}
	if (d.rc == CAIRN_E_OK) {
		/* the snapshot is no longer needed; a failure here does not
		 * make the dump wrong */
		(void)mysql_query(d.db, "COMMIT");
		dump_progress(&d, 1);
		if (writer_commit(d.w, &res->info, res->message,
		    sizeof(res->message)) == -1) {
			d.w = NULL;
			d.rc = CAIRN_E_STORE;
			goto out;
		}
		d.w = NULL;
	}
out:
	if (d.w != NULL)
		writer_abort(d.w);
	dump_free(&d);
	if (d.rc != CAIRN_E_OK)
		job_result_free(res);
	return d.rc;
}
