/*
 * myconn -- open a connection to a MySQL/MariaDB server the one way cairn
 * does it (dump engine, restore tests).
 *
 * Contract
 *   - myconn_open() applies every client option in one place: connect,
 *     read and write timeouts, TLS per ssl_mode, utf8mb4, the connection
 *     attribute program_name=cairn, no option files read; then sets the
 *     session: time_zone '+00:00', sql_mode '', lock_wait_timeout,
 *     net_read/write_timeout, max_statement_time 0 (MariaDB).
 *   - The password is borrowed and never logged or copied into messages.
 *   - Returns new (mysql_close()), or NULL with a one-line cause in err
 *     ("host:port: cause") and *transient set when retrying may help (the
 *     server is not up yet, too many connections), 0 when it cannot
 *     (access denied, unknown database, TLS refused, or ssl_mode required
 *     and the server offers no TLS: never a silent plain-text fallback).
 */
#ifndef CAIRN_MYCONN_H
#define CAIRN_MYCONN_H

#include <stddef.h>

#include <mysql.h>

#include "cairn/conf.h"

struct myconn_opts {
	const char	*password;		/* borrows; NULL: none */
	int		 lock_wait_timeout;	/* seconds; 0: server's */
};

MYSQL	*myconn_open(const struct db_conn *, const struct myconn_opts *,
	    char *err, size_t errlen, int *transient);
/*
 * The server's own databases (mysql, information_schema, performance_schema,
 * sys): never dumped, never a scratch database.  fold: compare without case
 * (for names that may meet a server with lower_case_table_names).
 */
int	 myconn_is_system_db(const char *name, int fold);
/* "host:port", "socket PATH" or "localhost", for messages. */
void	 myconn_where(const struct db_conn *, char *, size_t);

#endif /* CAIRN_MYCONN_H */
