/*
 * swap-helper -- the hostile local user of t/76-root-race.sh.
 *
 *   swap-helper UID GID SECONDS NAME TARGET [NAME TARGET ...]
 *
 * Becomes UID:GID (no supplementary groups), then for SECONDS swaps each
 * NAME (cairn's real file) with NAME.evil, a symlink to TARGET (a file only
 * root may touch), with renameat2(RENAME_EXCHANGE), as fast as it can.
 * NAME.evil is made again whenever it is gone (root unlinked it); a NAME
 * that does not exist yet is simply retried.  Prints how many exchanges
 * went through.  Exit 0, or 1 on a setup error.
 */
#include "config.h"

#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	(1 << 1)
#endif

static volatile sig_atomic_t	 stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	unsigned long long	 n = 0;
	char			 evil[4096];
	time_t			 end;
	gid_t			 gid;
	uid_t			 uid;

	if (argc < 6 || (argc - 4) % 2 != 0) {
		fprintf(stderr, "usage: swap-helper UID GID SECONDS NAME "
		    "TARGET ...\n");
		return 1;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	gid = (gid_t)strtoul(argv[2], NULL, 10);
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		perror("swap-helper: drop");
		return 1;
	}
	signal(SIGTERM, on_term);
	end = time(NULL) + atoi(argv[3]);
	while (!stop && time(NULL) < end)
		for (int i = 4; i + 1 < argc; i += 2) {
			snprintf(evil, sizeof(evil), "%s.evil", argv[i]);
			if (syscall(SYS_renameat2, AT_FDCWD, argv[i], AT_FDCWD,
			    evil, RENAME_EXCHANGE) == 0)
				n++;
			else if (errno == ENOENT)
				(void)symlink(argv[i + 1], evil);
		}
	printf("%llu\n", n);
	return 0;
}
