/* lock.c -- see lock.h */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/lock.h"
#include "cairn/util.h"

/* The pid in a lock file, or -2 if it has none (yet). */
static pid_t
read_pid(int fd)
{
	char	 buf[32];
	char	*end;
	ssize_t	 n;
	long	 v;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return -2;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v <= 0)
		return -2;
	return (pid_t)v;
}

int
lock_acquire(const char *dir, char *err, size_t errlen)
{
	int	 dfd, fd, saved;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s/%s: %s", dir, LOCK_FILE,
		    strerror(errno));
		errno = saved;
		return -1;
	}
	fd = lock_acquire_at(dfd, dir, err, errlen);
	saved = errno;
	close(dfd);
	errno = saved;
	return fd;
}

int
lock_acquire_at(int dirfd, const char *dir, char *err, size_t errlen)
{
	char		*path = xasprintf("%s/%s", dir, LOCK_FILE), pid[32];
	struct stat	 st;
	pid_t		 holder;
	int		 fd, saved, n;

	fd = openat(dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/* root truncates it: never through a hard link to another file */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		saved = errno = EPERM;
		snprintf(err, errlen, "%s: not a regular file with one link",
		    path);
		goto fail;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		saved = errno;
		if (errno != EWOULDBLOCK) {
			snprintf(err, errlen, "%s: flock: %s", path,
			    strerror(errno));
			goto fail;
		}
		if ((holder = read_pid(fd)) > 0)
			snprintf(err, errlen, "backup folder %s is in use by "
			    "another cairnd (pid %ld holds %s)", dir,
			    (long)holder, LOCK_FILE);
		else
			snprintf(err, errlen, "backup folder %s is in use by "
			    "another cairnd (%s is locked)", dir, LOCK_FILE);
		goto fail;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n) {
		saved = errno == 0 ? EIO : errno;
		snprintf(err, errlen, "%s: writing the pid: %s", path,
		    strerror(saved));
		goto fail;
	}
	free(path);
	return fd;
fail:
	if (fd != -1)
		close(fd);
	free(path);
	errno = saved;
	return -1;
}

pid_t
lock_holder(const char *dir)
{
	char	*path = xasprintf("%s/%s", dir, LOCK_FILE);
	pid_t	 pid = 0;
	int	 fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		pid = 0;		/* nobody holds it */
	else if (errno == EWOULDBLOCK)
		pid = read_pid(fd);
	else
		pid = -1;
	saved = errno;
	close(fd);			/* drops our shared lock, if any */
	errno = saved;
	return pid;
}
