/*
 * mysql_int.h -- private to the mysql dump engine: mysql.c (connection,
 * snapshot, catalog, header/trailer, per-database driver, job entry),
 * mysql_grants.c (accounts and grants), mysql_schema.c (routines, events, triggers, sequences, views) and
 * mysql_rows.c (columns, rows, checksums, one table).
 *
 * Contract
 *   - One struct dump per run, owned by job_mysql_run(); the other files
 *     borrow it.  Every dump_* function that returns int returns 0, or -1
 *     after dump_fail() recorded the first cause in d->rc and the result's
 *     message (the sticky-rc idiom of docs/HACKING.md).
 *   - Output goes through d->out (sqlout); every name reaches it only
 *     through sqlout_ident(), sqlout_string() or, in a comment line,
 *     put_comment_name()/sqlout_marker_name().
 *   - Queries to the server are built in a struct buf with query_ident()
 *     and query_lit(), never by pasting a name.
 */
#ifndef CAIRN_MYSQL_INT_H
#define CAIRN_MYSQL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "cairn/buf.h"
#include "engine.h"
#include "sqlout.h"

#define DUMP_BUF_SIZE		(256 * 1024)
#define DUMP_STMT_MAX		(1024 * 1024)	/* bytes per INSERT */
#define DUMP_PROGRESS_MS	500

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

/* mysql.c: failures, progress, queries */
void		 dump_fail(struct dump *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 dump_cancelled(struct dump *);
void		 dump_progress(struct dump *, int force);
int		 dump_dberr(struct dump *, const char *what);
int		 dump_store_err(struct dump *);
/* run a query and store its (small) result; NULL after dump_fail() */
MYSQL_RES	*dump_query(struct dump *, const char *sql, const char *what);
int		 dump_exec(struct dump *, const char *sql, const char *what);
/* a copy of a result field, "" for NULL; new (free()) */
char		*dup_field(const char *);

/* mysql.c: query text (`name` quoted; 'literal' escaped for our
 * connection: utf8mb4, sql_mode '') */
void		 query_ident(struct buf *, const char *name);
void		 query_lit(struct buf *, MYSQL *, const char *);
/* "col IN ('db1','db2')" of the dumped databases */
void		 query_in_dbs(struct dump *, struct buf *, const char *col);

/* mysql.c: output lines shared by the parts */
void		 put_comment_name(struct sqlout *, const char *db,
		    const char *name);
void		 put_use(struct sqlout *, const char *db);
/*
 * A statement naming text (a name or a definition; NULL: none) that the
 * stock client must pass through byte for byte: put_begin() starts it
 * wrapped (sqlout_wrap_begin()) if text holds CR LF and says so; put_end()
 * ends it with ";\n".
 */
int		 put_begin(struct sqlout *, const char *text);
void		 put_end(struct sqlout *, int wrapped);
/* SHOW CREATE what (TABLE, SEQUENCE) of ob, and its comment, DROP and
 * definition in the dump */
int		 dump_definition(struct dump *, const char *what,
		    const struct obj *);

/* mysql_schema.c */
int		 dump_routines(struct dump *, const char *db, const char *coll);
int		 dump_events(struct dump *, const char *db, const char *coll);
int		 dump_triggers(struct dump *, const char *db, const char *coll,
		    const char *table);
int		 dump_sequence(struct dump *, const struct obj *);
/* every view of every database, each after the views it uses */
int		 dump_views(struct dump *);

/* mysql_grants.c: accounts and grants on the dumped databases, after the
 * views (dump_grants = true) */
int		 dump_grants(struct dump *);

/* mysql_rows.c: one table's definition, rows and triggers */
int		 dump_table(struct dump *, const struct obj *, const char *coll);

#endif /* CAIRN_MYSQL_INT_H */
