/*
 * sandbox -- lock a freshly re-executed worker down before it does any job
 * work (see docs/sandbox.md for the why of each step).
 *
 * Contract
 *   - sandbox_enter() runs, in this order: PR_SET_PDEATHSIG(SIGKILL) and a
 *     check that the parent is still the one expected, setpgid(0, 0),
 *     umask(077), rlimits (RLIMIT_CORE 0, RLIMIT_NOFILE small), closing
 *     every fd but 0-2 and spec->keep_fds, PR_SET_NO_NEW_PRIVS, a Landlock
 *     ruleset (best effort: whatever the running kernel's ABI supports) and
 *     a seccomp filter for spec->kind (libseccomp): an allow-list per
 *     kind (sandbox.c, sb_kinds), plus a few calls allowed only with some
 *     arguments; any other syscall kills the whole process with SIGSYS.
 *     A kind without an allow-list is refused (EINVAL).
 *   - It must be called while the process has a single thread: Landlock
 *     applies to the calling thread only, so a second thread is refused.
 *   - Only a missing Landlock is tolerated (the kernel may lack it; the
 *     report says so for the log).  Any other failing step returns -1 with
 *     a message in err and errno set; the worker must then exit without
 *     touching data.  Steps already applied stay applied.
 *   - Nothing is allocated that outlives the call; spec is borrowed.
 *   - Once it returned 0 the process can never execve, ptrace, mount,
 *     change ids, load modules or open a new privileged thing again.
 */
#ifndef CAIRN_SANDBOX_H
#define CAIRN_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "cairn/conf.h"

#define SANDBOX_NOFILE		64	/* RLIMIT_NOFILE unless spec says */

enum sandbox_level {
	SANDBOX_NONE,			/* not applied at all */
	SANDBOX_PARTIAL,		/* applied, with gaps (see note) */
	SANDBOX_FULL,
};

enum sandbox_net {
	SANDBOX_NET_NONE,		/* socket() fails with EPERM */
	SANDBOX_NET_UNIX,		/* AF_UNIX only, others EPERM */
	SANDBOX_NET_ANY,
};

/*
 * parent: the expected parent (the supervisor's pid); 0 takes getppid() at
 *   entry, which leaves a race if the supervisor died just before.
 * keep_fds: kept open besides 0, 1 and 2 (at most 64).
 * write_dir: create, write, rename and remove beneath it; NULL: nowhere.
 * remove_dir: read and remove files beneath it, nothing else (the
 *   pruner); NULL: nowhere.
 * read_paths: extra read-only files or folders, NULL-terminated.
 * rw_paths: existing files (or files beneath folders) that may be opened
 *   read-write but never created or removed, e.g. a WAL source's -shm;
 *   NULL-terminated, may be NULL.
 * allow_network: JOB_VERIFY only, for a restore test.
 * nofile: RLIMIT_NOFILE; 0 means SANDBOX_NOFILE.
 */
struct sandbox_spec {
	enum job_kind		 kind;
	pid_t			 parent;
	const int		*keep_fds;
	size_t			 nkeep;
	const char		*write_dir;
	const char		*remove_dir;
	const char *const	*read_paths;
	const char *const	*rw_paths;
	int			 allow_network;
	int			 nofile;
};

struct sandbox_report {
	int			 landlock_abi;	/* 0: kernel has no Landlock */
	enum sandbox_level	 landlock;
	char			 landlock_note[192];	/* why not full */
	int			 seccomp;	/* 1: filter loaded */
	int			 seccomp_thread_kill;	/* kernel < 4.14 */
	int			 nallow;	/* syscalls allowed */
	int			 nkill;		/* named in the never-list */
	enum sandbox_net	 net;
	int			 fds_closed;	/* inherited, not kept */
};

/* 0 on success (report filled), -1 with err and errno set. */
int	sandbox_enter(const struct sandbox_spec *, struct sandbox_report *,
	    char *err, size_t errlen);
/* One log line: "sandbox: landlock full (abi 7), seccomp on (97 syscalls
 * allowed, 80 named to kill), ..." */
void	sandbox_report_format(const struct sandbox_report *, char *, size_t);

/* The pieces, for tests and for callers that need only one of them. */
int	sandbox_landlock_abi(void);	/* 0 when unsupported */
/* Closes every fd >= 3 not in keep; returns how many were open. */
int	sandbox_close_fds(const int *keep, size_t nkeep);
enum sandbox_net sandbox_kind_net(enum job_kind, int allow_network);
const char *sandbox_net_name(enum sandbox_net);
const char *sandbox_level_name(enum sandbox_level);

#endif /* CAIRN_SANDBOX_H */
