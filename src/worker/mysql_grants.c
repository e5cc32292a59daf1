/*
 * mysql_grants.c -- the dump's accounts and privileges (dump_grants = true;
 * see mysql_int.h and docs/mysql-dumps.md, "Accounts and grants").
 *
 * Which accounts: those with a privilege on a dumped database (mysql.db,
 * tables_priv, columns_priv, procs_priv, exact database names), the roles
 * among them, and every account or role granted one of those roles (without
 * ADMIN OPTION; one with it only when it is dumped anyway), transitively.
 *
 * What is written, after the views: CREATE ROLE IF NOT EXISTS, CREATE USER
 * IF NOT EXISTS with the authentication and limits of SHOW CREATE USER
 * (password hashes as the server stores them), GRANT role TO, SET DEFAULT
 * ROLE, then per database a USE and its GRANTs on `*`, on unqualified
 * tables and routines: they name the database of that USE, so a restore
 * under another name (cairnctl restore --database) grants on that one.  An
 * existing account is left as it is (IF NOT EXISTS) and gains the
 * privileges.  Every name goes through sqlout_string()/sqlout_ident();
 * privilege words come from the server's SET members and are checked.
 * MariaDB only (MySQL keeps roles in other tables).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include "cairn/buf.h"
#include "cairn/errors.h"
#include "cairn/util.h"
#include "mysql_int.h"

struct acct {
	char	*user;		/* owns */
	char	*host;		/* owns; "" for a role */
	char	*defrole;	/* owns; "" none */
	int	 role;
	int	 want;		/* dumped */
};

struct rmap {
	char	*user, *host, *role;	/* owns */
	int	 admin;
};

struct grants {
	struct acct	*a;
	size_t		 na;
	struct rmap	*m;
	size_t		 nm;
};

static void
grants_free(struct grants *g)
{
	size_t	 i;

	for (i = 0; i < g->na; i++) {
		free(g->a[i].user);
		free(g->a[i].host);
		free(g->a[i].defrole);
	}
	for (i = 0; i < g->nm; i++) {
		free(g->m[i].user);
		free(g->m[i].host);
		free(g->m[i].role);
	}
	free(g->a);
	free(g->m);
}

static struct acct *
acct_find(struct grants *g, const char *user, const char *host)
{
	for (size_t i = 0; i < g->na; i++)
		if (strcmp(g->a[i].user, user) == 0 &&
		    strcmp(g->a[i].host, host) == 0)
			return &g->a[i];
	return NULL;
}

/* every account and role mapping; the ones with privileges here marked */
static int
grants_load(struct dump *d, struct grants *g)
{
	struct buf	 q = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct acct	*a;
	static const char *const tabs[] = { "mysql.db", "mysql.tables_priv",
	    "mysql.columns_priv", "mysql.procs_priv" };

	if ((r = dump_query(d, "SELECT User, Host, is_role, default_role "
	    "FROM mysql.user", "dump_grants: read mysql.user")) == NULL)
		return -1;
	while ((row = mysql_fetch_row(r)) != NULL) {
		g->a = xreallocarray(g->a, g->na + 1, sizeof(*g->a));
		a = &g->a[g->na++];
		a->user = dup_field(row[0]);
		a->host = dup_field(row[1]);
		a->role = row[2] != NULL && strcmp(row[2], "Y") == 0;
		a->defrole = dup_field(row[3]);
		a->want = 0;
	}
	mysql_free_result(r);
	if ((r = dump_query(d, "SELECT User, Host, Role, Admin_option FROM "
	    "mysql.roles_mapping", "dump_grants: read mysql.roles_mapping")) ==
	    NULL)
		return -1;
	while ((row = mysql_fetch_row(r)) != NULL) {
		g->m = xreallocarray(g->m, g->nm + 1, sizeof(*g->m));
		g->m[g->nm].user = dup_field(row[0]);
		g->m[g->nm].host = dup_field(row[1]);
		g->m[g->nm].role = dup_field(row[2]);
		g->m[g->nm++].admin = row[3] != NULL && strcmp(row[3], "Y") == 0;
	}
	mysql_free_result(r);

	for (size_t t = 0; t < nitems(tabs); t++) {
		if (t > 0)
			buf_adds(&q, " UNION ");
		buf_adds(&q, "SELECT User, Host FROM ");
		buf_adds(&q, tabs[t]);
		buf_adds(&q, " WHERE ");
		query_in_dbs(d, &q, "Db");
	}
	r = dump_query(d, q.p, "dump_grants: read the privilege tables");
	buf_free(&q);
	if (r == NULL)
		return -1;
	while ((row = mysql_fetch_row(r)) != NULL)
		if ((a = acct_find(g, row[0] != NULL ? row[0] : "",
		    row[1] != NULL ? row[1] : "")) != NULL)
			a->want = 1;
	mysql_free_result(r);
	return 0;
}

/* holders of a dumped role are dumped, to a fixed point */
static void
grants_close(struct grants *g)
{
	struct acct	*role, *who;
	int		 more = 1;

	while (more) {
		more = 0;
		for (size_t i = 0; i < g->nm; i++) {
			if (g->m[i].admin ||
			    (role = acct_find(g, g->m[i].role, "")) == NULL ||
			    !role->role || !role->want ||
			    (who = acct_find(g, g->m[i].user, g->m[i].host)) ==
			    NULL || who->want)
				continue;
			who->want = 1;
			more = 1;
		}
	}
}

static void
put_grantee(struct sqlout *o, const struct acct *a)
{
	if (a->role && strcmp(a->user, "PUBLIC") == 0) {
		sqlout_puts(o, "PUBLIC");
		return;
	}
	sqlout_string(o, a->user, strlen(a->user));
	if (!a->role) {
		sqlout_putc(o, '@');
		sqlout_string(o, a->host, strlen(a->host));
	}
}

/*
 * CREATE USER IF NOT EXISTS with what follows the name in SHOW CREATE
 * USER (authentication, TLS, limits, expiry, lock): that text holds no
 * name, only the server's words and string literals; it is taken only
 * after the name as the server quotes it, and without a control character.
 */
static int
put_create_user(struct dump *d, const struct acct *a)
{
	struct buf	 q = { 0 }, name = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	const char	*rest = NULL;
	int		 rc = 0;

	buf_adds(&q, "SHOW CREATE USER ");
	query_lit(&q, d->db, a->user);
	buf_addc(&q, '@');
	query_lit(&q, d->db, a->host);
	r = dump_query(d, q.p, "dump_grants: show create user");
	buf_free(&q);
	if (r == NULL)
		return -1;
	buf_adds(&name, "CREATE USER ");
	query_ident(&name, a->user);
	buf_addc(&name, '@');
	query_ident(&name, a->host);
	if ((row = mysql_fetch_row(r)) != NULL && row[0] != NULL &&
	    strncmp(row[0], name.p, name.len) == 0)
		rest = row[0] + name.len;
	for (const char *p = rest; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			rest = NULL;
	if (rest == NULL) {
		dump_fail(d, CAIRN_E_DB_DUMP, "mysql: dump_grants: SHOW "
		    "CREATE USER for an account of %zu bytes: not the "
		    "statement expected (CREATE USER `name`@`host` ...)",
		    strlen(a->user));
		rc = -1;
	} else {
		sqlout_puts(d->out, "CREATE USER IF NOT EXISTS ");
		put_grantee(d->out, a);
		sqlout_puts(d->out, rest);
		sqlout_puts(d->out, ";\n");
	}
	buf_free(&name);
	mysql_free_result(r);
	return rc;
}

static int
put_accounts(struct dump *d, struct grants *g)
{
	struct sqlout	*o = d->out;
	struct acct	*a, *who;
	size_t		 i;

	for (i = 0; i < g->na; i++) {
		a = &g->a[i];
		if (!a->want || !a->role || strcmp(a->user, "PUBLIC") == 0)
			continue;
		sqlout_puts(o, "CREATE ROLE IF NOT EXISTS ");
		put_grantee(o, a);
		sqlout_puts(o, ";\n");
	}
	for (i = 0; i < g->na; i++)
		if (g->a[i].want && !g->a[i].role &&
		    put_create_user(d, &g->a[i]) == -1)
			return -1;
	for (i = 0; i < g->nm; i++) {
		a = acct_find(g, g->m[i].role, "");
		who = acct_find(g, g->m[i].user, g->m[i].host);
		if (a == NULL || who == NULL || !a->want || !who->want)
			continue;
		sqlout_puts(o, "GRANT ");
		put_grantee(o, a);
		sqlout_puts(o, " TO ");
		put_grantee(o, who);
		sqlout_puts(o, g->m[i].admin ? " WITH ADMIN OPTION;\n" : ";\n");
	}
	for (i = 0; i < g->na; i++) {
		a = &g->a[i];
		if (!a->want || a->defrole[0] == '\0' ||
		    (who = acct_find(g, a->defrole, "")) == NULL || !who->want)
			continue;
		sqlout_puts(o, "SET DEFAULT ROLE ");
		put_grantee(o, who);
		sqlout_puts(o, " FOR ");
		put_grantee(o, a);
		sqlout_puts(o, ";\n");
	}
	return dump_store_err(d);
}

/*
 * A privilege list from a SET column ("Select,Alter Routine,Grant") as
 * GRANT words; "Grant" sets *grant instead.  Each word must be letters and
 * spaces (they are the server's own); -1 otherwise.
 */
static int
priv_words(const char *set, const char *col, struct buf *out, int *grant)
{
	const char	*p = set, *e;
	size_t		 n;

	for (; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		for (e = p; *e != '\0' && *e != ','; e++)
			if (!isalpha((unsigned char)*e) && *e != ' ')
				return -1;
		n = (size_t)(e - p);
		if (n == 5 && strncasecmp(p, "Grant", 5) == 0) {
			*grant = 1;
			continue;
		}
		if (n == 0)
			continue;
		if (out->len > 0)
			buf_adds(out, ", ");
		if (n == 22 && strncasecmp(p, "Delete versioning rows", n) == 0)
			buf_adds(out, "DELETE HISTORY");
		else
			for (size_t i = 0; i < n; i++)
				buf_addc(out, (char)toupper((unsigned char)p[i]));
		if (col != NULL) {
			buf_adds(out, " (");
			query_ident(out, col);
			buf_addc(out, ')');
		}
	}
	return 0;
}

/* mysql.db's X_priv columns as a SET-like list ("Select,Create tmp...") */
static void
db_row_privs(MYSQL_RES *r, MYSQL_ROW row, struct buf *out)
{
	MYSQL_FIELD	*f = mysql_fetch_fields(r);
	unsigned int	 i, n = mysql_num_fields(r);
	size_t		 len;

	for (i = 0; i < n; i++) {
		len = strlen(f[i].name);
		if (len <= 5 || strcasecmp(f[i].name + len - 5, "_priv") != 0 ||
		    row[i] == NULL || strcmp(row[i], "Y") != 0)
			continue;
		if (out->len > 0)
			buf_addc(out, ',');
		if (strcasecmp(f[i].name, "Create_tmp_table_priv") == 0)
			buf_adds(out, "Create temporary tables");
		else
			for (size_t k = 0; k + 5 < len; k++)
				buf_addc(out, f[i].name[k] == '_' ? ' ' :
				    f[i].name[k]);
	}
}

/* GRANT words ON [kind] `obj` (* without obj) TO grantee [WITH GRANT
 * OPTION]: unqualified, the database of the last USE */
static void
put_grant(struct sqlout *o, const char *words, int grant, const char *kind,
    const char *obj, const struct acct *a)
{
	int	 wrapped = put_begin(o, obj);

	sqlout_puts(o, "GRANT ");
	sqlout_puts(o, words[0] != '\0' ? words : "USAGE");
	sqlout_puts(o, " ON ");
	if (kind != NULL) {
		sqlout_puts(o, kind);
		sqlout_putc(o, ' ');
	}
	if (obj != NULL)
		sqlout_ident(o, obj);
	else
		sqlout_putc(o, '*');
	sqlout_puts(o, " TO ");
	put_grantee(o, a);
	if (grant)
		sqlout_puts(o, " WITH GRANT OPTION");
	put_end(o, wrapped);
}

static int
has_table(struct dump *d, const char *db, const char *name)
{
	for (size_t i = 0; i < d->nobjs; i++)
		if (strcmp(d->objs[i].db, db) == 0 &&
		    strcmp(d->objs[i].name, name) == 0)
			return 1;
	return 0;
}

enum grant_level { LVL_DB, LVL_TABLE, LVL_COLUMN, LVL_ROUTINE };

/* the GRANTs of one privilege table for database db */
static int
put_level(struct dump *d, struct grants *g, const char *db,
    enum grant_level lvl)
{
	static const char *const sql[] = {
		[LVL_DB] = "SELECT User, Host, '', '', d.* FROM mysql.db d",
		[LVL_TABLE] = "SELECT User, Host, Table_name, '', Table_priv "
		    "FROM mysql.tables_priv",
		[LVL_COLUMN] = "SELECT User, Host, Table_name, Column_name, "
		    "Column_priv FROM mysql.columns_priv",
		[LVL_ROUTINE] = "SELECT User, Host, Routine_name, Routine_type, "
		    "Proc_priv FROM mysql.procs_priv p",
	};
	static const char *const types[] = { "FUNCTION", "PROCEDURE",
	    "PACKAGE", "PACKAGE BODY" };
	struct buf	 q = { 0 }, w = { 0 }, set = { 0 };
	MYSQL_RES	*r;
	MYSQL_ROW	 row;
	struct acct	*a;
	const char	*kind;
	int		 grant, rc = 0;

	buf_adds(&q, sql[lvl]);
	buf_adds(&q, " WHERE Db = ");
	query_lit(&q, d->db, db);
	if (lvl == LVL_ROUTINE)	/* a grant on a routine gone stays */
		buf_adds(&q, " AND EXISTS (SELECT 1 FROM "
		    "information_schema.ROUTINES i WHERE i.ROUTINE_SCHEMA = "
		    "p.Db AND i.ROUTINE_NAME = p.Routine_name AND "
		    "i.ROUTINE_TYPE = p.Routine_type)");
	buf_adds(&q, " ORDER BY 1, 2, 3, 4");
	r = dump_query(d, q.p, "dump_grants: read privileges");
	buf_free(&q);
	if (r == NULL)
		return -1;
	while (rc == 0 && (row = mysql_fetch_row(r)) != NULL) {
		if (row[0] == NULL || row[1] == NULL || row[2] == NULL ||
		    row[3] == NULL || (lvl != LVL_DB && row[4] == NULL) ||
		    (a = acct_find(g, row[0], row[1])) == NULL || !a->want)
			continue;
		/* a grant on a table that is not in the dump (excluded, or
		 * dropped since: the server keeps such grants) would stop
		 * the restore */
		if ((lvl == LVL_TABLE || lvl == LVL_COLUMN) &&
		    !has_table(d, db, row[2]))
			continue;
		kind = NULL;
		if (lvl == LVL_ROUTINE) {
			for (size_t i = 0; i < nitems(types); i++)
				if (strcmp(row[3], types[i]) == 0)
					kind = types[i];
			if (kind == NULL)
				continue;
		}
		if (lvl == LVL_DB)
			db_row_privs(r, row, &set);
		else
			buf_adds(&set, row[4]);
		grant = 0;
		if (priv_words(set.p != NULL ? set.p : "", lvl == LVL_COLUMN ?
		    row[3] : NULL, &w, &grant) == -1) {
			dump_fail(d, CAIRN_E_DB_DUMP, "mysql: dump_grants: "
			    "privileges of %s.%s: unexpected list \"%.60s\"",
			    db, row[2], set.p);
			rc = -1;
		} else if (w.len > 0 || grant)
			put_grant(d->out, w.p != NULL ? w.p : "",
			    lvl != LVL_COLUMN && grant, kind,
			    lvl == LVL_DB ? NULL : row[2], a);
		buf_free(&w);
		buf_free(&set);
	}
	mysql_free_result(r);
	return rc == 0 ? dump_store_err(d) : -1;
}

int
dump_grants(struct dump *d)
{
	struct grants	 g = { 0 };
	int		 rc = -1;

	if (!d->mariadb) {
		dump_fail(d, CAIRN_E_CONFIG, "mysql: dump_grants: supported "
		    "with MariaDB only (%s)", d->server_version);
		return -1;
	}
	if (d->ndbs == 0)
		return 0;
	snprintf(d->prog.current, sizeof(d->prog.current), "grants");
	if (grants_load(d, &g) == -1)
		goto out;
	grants_close(&g);
	sqlout_puts(d->out, "\n-- accounts and grants on the dumped "
	    "databases\n");
	if (put_accounts(d, &g) == -1)
		goto out;
	for (size_t i = 0; i < d->ndbs; i++) {
		put_use(d->out, d->dbs[i]);
		for (int l = LVL_DB; l <= LVL_ROUTINE; l++)
			if (put_level(d, &g, d->dbs[i], l) == -1)
				goto out;
	}
	rc = 0;
out:
	grants_free(&g);
	return rc;
}
