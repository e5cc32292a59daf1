/* t/32-notify.c -- the NOTIFY_SOCKET protocol against a real socket */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/notify.h"
#include "cairn/util.h"
#include "tap.h"

/* The datagram waiting on fd, or "" (sends are done before we read). */
static const char *
got(int fd)
{
	static char	 buf[1024];
	ssize_t		 n;

	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static int
listener(struct sockaddr_un *sun, socklen_t len)
{
	int	 fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)sun, len) == -1)
		bail("bind: %s", strerror(errno));
	return fd;
}

int
main(void)
{
	struct sockaddr_un	 sun;
	struct timespec		 ts;
	char			*dir, *path, env[128], big[200];
	const char		*m;
	uint64_t		 mono, now;
	int			 fd;

	plan(21);
	unsetenv("NOTIFY_SOCKET");
	is_int(notify_ready(), 0, "no NOTIFY_SOCKET: a no-op returning 0");
	setenv("NOTIFY_SOCKET", "", 1);
	is_int(notify_status("x"), 0, "empty NOTIFY_SOCKET: a no-op");

	/* a socket in the file system */
	dir = tap_tmpdir();
	path = xasprintf("%s/notify", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = listener(&sun, sizeof(sun));
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(notify_ready(), 1, "ready sent");
	is_str(got(fd), "READY=1", "READY=1 received");
	notify_status("%d jobs, next %s\nREADY=1", 3, "db1");
	is_str(got(fd), "STATUS=3 jobs, next db1 READY=1",
	    "STATUS= received, newline cannot smuggle an assignment");
	notify_stopping();
	is_str(got(fd), "STOPPING=1", "STOPPING=1 received");
	notify_watchdog();
	is_str(got(fd), "WATCHDOG=1", "WATCHDOG=1 received");
	notify_reloading();
	m = got(fd);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	ok(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
	    sscanf(m + 27, "%" SCNu64, &mono) == 1 && mono > 0 && mono <= now,
	    "RELOADING=1 with MONOTONIC_USEC received");
	notify_extend_timeout(90000000);
	is_str(got(fd), "EXTEND_TIMEOUT_USEC=90000000",
	    "EXTEND_TIMEOUT_USEC received");
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	is_int(notify_send(big), 1, "raw state sent");
	is_str(got(fd), big, "and received whole");
	close(fd);
	unlink(path);
	errno = 0;
	ok(notify_ready() == -1 && (errno == ENOENT || errno == ECONNREFUSED),
	    "a vanished socket is an error, not a hang");

	/* an abstract socket */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "cairn-test-%ld", (long)getpid());
	fd = listener(&sun, (socklen_t)(offsetof(struct sockaddr_un,
	    sun_path) + 1 + strlen(sun.sun_path + 1)));
	snprintf(env, sizeof(env), "@%s", sun.sun_path + 1);
	setenv("NOTIFY_SOCKET", env, 1);
	is_int(notify_ready(), 1, "ready sent to %s", env);
	is_str(got(fd), "READY=1", "abstract socket receives it");
	close(fd);

	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	errno = 0;
	ok(notify_ready() == -1 && errno == EAFNOSUPPORT,
	    "vsock is refused, not misread");
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	setenv("NOTIFY_SOCKET", big, 1);
	errno = 0;
	ok(notify_ready() == -1 && errno == ENAMETOOLONG,
	    "a path too long is refused");
	unsetenv("NOTIFY_SOCKET");

	/* watchdog */
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	is_int(notify_watchdog_usec(), 0, "no WATCHDOG_USEC: off");
	setenv("WATCHDOG_USEC", "30000000", 1);
	is_int(notify_watchdog_usec(), 30000000, "WATCHDOG_USEC read");
	snprintf(env, sizeof(env), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", env, 1);
	is_int(notify_watchdog_usec(), 30000000, "WATCHDOG_PID is us: on");
	snprintf(env, sizeof(env), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", env, 1);
	is_int(notify_watchdog_usec(), 0, "WATCHDOG_PID is another: off");
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "-5", 1);
	is_int(notify_watchdog_usec(), 0, "a bad WATCHDOG_USEC: off");

	rmdir(dir);
	free(path);
	free(dir);
	return tap_exit();
}
