/*
 * t/67-myconn.c -- src/worker/myconn.c without a server: the "where" used
 * in messages, the system-database list, and how a failed connection is
 * classified (transient or not), bounded by connect_timeout and never
 * quoting the password.  t/68-myconn-server.sh covers the paths that need a
 * server (session settings, TLS modes, access denied, too many
 * connections).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "myconn.h"
#include "cairn/util.h"
#include "tap.h"

#define SECRET	"hunter2-do-not-print"

static void
test_where(void)
{
	struct db_conn	 c;
	char		 w[64], tiny[8];

	memset(&c, 0, sizeof(c));
	c.host = "db.example";
	c.port = 3307;
	myconn_where(&c, w, sizeof(w));
	is_str(w, "db.example:3307", "a host with its port");
	c.port = 0;
	myconn_where(&c, w, sizeof(w));
	is_str(w, "db.example:3306", "no port: 3306, as the client uses");
	c.host = "localhost";
	c.socket = "/run/mysqld/mysqld.sock";
	myconn_where(&c, w, sizeof(w));
	is_str(w, "socket /run/mysqld/mysqld.sock",
	    "localhost with a socket is the socket");
	c.host = "";
	myconn_where(&c, w, sizeof(w));
	is_str(w, "socket /run/mysqld/mysqld.sock", "so is an empty host");
	c.host = NULL;
	c.socket = NULL;
	myconn_where(&c, w, sizeof(w));
	is_str(w, "localhost", "neither host nor socket: localhost");
	c.host = "a-very-long-host-name.example";
	myconn_where(&c, tiny, sizeof(tiny));
	is_int((long long)strlen(tiny), (long long)sizeof(tiny) - 1,
	    "a small buffer is cut and stays NUL-terminated");
}

static void
test_system_db(void)
{
	static const char *const sys[] = { "mysql", "information_schema",
	    "performance_schema", "sys" };
	static const char *const not[] = { "", "test", "mysqlx", "sys_",
	    "my", "information_schema2", "sakila" };
	size_t	 i;
	int	 all = 1;

	for (i = 0; i < nitems(sys); i++)
		all &= myconn_is_system_db(sys[i], 0) &&
		    myconn_is_system_db(sys[i], 1);
	ok(all, "the four system databases, with and without folding");
	all = 1;
	for (i = 0; i < nitems(not); i++)
		all &= !myconn_is_system_db(not[i], 0) &&
		    !myconn_is_system_db(not[i], 1);
	ok(all, "near misses are user databases");
	ok(!myconn_is_system_db("MySQL", 0) && !myconn_is_system_db("SYS", 0),
	    "mysql and sys are case-sensitive names without folding");
	ok(myconn_is_system_db("MySQL", 1) && myconn_is_system_db("SYS", 1),
	    "and system databases with folding (lower_case_table_names)");
	ok(myconn_is_system_db("INFORMATION_SCHEMA", 0) &&
	    myconn_is_system_db("Performance_Schema", 0),
	    "the two schemas the server treats without case always match");
}

/* A TCP port on 127.0.0.1 that is bound (so no one else takes it). */
static int
tcp_port(int listening, int *portp)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bail("socket: %m");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1 ||
	    (listening && listen(fd, 4) == -1))
		bail("bind/listen on 127.0.0.1: %m");
	*portp = ntohs(sa.sin_port);
	return fd;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* myconn_open() that must fail: its err, *transient and seconds taken. */
static MYSQL *
try_open(struct db_conn *c, char *err, size_t errlen, int *transient,
    double *secs)
{
	struct myconn_opts	 o = { .password = SECRET };
	MYSQL			*db;
	double			 t0 = now();

	*transient = -1;
	err[0] = '\0';
	db = myconn_open(c, &o, err, errlen, transient);
	*secs = now() - t0;
	return db;
}

static void
test_refused(const char *tmp)
{
	struct db_conn	 c;
	char		 err[512], want[128], *sock;
	double		 secs;
	int		 fd, port, tr;
	MYSQL		*db;

	memset(&c, 0, sizeof(c));
	c.user = "cairn";
	c.ssl_mode = SSL_MODE_PREFERRED;
	c.connect_timeout = 2;
	sock = xasprintf("%s/no-such.sock", tmp);
	c.socket = sock;
	db = try_open(&c, err, sizeof(err), &tr, &secs);
	snprintf(want, sizeof(want), "socket %s: ", sock);
	ok(db == NULL && tr == 1, "no server on the socket: transient "
	    "(the server may still be starting)");
	ok(strncmp(err, want, strlen(want)) == 0, "the message starts with "
	    "where: %s", err);
	ok(strstr(err, SECRET) == NULL, "and never holds the password");
	free(sock);

	/* bound, not listening: the connection is refused */
	fd = tcp_port(0, &port);
	c.socket = NULL;
	c.host = "127.0.0.1";
	c.port = port;
	c.ssl_mode = SSL_MODE_REQUIRED;
	db = try_open(&c, err, sizeof(err), &tr, &secs);
	snprintf(want, sizeof(want), "127.0.0.1:%d: ", port);
	ok(db == NULL && tr == 1, "connection refused: transient, with "
	    "ssl_mode required too");
	ok(strncmp(err, want, strlen(want)) == 0 &&
	    strstr(err, SECRET) == NULL, "the message names host:port: %s",
	    err);
	close(fd);
}

static void
test_no_greeting(void)
{
	struct db_conn	 c;
	char		 err[512];
	double		 secs;
	int		 fd, port, tr;
	MYSQL		*db;

	/* listening, never accepting: TCP connects, no greeting comes */
	fd = tcp_port(1, &port);
	memset(&c, 0, sizeof(c));
	c.host = "127.0.0.1";
	c.port = port;
	c.user = "cairn";
	c.ssl_mode = SSL_MODE_PREFERRED;
	c.connect_timeout = 1;
	c.read_timeout = 60;
	db = try_open(&c, err, sizeof(err), &tr, &secs);
	ok(db == NULL && tr == 1, "a server that never greets: a transient "
	    "failure (%s)", err);
	ok(secs >= 0.5 && secs < 10, "bounded by connect_timeout = 1, not "
	    "read_timeout = 60 (%.2f s)", secs);
	diag("no greeting: failed after %.2f s", secs);
	close(fd);
}

int
main(void)
{
	char	*tmp;

	plan(18);
	tmp = tap_tmpdir();
	test_where();
	test_system_db();
	test_refused(tmp);
	test_no_greeting();
	rmdir(tmp);
	free(tmp);
	mysql_library_end();
	return tap_exit();
}
