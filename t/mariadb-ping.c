/*
 * mariadb-ping -- connect to a MariaDB server through the MariaDB C library
 * and print the first column of each row of one query (tests only).
 *
 *   t/mariadb-ping [-S socket | -h host -P port] [-u user] [-p password-file]
 *       [-e query]
 *
 * The password is read from a file so it never appears in argv.  Exit 0 on
 * success; 2 if connecting failed (the cause, with the server's error
 * number, on stderr); 3 if the query failed; 64 on a usage error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "tap.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mariadb-ping [-S socket | -h host -P port] "
	    "[-u user] [-p password-file] [-e query]\n");
	exit(64);
}

int
main(int argc, char *argv[])
{
	const char	*sock = NULL, *host = NULL, *user = "root";
	const char	*query = "SELECT VERSION()";
	char		*password = NULL;
	unsigned int	 port = 0;
	MYSQL		*db;
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 ch;

	while ((ch = getopt(argc, argv, "S:h:P:u:p:e:")) != -1) {
		switch (ch) {
		case 'S':	sock = optarg; break;
		case 'h':	host = optarg; break;
		case 'P':	port = (unsigned int)atoi(optarg); break;
		case 'u':	user = optarg; break;
		case 'p':	password = tap_read_password(optarg); break;
		case 'e':	query = optarg; break;
		default:	usage();
		}
	}
	if (optind != argc || (sock == NULL && host == NULL))
		usage();

	if ((db = mysql_init(NULL)) == NULL) {
		fprintf(stderr, "mariadb-ping: mysql_init failed\n");
		return 2;
	}
	if (mysql_real_connect(db, host, user, password, NULL, port, sock,
	    0) == NULL) {
		fprintf(stderr, "mariadb-ping: connect: %u %s\n",
		    mysql_errno(db), mysql_error(db));
		mysql_close(db);
		return 2;
	}
	if (mysql_query(db, query) != 0 ||
	    ((res = mysql_store_result(db)) == NULL &&
	    mysql_field_count(db) != 0)) {
		fprintf(stderr, "mariadb-ping: query: %u %s\n",
		    mysql_errno(db), mysql_error(db));
		mysql_close(db);
		return 3;
	}
	if (res != NULL) {
		while ((row = mysql_fetch_row(res)) != NULL)
			printf("%s\n", row[0] != NULL ? row[0] : "NULL");
		mysql_free_result(res);
	}
	mysql_close(db);
	return 0;
}
