/* myconn.c -- see myconn.h */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "myconn.h"

void
myconn_where(const struct db_conn *c, char *buf, size_t len)
{
	if (c->host != NULL && c->host[0] != '\0' &&
	    strcmp(c->host, "localhost") != 0)
		snprintf(buf, len, "%s:%d", c->host, c->port > 0 ? c->port :
		    3306);
	else if (c->socket != NULL)
		snprintf(buf, len, "socket %s", c->socket);
	else
		snprintf(buf, len, "localhost");
}

/* errors that may go away if we try again a little later */
static int
myconn_transient(unsigned int e)
{
	switch (e) {
	case CR_CONNECTION_ERROR:	/* no socket yet */
	case CR_CONN_HOST_ERROR:	/* connection refused */
	case CR_UNKNOWN_HOST:		/* compose: name not up yet */
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_HANDSHAKE_ERR:
	case ER_CON_COUNT_ERROR:
	case ER_SERVER_SHUTDOWN:
	case ER_HOST_IS_BLOCKED:
		return 1;
	default:
		return 0;
	}
}

static int
myconn_set(MYSQL *db, const char *sql, char *err, size_t errlen)
{
	if (mysql_query(db, sql) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", sql, mysql_error(db));
	return -1;
}

MYSQL *
myconn_open(const struct db_conn *c, const struct myconn_opts *o,
    char *err, size_t errlen, int *transient)
{
	MYSQL		*db;
	char		 where[160], sql[128];
	unsigned int	 ct, rt, wt, e;
	my_bool		 on = 1;
	const char	*host;

	*transient = 0;
	myconn_where(c, where, sizeof(where));
	if ((db = mysql_init(NULL)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", where);
		return NULL;
	}
	ct = c->connect_timeout > 0 ? (unsigned int)c->connect_timeout : 10;
	rt = c->read_timeout > 0 ? (unsigned int)c->read_timeout : 300;
	wt = rt;
	mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db, MYSQL_OPT_CONNECT_ATTR_RESET, NULL);
	mysql_options4(db, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
	    "cairn");
	if (c->ssl_mode != SSL_MODE_DISABLED) {
		/* asks for TLS when the server offers it (preferred) */
		mysql_ssl_set(db, c->ssl_key, c->ssl_cert, c->ssl_ca, NULL,
		    NULL);
		if (c->ssl_mode >= SSL_MODE_REQUIRED)
			mysql_options(db, MYSQL_OPT_SSL_ENFORCE, &on);
		/* Connector/C checks the chain and the host name together:
		 * verify_ca is as strict as verify_identity */
		if (c->ssl_mode >= SSL_MODE_VERIFY_CA)
			mysql_options(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
			    &on);
	}

	host = c->host;
	if (host != NULL && host[0] == '\0')
		host = NULL;
	if (mysql_real_connect(db, host, c->user,
	    o->password, NULL, c->port > 0 ? (unsigned int)c->port : 0,
	    c->socket, 0) == NULL) {
		e = mysql_errno(db);
		*transient = myconn_transient(e);
		snprintf(err, errlen, "%s: %s", where, mysql_error(db));
		mysql_close(db);
		return NULL;
	}
	/* Connector/C falls back to plain text when the server offers no
	 * TLS, unless it verifies the certificate (MDEV-28634) */
	if (c->ssl_mode >= SSL_MODE_REQUIRED && mysql_get_ssl_cipher(db) ==
	    NULL) {
		snprintf(err, errlen, "%s: the server offers no TLS and "
		    "ssl_mode is %s", where, conf_ssl_mode_name(c->ssl_mode));
		mysql_close(db);
		return NULL;
	}

	if (myconn_set(db, "SET SESSION time_zone = '+00:00'", err,
	    errlen) == -1 ||
	    myconn_set(db, "SET SESSION sql_mode = ''", err, errlen) == -1 ||
	    myconn_set(db, "SET SESSION sql_quote_show_create = 1", err,
	    errlen) == -1)
		goto fail;
	snprintf(sql, sizeof(sql), "SET SESSION net_write_timeout = %u, "
	    "net_read_timeout = %u", rt < 600 ? 600 : rt, rt < 600 ? 600 : rt);
	if (myconn_set(db, sql, err, errlen) == -1)
		goto fail;
	if (o->lock_wait_timeout > 0) {
		snprintf(sql, sizeof(sql), "SET SESSION lock_wait_timeout = %d",
		    o->lock_wait_timeout);
		if (myconn_set(db, sql, err, errlen) == -1)
			goto fail;
	}
	/* MariaDB only; a global max_statement_time must not cut a dump */
	if (strstr(mysql_get_server_info(db), "MariaDB") != NULL &&
	    myconn_set(db, "SET SESSION max_statement_time = 0", err,
	    errlen) == -1)
		goto fail;
	return db;
fail:
	*transient = myconn_transient(mysql_errno(db));
	mysql_close(db);
	return NULL;
}

int
myconn_is_system_db(const char *name, int fold)
{
	static const char *const sys[] = { "mysql", "information_schema",
	    "performance_schema", "sys" };

	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if ((fold || i == 1 || i == 2) ? strcasecmp(name, sys[i]) == 0 :
		    strcmp(name, sys[i]) == 0)
			return 1;
	return 0;
}
