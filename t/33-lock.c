/* t/33-lock.c -- one cairnd per backup folder */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/lock.h"
#include "cairn/util.h"
#include "tap.h"

int
main(void)
{
	char	*dir, *path, err[512], want[64], buf[32];
	int	 up[2], down[2], fd, st;
	pid_t	 child;
	ssize_t	 n;

	plan(11);
	dir = tap_tmpdir();
	path = xasprintf("%s/%s", dir, LOCK_FILE);
	is_int(lock_holder(dir), 0, "no lock file: nobody holds it");

	if (pipe(up) == -1 || pipe(down) == -1)
		bail("pipe: %s", strerror(errno));
	if ((child = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (child == 0) {
		/* a first cairnd: lock, say so, wait to be told to exit */
		fd = lock_acquire(dir, err, sizeof(err));
		(void)!write(up[1], fd == -1 ? "n" : "y", 1);
		(void)!read(down[0], buf, 1);
		free(path);
		free(dir);
		_exit(fd == -1 ? 1 : 0);
	}
	close(up[1]);
	close(down[0]);
	ok(read(up[0], buf, 1) == 1 && buf[0] == 'y', "first locker holds it");
	errno = 0;
	fd = lock_acquire(dir, err, sizeof(err));
	ok(fd == -1 && errno == EWOULDBLOCK, "a second locker fails");
	snprintf(want, sizeof(want), "(pid %ld holds", (long)child);
	ok(strstr(err, want) != NULL && strstr(err, dir) != NULL,
	    "naming the folder and the holder's pid: %s", err);
	is_int(lock_holder(dir), child, "lock_holder names the holder");
	(void)!write(down[1], "x", 1);
	waitpid(child, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "first locker exits");
	is_int(lock_holder(dir), 0, "an exited holder leaves it free");

	fd = lock_acquire(dir, err, sizeof(err));
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "taken over once free, close-on-exec");
	st = open(path, O_RDONLY);
	n = read(st, buf, sizeof(buf) - 1);
	close(st);
	buf[n < 0 ? 0 : n] = '\0';
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	is_str(buf, want, "the lock file holds our pid, nothing stale");
	close(fd);
	is_int(lock_holder(dir), 0, "closing the fd releases it");
	errno = 0;
	ok(lock_acquire("/nonexistent/cairn", err, sizeof(err)) == -1 &&
	    errno == ENOENT && strstr(err, "/nonexistent/cairn/.cairnd.lock")
	    != NULL, "a missing folder: %s", err);

	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return tap_exit();
}
