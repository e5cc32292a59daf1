/*
 * myconn-open -- connect with myconn_open(), as the dump engine does, and
 * print each row of each query (columns joined by a tab; tests only).
 *
 *   t/myconn-open [-S socket | -h host -P port] [-u user] [-p password-file]
 *       [-s ssl_mode] [-t connect_timeout] [-l lock_wait_timeout]
 *       [-e query]...
 *
 * Exit 0 on success; 2 if connecting failed and myconn says retrying may
 * help, 3 if it says it cannot; 4 if a query failed; 64 on a usage error.
 * The cause is on stderr as myconn gave it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "myconn.h"
#include "cairn/conf.h"
#include "tap.h"

static void
usage(void)
{
	fprintf(stderr, "usage: myconn-open [-S socket | -h host -P port] "
	    "[-u user] [-p password-file] [-s ssl_mode] [-t seconds] "
	    "[-l seconds] [-e query]...\n");
	exit(64);
}

static enum ssl_mode
ssl_mode(const char *s)
{
	for (int m = SSL_MODE_DISABLED; m <= SSL_MODE_VERIFY_IDENTITY; m++)
		if (strcmp(s, conf_ssl_mode_name((enum ssl_mode)m)) == 0)
			return (enum ssl_mode)m;
	usage();
	return SSL_MODE_DISABLED;
}

static int
run(MYSQL *db, const char *q)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	unsigned int	 i, n;

	if (mysql_query(db, q) != 0) {
		fprintf(stderr, "%s: %s\n", q, mysql_error(db));
		return -1;
	}
	if ((res = mysql_store_result(db)) == NULL)
		return 0;
	n = mysql_num_fields(res);
	while ((row = mysql_fetch_row(res)) != NULL)
		for (i = 0; i < n; i++)
			printf("%s%c", row[i] != NULL ? row[i] : "NULL",
			    i + 1 < n ? '\t' : '\n');
	mysql_free_result(res);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct db_conn		 c = { .user = "root",
	    .ssl_mode = SSL_MODE_PREFERRED };
	struct myconn_opts	 o = { 0 };
	const char		*queries[16];
	char			 err[512];
	int			 ch, nq = 0, transient, rc = 0;
	MYSQL			*db;

	while ((ch = getopt(argc, argv, "S:h:P:u:p:s:t:l:e:")) != -1) {
		switch (ch) {
		case 'S': c.socket = optarg; break;
		case 'h': c.host = optarg; break;
		case 'P': c.port = atoi(optarg); break;
		case 'u': c.user = optarg; break;
		case 'p': o.password = tap_read_password(optarg); break;
		case 's': c.ssl_mode = ssl_mode(optarg); break;
		case 't': c.connect_timeout = atoi(optarg); break;
		case 'l': o.lock_wait_timeout = atoi(optarg); break;
		case 'e':
			if (nq == (int)(sizeof(queries) / sizeof(queries[0])))
				usage();
			queries[nq++] = optarg;
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if ((db = myconn_open(&c, &o, err, sizeof(err), &transient)) == NULL) {
		fprintf(stderr, "%s\n", err);
		mysql_library_end();
		return transient ? 2 : 3;
	}
	for (int i = 0; i < nq && rc == 0; i++)
		if (run(db, queries[i]) == -1)
			rc = 4;
	mysql_close(db);
	mysql_library_end();
	return rc;
}
