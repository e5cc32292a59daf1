/* t/26-sandbox.c -- sandbox: a worker's lock-down, seen from inside */
#include "config.h"

#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/sandbox.h"
#include "cairn/util.h"
#include "tap.h"

static char	*tmp, *wdir, *rdir, *odir;

/* What a sandboxed child saw, sent back over its (kept) pipe. */
struct seen {
	int		 rc;
	char		 err[256];
	struct sandbox_report rep;
	int		 nnp, seccomp;
	int		 extra_fd_errno;
	long		 core_cur, core_max, nofile;
	int		 umask_was;
	int		 own_pgrp, dumpable, pdeathsig;
	int		 malloc_ok, thread_ok;
	int		 write_in, rename_in, unlink_in, sqlite_in;
	int		 write_out_errno, read_out_errno, read_ro_ok;
	int		 sqlite_ro;
	int		 inet_errno, unix_errno;
	int		 connect_errno;
	int		 kill_parent_errno;
	int		 rw_open_errno, rw_unlink_errno;
};

static int
status_field(const char *name)
{
	FILE	*f;
	char	 line[256];
	size_t	 len = strlen(name);
	int	 v = -1;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return -2;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			v = atoi(line + len + 1);
	fclose(f);
	return v;
}

static void *
sleeper_fn(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *
thread_fn(void *arg)
{
	*(int *)arg = 42;
	return arg;
}

static int
try_open(const char *dir, const char *name, int flags)
{
	char	 path[512];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	errno = 0;
	if ((fd = open(path, flags | O_CLOEXEC, 0600)) == -1)
		return errno;
	close(fd);
	return 0;
}

static int
sqlite_try(const char *path, int flags, const char *sql)
{
	sqlite3	*db = NULL;
	int	 rc;

	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK;
}

/* The child's side of the big run: enter, then look around. */
static void
child_look(enum job_kind kind, int out, int extra, int port)
{
	struct seen		 s;
	struct sandbox_spec	 spec;
	const char		*reads[] = { rdir, NULL };
	const char		*rws[] = { NULL, NULL };
	char			 rw[512];
	struct rlimit		 rl;
	struct sockaddr_in	 sin;
	pthread_t		 th;
	char			 path[512], path2[512], *p;
	int			 fd, v = 0, sig = 0;

	memset(&s, 0, sizeof(s));
	memset(&spec, 0, sizeof(spec));
	spec.kind = kind;
	spec.keep_fds = &out;
	spec.nkeep = 1;
	spec.write_dir = wdir;
	spec.read_paths = reads;
	snprintf(rw, sizeof(rw), "%s/rw", odir);
	rws[0] = rw;
	spec.rw_paths = rws;
	s.rc = sandbox_enter(&spec, &s.rep, s.err, sizeof(s.err));

	s.nnp = status_field("NoNewPrivs");
	s.seccomp = status_field("Seccomp");
	s.extra_fd_errno = fcntl(extra, F_GETFD) == -1 ? errno : 0;
	getrlimit(RLIMIT_CORE, &rl);
	s.core_cur = (long)rl.rlim_cur;
	s.core_max = (long)rl.rlim_max;
	getrlimit(RLIMIT_NOFILE, &rl);
	s.nofile = (long)rl.rlim_cur;
	s.umask_was = (int)umask(077);
	s.own_pgrp = getpgrp() == getpid();
	s.dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	s.pdeathsig = sig;

	/* normal work still works */
	if ((p = malloc(1 << 20)) != NULL) {
		memset(p, 'x', 1 << 20);
		s.malloc_ok = p[12345] == 'x';
		free(p);
	}
	if (pthread_create(&th, NULL, thread_fn, &v) == 0 &&
	    pthread_join(th, NULL) == 0)
		s.thread_ok = v == 42;
	if (kind == JOB_PRUNE)	/* a pruner only removes: no writing */
		goto net;
	s.write_in = try_open(wdir, ".x.partial", O_WRONLY | O_CREAT);
	snprintf(path, sizeof(path), "%s/.x.partial", wdir);
	snprintf(path2, sizeof(path2), "%s/x.sql.gz", wdir);
	s.rename_in = rename(path, path2) == 0 ? 0 : errno;
	s.unlink_in = unlink(path2) == 0 ? 0 : errno;
	snprintf(path, sizeof(path), "%s/copy.db", wdir);
	s.sqlite_in = sqlite_try(path, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, "CREATE TABLE t(a); INSERT INTO t VALUES(1)");
	snprintf(path, sizeof(path), "%s/src.db", rdir);
	s.sqlite_ro = sqlite_try(path, SQLITE_OPEN_READONLY,
	    "SELECT count(*) FROM t");

	/* and nothing beyond it */
	s.write_out_errno = try_open(odir, "x", O_WRONLY | O_CREAT);
	s.read_out_errno = try_open(odir, "secret", O_RDONLY);
	s.read_ro_ok = try_open(rdir, "src.db", O_RDONLY) == 0;
	s.rw_open_errno = try_open(odir, "rw", O_RDWR);
	s.rw_unlink_errno = unlink(rw) == 0 ? 0 : errno;

net:
	errno = 0;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s.connect_errno = connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == 0 ? 0 : errno;
		close(fd);
	}
	s.inet_errno = errno;
	errno = 0;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1)
		close(fd);
	s.unix_errno = errno;
	s.kill_parent_errno = kill(getppid(), 0) == 0 ? 0 : errno;

	if (write(out, &s, sizeof(s)) != (ssize_t)sizeof(s))
		_exit(2);
	_exit(0);
}

/* Forks a child that runs child_look() and collects what it saw. */
static int
look(enum job_kind kind, struct seen *s, int port)
{
	int	 p[2], extra, st;
	pid_t	 pid;

	memset(s, 0xff, sizeof(*s));
	if (pipe(p) == -1 || (extra = open("/dev/null", O_RDONLY)) == -1)
		bail("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		child_look(kind, p[1], extra, port);
	}
	close(p[1]);
	close(extra);
	if (read(p[0], s, sizeof(*s)) != (ssize_t)sizeof(*s))
		diag("child sent no report");
	close(p[0]);
	if (waitpid(pid, &st, 0) == -1)
		bail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st))
		diag("child died by signal %d", WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

enum forbidden {
	F_NONE,
	F_EXECVE,
	F_PTRACE,
	F_MOUNT,
	F_SETUID,
	F_UNSHARE,
	F_PERSONALITY,
	F_PERSONALITY_QUERY,
	F_IO_URING,
	F_I386,
	F_X32,
	/* outside some allow-lists (not on the never-list) */
	F_LINK,
	F_INOTIFY,
	F_RENAME,
	F_PWRITE,
	F_CONNECT_UNIX,
	F_PRCTL_DUMPABLE,
};

static void
do_forbidden(enum forbidden what)
{
	static char *const argv[] = { "true", NULL };
	long	 r = 0;

	switch (what) {
	case F_NONE:
		break;
	case F_EXECVE:
		execv("/bin/true", argv);
		break;
	case F_PTRACE:
		r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		break;
	case F_MOUNT:
		r = mount("none", "/tmp", "tmpfs", 0, NULL);
		break;
	case F_SETUID:
		r = syscall(SYS_setuid, getuid());
		break;
	case F_UNSHARE:
		r = syscall(SYS_unshare, 0);
		break;
	case F_PERSONALITY:
		r = personality(PER_LINUX32);
		break;
	case F_PERSONALITY_QUERY:
		r = personality(0xffffffff);
		break;
	case F_IO_URING:
		r = syscall(SYS_io_uring_setup, 1, NULL);
		break;
	case F_I386:
#if defined(__x86_64__)
		{
			long	 nr = 20;	/* i386 getpid */
			__asm__ volatile ("int $0x80" : "+a"(nr) : : "memory");
			r = nr;
		}
#endif
		break;
	case F_X32:
#if defined(__x86_64__)
		r = syscall(0x40000000 | SYS_getpid);
#endif
		break;
	case F_LINK:
		r = syscall(SYS_linkat, AT_FDCWD, "/nonexistent/a", AT_FDCWD,
		    "/nonexistent/b", 0);
		break;
	case F_INOTIFY:
		r = syscall(SYS_inotify_init1, 0);
		break;
	case F_RENAME:
		r = syscall(SYS_renameat, AT_FDCWD, "/nonexistent/a",
		    AT_FDCWD, "/nonexistent/b");
		break;
	case F_PWRITE:
		r = syscall(SYS_pwrite64, -1, "x", 1, 0);
		break;
	case F_CONNECT_UNIX:
		r = syscall(SYS_connect, -1, NULL, 0);
		break;
	case F_PRCTL_DUMPABLE:
		r = prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		break;
	}
	(void)r;
}

/* Runs one forbidden call in a child, sandboxed or not; returns status. */
static int
forbidden(enum job_kind kind, enum forbidden what, int sandboxed)
{
	struct sandbox_spec	 spec;
	struct sandbox_report	 rep;
	char			 err[256];
	int			 st;
	pid_t			 pid;

	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		memset(&spec, 0, sizeof(spec));
		spec.kind = kind;
		spec.write_dir = wdir;
		if (sandboxed && sandbox_enter(&spec, &rep, err,
		    sizeof(err)) == -1)
			_exit(3);
		if (!sandboxed)	/* a probe: its crash is no news */
			(void)dup2(open("/dev/null", O_WRONLY), 2);
		do_forbidden(what);
		/* exit(), not _exit(): LeakSanitizer must not trip at exit */
		exit(0);
	}
	if (waitpid(pid, &st, 0) == -1)
		bail("waitpid: %s", strerror(errno));
	return st;
}

static int
killed_by_sigsys(int st)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

/* Runs sandbox_enter in a child under a given twist; returns its errno. */
static int
enter_fails(int twist)
{
	struct sandbox_spec	 spec;
	struct sandbox_report	 rep;
	char			 err[256];
	pthread_t		 th;
	int			 st;
	pid_t			 pid;

	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		memset(&spec, 0, sizeof(spec));
		spec.kind = JOB_PRUNE;
		spec.write_dir = wdir;
		if (twist == 0)		/* a supervisor that is not ours */
			spec.parent = getppid() == 1 ? 2 : 1;
		else if (twist == 1) {	/* a thread is already running */
			if (pthread_create(&th, NULL, sleeper_fn, NULL) != 0)
				_exit(99);
		} else
			spec.kind = (enum job_kind)77;
		if (sandbox_enter(&spec, &rep, err, sizeof(err)) == 0)
			_exit(0);
		fprintf(stderr, "# expected failure: %s\n", err);
		_exit(errno & 0x7f);
	}
	if (waitpid(pid, &st, 0) == -1)
		bail("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
mkfile(const char *dir, const char *name, const char *text)
{
	char	 path[512];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, text, strlen(text)) == -1)
		bail("%s: %s", path, strerror(errno));
	close(fd);
}

int
main(void)
{
	struct seen		 s;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	char			 line[512], path[512];
	int			 abi, lfd, port, st, nallow_mysql;

	plan(70);
	abi = sandbox_landlock_abi();
	diag("kernel landlock abi: %d", abi);

	tmp = tap_tmpdir();
	wdir = xasprintf("%s/job", tmp);
	rdir = xasprintf("%s/src", tmp);
	odir = xasprintf("%s/other", tmp);
	if (mkdir(wdir, 0700) == -1 || mkdir(rdir, 0700) == -1 ||
	    mkdir(odir, 0700) == -1)
		bail("mkdir: %s", strerror(errno));
	mkfile(odir, "secret", "s3cret\n");
	mkfile(odir, "rw", "");
	snprintf(path, sizeof(path), "%s/src.db", rdir);
	if (!sqlite_try(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    "CREATE TABLE t(a); INSERT INTO t VALUES(1)"))
		bail("cannot create %s", path);

	/* a listener the mysql-kind child may connect to */
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bail("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1)
		bail("listen: %s", strerror(errno));
	port = ntohs(sin.sin_port);

	/* a sqlite-kind worker, from inside */
	is_int(look(JOB_SQLITE, &s, port), 0, "sqlite child ran to the end");
	is_int(s.rc, 0, "sandbox_enter succeeded: %s", s.err);
	sandbox_report_format(&s.rep, line, sizeof(line));
	diag("%s", line);
	is_int(s.nnp, 1, "NoNewPrivs is 1");
	is_int(s.seccomp, 2, "Seccomp is 2 (filter)");
	is_int(s.extra_fd_errno, EBADF, "an inherited extra fd was closed");
	ok(s.rep.fds_closed >= 1, "the report counts it (%d)",
	    s.rep.fds_closed);
	ok(s.core_cur == 0 && s.core_max == 0, "RLIMIT_CORE is 0");
	is_int(s.nofile, SANDBOX_NOFILE, "RLIMIT_NOFILE is small");
	is_int(s.umask_was, 077, "umask is 077");
	ok(s.own_pgrp == 1, "own process group");
	is_int(s.dumpable, 0, "not dumpable");
	is_int(s.pdeathsig, SIGKILL, "dies with its parent");
	ok(s.malloc_ok == 1, "malloc works");
	ok(s.thread_ok == 1, "pthread_create works");
	is_int(s.write_in, 0, "a file can be created in write_dir");
	is_int(s.rename_in, 0, "and renamed into place there");
	is_int(s.unlink_in, 0, "and removed");
	ok(s.sqlite_in == 1, "sqlite opens and writes a database in write_dir");
	ok(s.sqlite_ro == 1, "sqlite reads the source in a read path");
	ok(s.read_ro_ok == 1, "a read path can be read");
	is_int(s.inet_errno, EPERM, "AF_INET socket refused (EPERM)");
	is_int(s.unix_errno, 0, "AF_UNIX socket allowed");
	is_int(s.kill_parent_errno, EPERM, "cannot signal the supervisor");
	is_int(s.rep.net, SANDBOX_NET_UNIX, "report: network unix only");
	ok(s.rep.seccomp == 1 && s.rep.nkill > 40 && s.rep.nallow > 40,
	    "report: seccomp on, %d syscalls allowed, %d named to kill",
	    s.rep.nallow, s.rep.nkill);
	if (abi == 0) {
		ok(s.rep.landlock == SANDBOX_NONE && s.rep.landlock_abi == 0,
		    "report: no landlock on this kernel");
		skip(4, "kernel has no landlock: %s", s.rep.landlock_note);
	} else {
		ok(s.rep.landlock_abi == abi && s.rep.landlock ==
		    (abi >= 3 ? SANDBOX_FULL : SANDBOX_PARTIAL),
		    "report: landlock %s at abi %d",
		    sandbox_level_name(s.rep.landlock), s.rep.landlock_abi);
		is_int(s.write_out_errno, EACCES,
		    "writing outside write_dir fails with EACCES");
		is_int(s.read_out_errno, EACCES,
		    "reading outside the read paths fails with EACCES");
		is_int(s.rw_open_errno, 0, "an rw_paths file opens read-write");
		is_int(s.rw_unlink_errno, EACCES,
		    "but cannot be removed");
	}

	/* a mysql-kind worker may talk TCP */
	is_int(look(JOB_MYSQL, &s, port), 0, "mysql child ran to the end");
	is_int(s.rc, 0, "sandbox_enter succeeded: %s", s.err);
	is_int(s.inet_errno, 0, "AF_INET socket allowed");
	is_int(s.connect_errno, 0, "and connects to 127.0.0.1");
	is_int(s.rep.net, SANDBOX_NET_ANY, "report: network any");
	nallow_mysql = s.rep.nallow;

	/* a pruner gets no sockets at all */
	is_int(look(JOB_PRUNE, &s, port), 0, "prune child ran to the end");
	ok(s.inet_errno == EPERM && s.unix_errno == EPERM,
	    "no AF_INET, no AF_UNIX socket");
	ok(s.rep.nallow > 0 && s.rep.nallow < nallow_mysql,
	    "a pruner's allow-list is shorter than mysql's (%d < %d)",
	    s.rep.nallow, nallow_mysql);

	/* forbidden calls kill the whole process with SIGSYS */
	is_int(forbidden(JOB_SQLITE, F_NONE, 1), 0,
	    "a sandboxed child that behaves exits 0");
	ok(killed_by_sigsys(forbidden(JOB_SQLITE, F_EXECVE, 1)),
	    "execve: killed by SIGSYS");
	ok(killed_by_sigsys(forbidden(JOB_MYSQL, F_PTRACE, 1)),
	    "ptrace: killed by SIGSYS");
	ok(killed_by_sigsys(forbidden(JOB_MYSQL, F_MOUNT, 1)),
	    "mount: killed by SIGSYS");
	ok(killed_by_sigsys(forbidden(JOB_VERIFY, F_SETUID, 1)),
	    "setuid: killed by SIGSYS");
	ok(killed_by_sigsys(forbidden(JOB_PRUNE, F_UNSHARE, 1)),
	    "unshare: killed by SIGSYS");
	ok(killed_by_sigsys(forbidden(JOB_SQLITE, F_IO_URING, 1)),
	    "io_uring_setup: killed by SIGSYS");
	ok(killed_by_sigsys(forbidden(JOB_SQLITE, F_PERSONALITY, 1)),
	    "personality(PER_LINUX32): killed by SIGSYS");
	is_int(forbidden(JOB_SQLITE, F_PERSONALITY_QUERY, 1), 0,
	    "personality(0xffffffff), a query, is allowed");
	st = forbidden(JOB_SQLITE, F_I386, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		ok(killed_by_sigsys(forbidden(JOB_SQLITE, F_I386, 1)),
		    "an i386 syscall (int 0x80): killed by SIGSYS");
	else
		skip(1, "no i386 syscalls on this kernel or arch");
	if (getenv("LD_PRELOAD") != NULL &&
	    strstr(getenv("LD_PRELOAD"), "vgpreload") != NULL)
		skip(1, "valgrind answers x32 syscalls itself");
	else
		ok(killed_by_sigsys(forbidden(JOB_SQLITE, F_X32, 1)),
		    "an x32 syscall: killed by SIGSYS");

	/* each kind's allow-list: a call outside it kills (issue 14) */
	{
		static const struct {
			enum job_kind	 kind;
			enum forbidden	 what;
			const char	*name;
		} outside[] = {
			{ JOB_MYSQL,	F_LINK,		"mysql: linkat" },
			{ JOB_MYSQL,	F_INOTIFY,	"mysql: inotify_init1" },
			{ JOB_SQLITE,	F_CONNECT_UNIX,	"sqlite: connect" },
			{ JOB_SQLITE,	F_LINK,		"sqlite: linkat" },
			{ JOB_VERIFY,	F_INOTIFY,	"verify: inotify_init1" },
			{ JOB_VERIFY,	F_PRCTL_DUMPABLE,
			    "verify: prctl(PR_SET_DUMPABLE)" },
			{ JOB_PRUNE,	F_RENAME,	"prune: renameat" },
			{ JOB_PRUNE,	F_PWRITE,	"prune: pwrite64" },
			{ JOB_PRUNE,	F_LINK,		"prune: linkat" },
		};
		size_t	 i;

		for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
			st = forbidden(outside[i].kind, outside[i].what, 0);
			ok(!killed_by_sigsys(st), "unsandboxed, %s "
			    "returns (st %d)", outside[i].name, st);
			ok(killed_by_sigsys(forbidden(outside[i].kind,
			    outside[i].what, 1)), "sandboxed, %s: killed "
			    "by SIGSYS", outside[i].name);
		}
	}

	/* refusals */
	is_int(enter_fails(0), ESRCH, "refused when the parent is not ours");
	is_int(enter_fails(1), EBUSY, "refused with a second thread");
	is_int(enter_fails(2), EINVAL, "refused for an unknown kind");

	close(lfd);
	snprintf(path, sizeof(path), "%s/copy.db", wdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/src.db", rdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secret", odir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/x", odir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rw", odir);
	unlink(path);
	rmdir(wdir);
	rmdir(rdir);
	rmdir(odir);
	rmdir(tmp);
	free(wdir);
	free(rdir);
	free(odir);
	free(tmp);
	return tap_exit();
}
