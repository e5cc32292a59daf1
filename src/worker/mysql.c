/*
 * mysql.c -- the mysql dump engine (see engine.h, docs/mysql-dumps.md and
 * docs/dump-format.md): connection, snapshot, catalog, header and trailer,
 * one database at a time, the job's entry.  Schema objects are in
 * mysql_schema.c, rows in mysql_rows.c (mysql_int.h holds what they share).
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
 * database, always finds what it names); with dump_grants the accounts
 * and grants (mysql_grants.c); trailer; completion marker.
 */
#include "config.h"

#include <ctype.h>
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

#include "cairn/buf.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "cairn/writer.h"
#include "myconn.h"
#include "mysql_int.h"

void
query_ident(struct buf *s, const char *name)
{
	const char	*p;

	buf_addc(s, '`');
	for (p = name; *p != '\0'; p++) {
		if (*p == '`')
			buf_addc(s, '`');
		buf_addc(s, *p);
	}
	buf_addc(s, '`');
}

void
query_in_dbs(struct dump *d, struct buf *q, const char *col)
{
	buf_adds(q, col);
	buf_adds(q, " IN (");
	for (size_t i = 0; i < d->ndbs; i++) {
		if (i > 0)
			buf_addc(q, ',');
		query_lit(q, d->db, d->dbs[i]);
	}
	buf_addc(q, ')');
}

void
query_lit(struct buf *s, MYSQL *db, const char *v)
{
	size_t	 n = strlen(v);
	char	*tmp = xmalloc(2 * n + 1);

	mysql_real_escape_string(db, tmp, v, (unsigned long)n);
	buf_addc(s, '\'');
	buf_adds(s, tmp);
	buf_addc(s, '\'');
	free(tmp);
}

/* keeps the first cause: later errors are consequences */
void
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

int
dump_cancelled(struct dump *d)
{
	if (d->env->cancel != NULL && *d->env->cancel) {
		dump_fail(d, CAIRN_E_TEMPFAIL, "mysql: dump cancelled");
		return 1;
	}
	return 0;
}

void
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
int
dump_dberr(struct dump *d, const char *what)
{
	dump_fail(d, CAIRN_E_DB_DUMP, "mysql: %s: %s", what,
	    mysql_error(d->db));
	return -1;
}

int
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

MYSQL_RES *
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

int
dump_exec(struct dump *d, const char *sql, const char *what)
{
	if (mysql_real_query(d->db, sql, (unsigned long)strlen(sql)) != 0)
		return dump_dberr(d, what);
	return 0;
}

char *
dup_field(const char *v)
{
	return xstrdup(v != NULL ? v : "");
}

/*
 * SHOW CREATE what `db`.`name` (what: "TABLE" or "SEQUENCE"), then its
 * head in the dump: "-- table `db`.`name`", DROP what IF EXISTS `name`,
 * the server's definition.  0, or -1 after dump_fail().
 */
int
dump_definition(struct dump *d, const char *what, const struct obj *ob)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	char		 lower[32], msg[48];
	size_t		 i;
	int		 wrapped;

	for (i = 0; what[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)what[i]);
	lower[i] = '\0';
	snprintf(msg, sizeof(msg), "show create %s", lower);
	buf_printf(&q, "SHOW CREATE %s ", what);
	query_ident(&q, ob->db);
	buf_addc(&q, '.');
	query_ident(&q, ob->name);
	r = dump_query(d, q.p, msg);
	buf_free(&q);
	if (r == NULL)
		return -1;
	if ((row = mysql_fetch_row(r)) == NULL || row[1] == NULL) {
		mysql_free_result(r);
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: %s %s.%s: no definition "
		    "returned", msg, ob->db, ob->name);
		return -1;
	}
	sqlout_printf(d->out, "\n-- %s ", lower);
	put_comment_name(d->out, ob->db, ob->name);
	sqlout_putc(d->out, '\n');
	wrapped = put_begin(d->out, ob->name);
	sqlout_printf(d->out, "DROP %s IF EXISTS ", what);
	sqlout_ident(d->out, ob->name);
	put_end(d->out, wrapped);
	wrapped = put_begin(d->out, row[1]);
	sqlout_puts(d->out, row[1]);
	put_end(d->out, wrapped);
	mysql_free_result(r);
	return 0;
}

/* a name in a comment line: never raw (see sqlout_marker_name()) */
void
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
void
put_use(struct sqlout *o, const char *db)
{
	int	 wrapped = put_begin(o, db);

	sqlout_puts(o, !wrapped && strpbrk(db, "\r\n") != NULL ? "/**/USE " :
	    "USE ");
	sqlout_ident(o, db);
	put_end(o, wrapped);
}

int
put_begin(struct sqlout *o, const char *text)
{
	if (text == NULL || !sqlout_needs_wrap(text, strlen(text)))
		return 0;
	sqlout_wrap_begin(o);
	return 1;
}

void
put_end(struct sqlout *o, int wrapped)
{
	if (wrapped)
		sqlout_wrap_end(o);
	sqlout_puts(o, ";\n");
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
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct obj	*o;

	if (d->ndbs == 0)
		return 0;
	buf_adds(&q, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, "
	    "TABLE_ROWS FROM information_schema.TABLES WHERE ");
	query_in_dbs(d, &q, "TABLE_SCHEMA");
	buf_adds(&q, " ORDER BY TABLE_SCHEMA, TABLE_NAME");
	r = dump_query(d, q.p, "list tables");
	buf_free(&q);
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

static int
dump_database(struct dump *d, size_t di)
{
	struct sqlout	*o = d->out;
	const char	*db = d->dbs[di], *coll = d->db_coll[di];
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	const char	*s, *ine = "/*!32312 IF NOT EXISTS*/";
	size_t		 i;
	int		 wrapped;

	snprintf(d->prog.current, sizeof(d->prog.current), "%s", db);
	buf_adds(&q, "SHOW CREATE DATABASE IF NOT EXISTS ");
	query_ident(&q, db);
	r = dump_query(d, q.p, "show create database");
	buf_free(&q);
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
	wrapped = put_begin(o, row[1]);
	if ((s = strstr(row[1], ine)) != NULL) {
		sqlout_put(o, row[1], (size_t)(s - row[1]));
		sqlout_puts(o, "IF NOT EXISTS");
		sqlout_puts(o, s + strlen(ine));
	} else
		sqlout_puts(o, row[1]);
	put_end(o, wrapped);
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
	if (d.rc == CAIRN_E_OK && d.job->dump_grants && !dump_cancelled(&d))
		dump_grants(&d);
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
