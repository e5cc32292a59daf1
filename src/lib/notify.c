/* notify.c -- see notify.h */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/notify.h"

int
notify_send(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	socklen_t		 alen;
	size_t			 plen;
	ssize_t			 n;
	int			 fd, saved;

	if (path == NULL || *path == '\0')
		return 0;
	if (path[0] != '/' && path[0] != '@') {
		errno = EAFNOSUPPORT;	/* vsock: and friends */
		return -1;
	}
	plen = strlen(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (plen >= sizeof(sun.sun_path) + (path[0] == '@')) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, plen);
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no trailing NUL counted */
	else
		alen++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, alen);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	return 1;
}

int
notify_ready(void)
{
	return notify_send("READY=1");
}

int
notify_stopping(void)
{
	return notify_send("STOPPING=1");
}

int
notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}

int
notify_reloading(void)
{
	struct timespec	 ts;
	char		 msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	return notify_send(msg);
}

int
notify_status(const char *fmt, ...)
{
	char	 msg[8 + 512 + 1];
	char	*p;
	va_list	 ap;

	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	for (p = msg + 7; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return notify_send(msg);
}

int
notify_extend_timeout(uint64_t usec)
{
	char	 msg[64];

	snprintf(msg, sizeof(msg), "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
	return notify_send(msg);
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char			*end;
	unsigned long long	 u;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	u = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = u;
	return 0;
}

uint64_t
notify_watchdog_usec(void)
{
	const char	*pid = getenv("WATCHDOG_PID");
	uint64_t	 usec, p;

	if (parse_u64(getenv("WATCHDOG_USEC"), &usec) == -1 || usec == 0)
		return 0;
	if (pid != NULL && *pid != '\0' && (parse_u64(pid, &p) == -1 ||
	    p != (uint64_t)getpid()))
		return 0;
	return usec;
}
