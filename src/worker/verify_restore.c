/*
 * verify_restore -- the MySQL restore test (verify_restore_mysql): a
 * second pass whose SQL sink also runs every statement against scratch
 * database(s) on the target server, then compares the restored row
 * counts and checksums with the catalog's.  See verify_int.h.
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

#include <mysql.h>

#include "cairn/errors.h"
#include "myconn.h"
#include "cairn/sqlscan.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "verify_int.h"

#define RESTORE_MAX_DBS	64

struct restore {
	MYSQL		*my;
	const char	*scratch;
	char		 src[RESTORE_MAX_DBS][96];	/* dump's databases */
	char		 dst[RESTORE_MAX_DBS][112];	/* scratch names */
	size_t		 ndb;
	char		*sql;		/* rewrite buffer */
	size_t		 sqlcap;
	char		 err[192];
	const struct verify_opts *opts;
};

static int
restore_query(struct restore *r, const char *q, size_t len, uint64_t line)
{
	if (mysql_real_query(r->my, q, len) != 0) {
		if (line > 0)
			snprintf(r->err, sizeof(r->err), "restore: line %"
			    PRIu64 ": %s (%u)", line, mysql_error(r->my),
			    mysql_errno(r->my));
		else
			snprintf(r->err, sizeof(r->err), "restore: %.60s: %s "
			    "(%u)", q, mysql_error(r->my), mysql_errno(r->my));
		return -1;
	}
	/* drain any result (SELECTs in a dump are unusual but legal) */
	do {
		MYSQL_RES	*rs = mysql_store_result(r->my);

		mysql_free_result(rs);
	} while (mysql_next_result(r->my) == 0);
	return 0;
}

static int
restore_queryf(struct restore *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
restore_queryf(struct restore *r, const char *fmt, ...)
{
	char	 q[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(q)) {
		snprintf(r->err, sizeof(r->err), "restore: name too long");
		return -1;
	}
	return restore_query(r, q, (size_t)n, 0);
}

/* Backquote an identifier into out (doubling backquotes). */
static void
bq(char *out, size_t len, const char *id)
{
	size_t	 o = 0;

	if (len < 3)
		return;
	out[o++] = '`';
	for (; *id != '\0' && o + 3 < len; id++) {
		if (*id == '`')
			out[o++] = '`';
		out[o++] = *id;
	}
	out[o++] = '`';
	out[o] = '\0';
}

static const char *
restore_map(struct restore *r, const char *src, int create)
{
	char	 q[256];

	for (size_t i = 0; i < r->ndb; i++)
		if (strcmp(r->src[i], src) == 0)
			return r->dst[i];
	if (!create)
		return NULL;
	if (r->ndb == RESTORE_MAX_DBS) {
		snprintf(r->err, sizeof(r->err), "restore: more than %d "
		    "databases in the dump", RESTORE_MAX_DBS);
		return NULL;
	}
	snprintf(r->src[r->ndb], sizeof(r->src[r->ndb]), "%s", src);
	if (r->ndb == 0)
		snprintf(r->dst[0], sizeof(r->dst[0]), "%s", r->scratch);
	else
		snprintf(r->dst[r->ndb], sizeof(r->dst[r->ndb]), "%s_%zu",
		    r->scratch, r->ndb + 1);
	/* never let a scratch name be one of the dump's own databases */
	for (size_t i = 0; i <= r->ndb; i++)
		for (size_t j = 0; j <= r->ndb; j++)
			if (strcmp(r->src[i], r->dst[j]) == 0) {
				snprintf(r->err, sizeof(r->err), "restore: "
				    "scratch database %s is also in the dump",
				    r->dst[j]);
				return NULL;
			}
	r->ndb++;
	bq(q, sizeof(q), r->dst[r->ndb - 1]);
	if (restore_queryf(r, "DROP DATABASE IF EXISTS %s", q) == -1 ||
	    restore_queryf(r, "CREATE DATABASE %s CHARACTER SET utf8mb4",
	    q) == -1)
		return NULL;
	return r->dst[r->ndb - 1];
}

/*
 * Copy stmt into r->sql, replacing every backquoted identifier that names
 * a mapped source database and is followed by '.' with its scratch name.
 * Strings and comments are copied as they are.
 */
static int
restore_rewrite(struct restore *r, const char *s, size_t len, size_t *outlen)
{
	size_t	 o = 0, need = len * 2 + 256;
	char	 id[96];

	if (need > r->sqlcap) {
		char	*n = realloc(r->sql, need);

		if (n == NULL) {
			snprintf(r->err, sizeof(r->err), "restore: out of "
			    "memory");
			return -1;
		}
		r->sql = n;
		r->sqlcap = need;
	}
	for (size_t i = 0; i < len; ) {
		char	 c = s[i];

		if (c == '\'' || c == '"') {
			size_t	 j = i + 1;

			while (j < len) {
				if (s[j] == '\\') {
					j += 2;
					continue;
				}
				if (s[j] == c) {
					if (j + 1 < len && s[j + 1] == c) {
						j += 2;
						continue;
					}
					break;
				}
				j++;
			}
			j = j < len ? j + 1 : len;
			memcpy(r->sql + o, s + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		if (c == '`') {
			const char	*p = s + i, *dst;
			size_t		 j;

			if (sqlscan_ident(&p, s + len, id, sizeof(id)) == 0) {
				j = (size_t)(p - s);
				if (j < len && s[j] == '.' &&
				    (dst = restore_map(r, id, 0)) != NULL &&
				    o + strlen(dst) * 2 + 2 < r->sqlcap) {
					bq(r->sql + o, r->sqlcap - o, dst);
					o += strlen(r->sql + o);
				} else {
					memcpy(r->sql + o, s + i, j - i);
					o += j - i;
				}
				i = j;
				continue;
			}
		}
		if (o + 1 >= r->sqlcap)
			break;
		r->sql[o++] = c;
		i++;
	}
	r->sql[o] = '\0';
	*outlen = o;
	return 0;
}

int
verify_restore_stmt(struct restore *r, const struct sqlscan_item *it,
    struct dump_sink *m)
{
	char		 db[96], q[256];
	const char	*dst;
	size_t		 len;

	(void)m;
	if (it->kind != SQLSCAN_STMT)
		return 0;
	if (r->opts != NULL && verify_cancelled(r->opts)) {
		snprintf(r->err, sizeof(r->err), "cancelled");
		return -1;
	}
	if (sqlscan_create_db(it->text, it->len, db, sizeof(db)) == 1)
		return restore_map(r, db, 1) != NULL ? 0 : -1;
	if (sqlscan_use(it->text, it->len, db, sizeof(db)) == 1) {
		if ((dst = restore_map(r, db, 1)) == NULL)
			return -1;
		bq(q, sizeof(q), dst);
		return restore_queryf(r, "USE %s", q);
	}
	if (sqlscan_alter_db(it->text, it->len, db, sizeof(db), &len) == 1) {
		/* around a routine created under another collation: the
		 * scratch database's, never the one of the same name */
		if ((dst = restore_map(r, db, 1)) == NULL)
			return -1;
		bq(q, sizeof(q), dst);
		return restore_queryf(r, "ALTER DATABASE %s%.*s", q,
		    (int)(it->len - len), it->text + len);
	}
	if (sqlscan_account(it->text, it->len))
		return 0;	/* accounts: not on the test server */
	if (restore_rewrite(r, it->text, it->len, &len) == -1)
		return -1;
	return restore_query(r, r->sql, len, it->line);
}

static int
name_ok(const char *s)
{
	size_t	 n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_')
			return 0;
	return n > 0 && n <= 48 && !myconn_is_system_db(s, 1);
}

static MYSQL *
restore_connect(const struct verify_opts *o, char *err, size_t errlen)
{
	const struct db_conn	*c = o->target;
	MYSQL			*my;
	unsigned int		 t;
	my_bool			 yes = 1, no = 0;

	if ((my = mysql_init(NULL)) == NULL) {
		snprintf(err, errlen, "restore: out of memory");
		return NULL;
	}
	t = c->connect_timeout > 0 ? (unsigned)c->connect_timeout : 10;
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	t = c->read_timeout > 0 ? (unsigned)c->read_timeout : 300;
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &no);
	if (c->ssl_ca != NULL || c->ssl_cert != NULL || c->ssl_key != NULL)
		mysql_ssl_set(my, c->ssl_key, c->ssl_cert, c->ssl_ca, NULL,
		    NULL);
	if (c->ssl_mode >= SSL_MODE_REQUIRED)
		mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &yes);
	if (c->ssl_mode >= SSL_MODE_VERIFY_CA)
		mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
	if (mysql_real_connect(my, c->socket != NULL ? NULL : c->host,
	    c->user, o->target_password, NULL,
	    c->port > 0 ? (unsigned)c->port : 0, c->socket,
	    CLIENT_MULTI_RESULTS) == NULL) {
		snprintf(err, errlen, "restore: cannot connect to the target "
		    "%s: %s", c->socket != NULL ? c->socket :
		    c->host != NULL ? c->host : "localhost", mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	return my;
}

static int
restore_query_noresult(struct restore *r, const char *q)
{
	if (mysql_real_query(r->my, q, strlen(q)) != 0) {
		snprintf(r->err, sizeof(r->err), "restore: %.60s: %s (%u)", q,
		    mysql_error(r->my), mysql_errno(r->my));
		return -1;
	}
	return 0;
}

static int
restore_u64(struct restore *r, const char *q, int col, uint64_t *v)
{
	MYSQL_RES	*rs;
	MYSQL_ROW	 row;
	int		 rc = -1;

	if (restore_query_noresult(r, q) == -1)
		return -1;
	if ((rs = mysql_store_result(r->my)) == NULL) {
		snprintf(r->err, sizeof(r->err), "restore: %.60s: no result",
		    q);
		return -1;
	}
	if ((row = mysql_fetch_row(rs)) != NULL &&
	    (unsigned)col < mysql_num_fields(rs)) {
		*v = row[col] != NULL ? strtoull(row[col], NULL, 10) : 0;
		rc = row[col] != NULL ? 0 : 1;	/* 1: NULL (no checksum) */
	} else
		snprintf(r->err, sizeof(r->err), "restore: %.60s: no row", q);
	mysql_free_result(rs);
	return rc;
}

/* Compare the restored tables with the dump's counts and the catalog. */
static void
restore_compare(struct restore *r, const struct tables *counted,
    const struct verify_expect *e, struct verify_result *res)
{
	char	 db[96], q[512], qd[200], qt[200];
	uint64_t v;

	for (size_t i = 0; i < counted->n; i++) {
		const struct table_stat	*c = &counted->v[i];
		const struct table_stat	*x = verify_expect_find(e, c->name);
		const char		*dot = strchr(c->name, '.');
		const char		*dst;

		if (dot == NULL || (size_t)(dot - c->name) >= sizeof(db))
			continue;
		memcpy(db, c->name, (size_t)(dot - c->name));
		db[dot - c->name] = '\0';
		if ((dst = restore_map(r, db, 0)) == NULL) {
			verify_fail(res, VERIFY_RESTORE,
			    "restore: table %s: its "
			    "database was never created", c->name);
			continue;
		}
		bq(qd, sizeof(qd), dst);
		bq(qt, sizeof(qt), dot + 1);
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM %s.%s", qd, qt);
		if (restore_u64(r, q, 0, &v) != 0) {
			verify_fail(res, VERIFY_RESTORE, "%s", r->err);
			continue;
		}
		if (v != c->rows)
			verify_fail(res, VERIFY_RESTORE, "restore: table %s: %"
			    PRIu64 " rows restored, %" PRIu64 " in dump",
			    c->name, v, c->rows);
		else if (x != NULL && v != x->rows)
			verify_fail(res, VERIFY_RESTORE, "restore: table %s: %"
			    PRIu64 " rows restored, %" PRIu64 " in catalog",
			    c->name, v, x->rows);
		if (x == NULL || !x->has_checksum)
			continue;
		snprintf(q, sizeof(q), "CHECKSUM TABLE %s.%s", qd, qt);
		if (restore_u64(r, q, 1, &v) != 0) {
			verify_fail(res, VERIFY_RESTORE,
			    "restore: table %s: no "
			    "checksum", c->name);
			continue;
		}
		if (v != x->checksum)
			verify_fail(res, VERIFY_RESTORE,
			    "restore: table %s: checksum "
			    "%" PRIu64 " restored, %" PRIu64 " recorded",
			    c->name, v, x->checksum);
	}
	verify_passed(res, VERIFY_RESTORE);
}

int
verify_restore_mysql(int dirfd, const char *name,
    const struct verify_expect *e, const struct verify_opts *opts,
    struct verify_result *res)
{
	struct verify_expect	 none;
	struct restore		 r;
	struct dump_sink	 m;
	struct pass		 p;
	char			 q[256];
	int			 fd, code = CAIRN_E_OK;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	if (e == NULL) {
		verify_expect_init(&none);
		e = &none;
	}
	if (opts == NULL || opts->target == NULL ||
	    !name_ok(opts->target_database)) {
		snprintf(res->message, sizeof(res->message), "restore: no "
		    "target, or a bad scratch database name (letters, digits, "
		    "_; not a system database)");
		return CAIRN_E_CONFIG;
	}
	if ((fd = verify_open_artifact(dirfd, name, res)) == -1)
		return CAIRN_E_NOINPUT;
	if ((r.my = restore_connect(opts, res->message,
	    sizeof(res->message))) == NULL) {
		close(fd);
		return CAIRN_E_DB_CONNECT;
	}
	r.scratch = opts->target_database;
	r.opts = opts;
	m.restore = &r;
	if ((m.scan = sqlscan_new(opts->max_stmt != 0 ? opts->max_stmt :
	    SQLSCAN_MAX_PACKET, verify_sink_item, &m)) == NULL) {
		code = CAIRN_E_OSERR;
		snprintf(res->message, sizeof(res->message), "restore: %s",
		    strerror(errno));
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.ck = verify_name_compression(name);
	p.sink = verify_sink_feed;
	p.sink_arg = &m;
	p.opts = opts;
	p.name = name;
	verify_pass_setup(&p, name, opts);
	if (p.encrypted && p.nage_ids == 0) {
		code = CAIRN_E_CONFIG;
		snprintf(res->message, sizeof(res->message), "restore: %s is "
		    "encrypted and no age identity was given", name);
		goto out;
	}
	if (verify_pass_run(&p) == -1) {
		code = p.cancelled ? CAIRN_E_TEMPFAIL : CAIRN_E_IOERR;
		snprintf(res->message, sizeof(res->message), "restore: %s: %s",
		    name, p.cancelled ? "cancelled" : strerror(p.io_errno));
		goto out;
	}
	if (p.age_err[0] != '\0')
		verify_fail(res, VERIFY_RESTORE, "restore: %s", p.age_err);
	else if (p.stream_err[0] != '\0')
		verify_fail(res, VERIFY_RESTORE, "restore: %s", p.stream_err);
	else if (p.sink_failed || sqlscan_end(m.scan) == -1) {
		if (strcmp(r.err, "cancelled") == 0) {
			code = CAIRN_E_TEMPFAIL;
			snprintf(res->message, sizeof(res->message),
			    "restore: cancelled");
			goto out;
		}
		verify_fail(res, VERIFY_RESTORE,
		    "%s", r.err[0] != '\0' ? r.err :
		    sqlscan_error(m.scan));
	} else
		restore_compare(&r, &m.counted, e, res);
	verify_tables_to_result(&m.counted, res);
out:
	for (size_t i = 0; i < r.ndb; i++) {
		bq(q, sizeof(q), r.dst[i]);
		if (restore_queryf(&r, "DROP DATABASE IF EXISTS %s", q) == -1 &&
		    code == CAIRN_E_OK)
			verify_fail(res, VERIFY_RESTORE, "%s", r.err);
	}
	mysql_close(r.my);
	free(r.sql);
	sqlscan_free(m.scan);
	free(m.counted.v);
	free(m.recorded.v);
	close(fd);
	if (code != CAIRN_E_OK)
		return code;
	verify_summarise(res);
	return res->failed ? CAIRN_E_VERIFY : CAIRN_E_OK;
}
