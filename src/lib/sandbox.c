/* sandbox.c -- see sandbox.h and docs/sandbox.md */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/sandbox.h"
#include "cairn/util.h"

#ifdef CAIRN_SANITIZERS
#include <sanitizer/lsan_interface.h>
#endif

/*
 * Landlock constants newer than the build host's <linux/landlock.h>
 * (Debian 12 ships 6.1 headers, ABI 2): the values are kernel ABI and
 * never change, and a kernel that lacks one is never asked for it.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP	(1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP	(1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL		(1ULL << 1)
#endif

#define LL_FS_V1	((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */
#define LL_FILE_RIGHTS	(LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define LL_READ		(LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_RW		(LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_WRITE_DIR	(LL_RW | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REFER)

/* struct landlock_ruleset_attr as of ABI 6; older kernels get a prefix */
struct sb_ll_attr {
	uint64_t	 handled_access_fs;
	uint64_t	 handled_access_net;	/* ABI 4 */
	uint64_t	 scoped;		/* ABI 6 */
};

#define SB_MAX_KEEP	64

struct sb_path {
	const char	*path;
	uint64_t	 access;
};

/* What libc, the dynamic linker and the sanitizers read at run time. */
static const struct sb_path sb_base_paths[] = {
	{ "/usr",			LL_READ },
	{ "/lib",			LL_READ },
	{ "/lib64",			LL_READ },
	{ "/etc/ld.so.cache",		LL_READ },
	{ "/etc/localtime",		LL_READ },
	{ "/etc/nsswitch.conf",		LL_READ },
	{ "/etc/passwd",		LL_READ },
	{ "/etc/group",			LL_READ },
	{ "/proc/self",			LL_READ },
	{ "/sys/devices/system/cpu",	LL_READ },
	{ "/dev/null",			LL_RW },
	{ "/dev/urandom",		LL_READ },
	{ NULL, 0 }
};

/* Name resolution and TLS for the kinds that talk to a server. */
static const struct sb_path sb_net_paths[] = {
	{ "/etc/hosts",			LL_READ },
	{ "/etc/host.conf",		LL_READ },
	{ "/etc/resolv.conf",		LL_READ },
	{ "/etc/gai.conf",		LL_READ },
	{ "/etc/services",		LL_READ },
	{ "/etc/protocols",		LL_READ },
	{ "/etc/ssl",			LL_READ },
	{ NULL, 0 }
};

/* The notifier runs a configured program: it may execute these, no more. */
static const struct sb_path sb_exec_paths[] = {
	{ "/usr",	LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/lib",	LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/lib64",	LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/bin",	LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/sbin",	LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/etc",	LL_READ },
	{ NULL, 0 }
};

/*
 * No worker of any kind needs these: no allow-list may name one (checked
 * when the filter is built), so the filter kills them on sight.
 */
static const char *const sb_kill_syscalls[] = {
	/* running anything else, looking into other processes */
	"execve", "execveat", "ptrace", "process_vm_readv",
	"process_vm_writev", "kcmp", "pidfd_getfd",
	/* file systems and name spaces */
	"mount", "umount", "umount2", "pivot_root", "chroot", "unshare",
	"setns", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
	"open_tree", "mount_setattr", "open_by_handle_at",
	"name_to_handle_at", "fanotify_init", "quotactl", "quotactl_fd",
	"swapon", "swapoff", "acct", "uselib",
	/* the kernel itself */
	"bpf", "kexec_load", "kexec_file_load", "init_module",
	"finit_module", "delete_module", "create_module", "reboot",
	"syslog", "perf_event_open", "userfaultfd", "iopl", "ioperm",
	"modify_ldt", "vm86", "vm86old", "_sysctl", "lookup_dcookie",
	"settimeofday", "clock_settime", "stime", "sethostname",
	"setdomainname", "vhangup", "nfsservctl", "get_kernel_syms",
	"query_module",
	/* io_uring runs syscalls the filter never sees */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* credentials: the supervisor already chose them */
	"setuid", "setgid", "setreuid", "setregid", "setresuid",
	"setresgid", "setgroups", "setfsuid", "setfsgid",
	"setuid32", "setgid32", "setreuid32", "setregid32",
	"setresuid32", "setresgid32", "setgroups32", "setfsuid32",
	"setfsgid32",
	/* the kernel keyring */
	"keyctl", "add_key", "request_key",
	NULL
};

/*
 * The allow-lists: what a worker may call once sealed; anything else kills
 * it with SIGSYS.  Found with strace -f on real runs of each kind (cairnd
 * -o under the integration tests, the MariaDB client library, zlib and zstd
 * threads, SQLite's unix VFS), then rounded up to the call families libc
 * picks among (openat/open, newfstatat/fstat/statx, ...).  Syscalls with
 * argument rules (signals, socket, prctl, personality, prlimit64) are in
 * sb_seccomp(), not here.  Names this architecture lacks are skipped.
 */

/* Every worker: memory, threads, time, the channel, exit. */
static const char *const sb_sys_base[] = {
	"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise",
	"clone", "clone3", "futex", "futex_time64", "set_robust_list",
	"get_robust_list", "rseq", "set_tid_address", "sched_yield",
	"sched_getaffinity", "exit", "exit_group",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"restart_syscall", "pause", "rt_sigsuspend", "rt_sigtimedwait",
	"rt_sigtimedwait_time64", "rt_sigpending",
	"clock_gettime", "clock_gettime64", "clock_getres",
	"clock_nanosleep", "clock_nanosleep_time64", "nanosleep",
	"gettimeofday", "time",
	"getpid", "gettid", "getppid", "getpgrp", "getpgid", "getuid",
	"geteuid", "getgid", "getegid", "getrlimit", "ugetrlimit",
	"sysinfo", "uname", "getrandom", "umask", "getcwd",
	"read", "readv", "write", "writev", "close", "lseek", "_llseek",
	"fcntl", "fcntl64", "fstat", "fstat64", "newfstatat", "fstatat64",
	"statx", "poll", "ppoll", "ppoll_time64",
	"sendmsg", "recvmsg",
	/* reading what the base Landlock paths allow (libc, /proc/self) */
	"open", "openat", "stat", "lstat", "readlink", "readlinkat",
	"access", "faccessat", "faccessat2",
	NULL
};

/* Kinds that read a file or a folder's listing. */
static const char *const sb_sys_read[] = {
	"pread64", "preadv", "getdents64", "fadvise64", "fadvise64_64",
	NULL
};

/* Kinds that create, write and rename files (in their job folder). */
static const char *const sb_sys_write[] = {
	"pwrite64", "pwritev", "ftruncate", "ftruncate64", "fallocate",
	"fsync", "fdatasync", "fchmod", "rename", "renameat", "renameat2",
	"unlink", "unlinkat", "mkdir", "mkdirat", "rmdir",
	/* the free-space checks before and during a run */
	"fstatfs", "fstatfs64", "statfs", "statfs64",
	NULL
};

/* Kinds that remove files (the pruner: nothing else is written). */
static const char *const sb_sys_remove[] = {
	"unlink", "unlinkat", "fsync",
	NULL
};

/* Kinds that talk to a server (over AF_UNIX or TCP, per sb_net). */
static const char *const sb_sys_client[] = {
	"connect", "sendto", "recvfrom", "sendmmsg", "recvmmsg",
	"setsockopt", "getsockopt", "getsockname", "getpeername",
	"shutdown",
	NULL
};

/* HTTP(S) clients (libcurl): its wake-up pair, and the resolver's. */
static const char *const sb_sys_http[] = {
	"socketpair", "pipe", "pipe2", "eventfd2", "getdents64",
	NULL
};

/*
 * One entry per worker kind.  A new kind is one row here plus, when it
 * needs a call no list has, a list above.
 *
 * The notifier is the exception (runs_programs): a `command` notifier
 * runs a program the operator chose, whose calls no allow-list can know,
 * so its filter allows by default and kills the never-list (all of it but
 * execve).  It gets nothing else: no folder to write, no secret but its
 * webhook headers, and Landlock still limits what it reads and runs.
 */
#define SB_MAX_LISTS	4
static const struct sb_kind {
	enum job_kind		 kind;
	const char *const	*lists[SB_MAX_LISTS];
	bool			 runs_programs;
} sb_kinds[] = {
	{ JOB_MYSQL,	{ sb_sys_base, sb_sys_read, sb_sys_write,
			  sb_sys_client }, false },
	{ JOB_SQLITE,	{ sb_sys_base, sb_sys_read, sb_sys_write }, false },
	{ JOB_VERIFY,	{ sb_sys_base, sb_sys_read, sb_sys_write,
			  sb_sys_client }, false },
	{ JOB_PRUNE,	{ sb_sys_base, sb_sys_read, sb_sys_remove }, false },
	{ JOB_UPLOAD,	{ sb_sys_base, sb_sys_read, sb_sys_client,
			  sb_sys_http }, false },
	{ JOB_NOTIFY,	{ NULL }, true },
};

static const struct sb_kind *
sb_kind_find(enum job_kind kind)
{
	size_t	 i;

	for (i = 0; i < sizeof(sb_kinds) / sizeof(sb_kinds[0]); i++)
		if (sb_kinds[i].kind == kind)
			return &sb_kinds[i];
	return NULL;
}

static void
sb_note(struct sandbox_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_note(struct sandbox_report *r, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(r->landlock_note);

	if (n + 3 >= sizeof(r->landlock_note))
		return;
	if (n > 0) {
		memcpy(r->landlock_note + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->landlock_note + n, sizeof(r->landlock_note) - n, fmt, ap);
	va_end(ap);
}

#ifdef CAIRN_SANITIZERS
/*
 * LeakSanitizer's exit-time check stops the world with ptrace(), which the
 * filter kills: a sealed process skips it (libsanitizer calls this hook).
 */
static volatile int sb_sealed;

int
__lsan_is_turned_off(void)
{
	return sb_sealed;
}
#endif

const char *
sandbox_level_name(enum sandbox_level l)
{
	switch (l) {
	case SANDBOX_FULL:	return "full";
	case SANDBOX_PARTIAL:	return "partial";
	default:		return "none";
	}
}

const char *
sandbox_net_name(enum sandbox_net n)
{
	switch (n) {
	case SANDBOX_NET_ANY:	return "any";
	case SANDBOX_NET_UNIX:	return "unix";
	default:		return "none";
	}
}

enum sandbox_net
sandbox_kind_net(enum job_kind kind, int allow_network)
{
	switch (kind) {
	case JOB_MYSQL:
	case JOB_UPLOAD:
		return SANDBOX_NET_ANY;
	case JOB_VERIFY:
		return allow_network ? SANDBOX_NET_ANY : SANDBOX_NET_UNIX;
	case JOB_SQLITE:
		return SANDBOX_NET_UNIX;
	case JOB_NOTIFY:
		return SANDBOX_NET_ANY;	/* webhooks */
	default:	/* JOB_PRUNE, and anything unknown gets the least */
		return SANDBOX_NET_NONE;
	}
}

void
sandbox_report_format(const struct sandbox_report *r, char *buf, size_t len)
{
	snprintf(buf, len, "sandbox: landlock %s (abi %d)%s%s%s, seccomp %s "
	    "(%d syscalls allowed, %d named to kill), network %s, "
	    "%d inherited fds closed",
	    sandbox_level_name(r->landlock), r->landlock_abi,
	    r->landlock_note[0] != '\0' ? " [" : "", r->landlock_note,
	    r->landlock_note[0] != '\0' ? "]" : "",
	    !r->seccomp ? "off" : r->seccomp_thread_kill ? "on, thread kill" :
	    "on", r->nallow, r->nkill, sandbox_net_name(r->net),
	    r->fds_closed);
}

/* The "Threads:" count of /proc/self/status; -1 when unknown. */
static int
sb_threads(void)
{
	char	 val[32];

	if (util_proc_status("Threads", val, sizeof(val)) == -1)
		return -1;
	return atoi(val);
}

static int
sb_cmp_int(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int
sb_kept(const int *keep, size_t nkeep, int fd)
{
	return bsearch(&fd, keep, nkeep, sizeof(*keep), sb_cmp_int) != NULL;
}

int
sandbox_close_fds(const int *keep, size_t nkeep)
{
	int		 sorted[SB_MAX_KEEP];
	size_t		 i, n = 0;
	unsigned	 lo;
	DIR		*d;
	struct dirent	*de;
	int		 fd, dfd, closed = 0;

	if (nkeep > SB_MAX_KEEP) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < nkeep; i++)
		if (keep[i] > 2)
			sorted[n++] = keep[i];
	qsort(sorted, n, sizeof(sorted[0]), sb_cmp_int);

	/* count what was inherited, for the log: a leak shows up there */
	if ((d = opendir("/proc/self/fd")) != NULL) {
		dfd = dirfd(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			fd = atoi(de->d_name);
			if (fd > 2 && fd != dfd && !sb_kept(sorted, n, fd)) {
				close(fd);
				closed++;
			}
		}
		closedir(d);
	}

	/* then close every gap for sure, /proc or not */
	lo = 3;
	for (i = 0; i <= n; i++) {
		unsigned hi = i < n ? (unsigned)sorted[i] : ~0U;

		if (hi > lo && syscall(SYS_close_range, lo, hi - 1, 0) == -1) {
			if (errno != ENOSYS)
				return -1;
			for (fd = (int)lo; fd < 65536 &&
			    (unsigned)fd < hi; fd++)
				(void)close(fd);
		}
		if (i < n)
			lo = (unsigned)sorted[i] + 1;
	}
	return closed;
}

int
sandbox_landlock_abi(void)
{
	long	 abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/*
 * Adds one path_beneath rule.  Returns 0, 1 when the path does not exist,
 * or -1 (errno set).
 */
static int
sb_ll_add(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
	struct landlock_path_beneath_attr pb;
	struct stat	 st;
	int		 fd, rc, saved;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 1 : -1;
	if (fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE_RIGHTS;
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	saved = errno;
	close(fd);
	errno = saved;
	return rc == -1 ? -1 : 0;
}

/* Adds a table of best-effort paths: missing ones are fine. */
static int
sb_ll_add_table(int ruleset, const struct sb_path *t, uint64_t handled,
    struct sandbox_report *r)
{
	for (; t->path != NULL; t++)
		if (sb_ll_add(ruleset, t->path, t->access, handled) == -1) {
			sb_note(r, "%s: %s", t->path, strerror(errno));
			return -1;
		}
	return 0;
}

static int
sb_ll_add_list(int ruleset, const char *const *paths, uint64_t access,
    uint64_t handled, struct sandbox_report *r, int *gaps)
{
	int	 rc;

	for (; paths != NULL && *paths != NULL; paths++) {
		if ((rc = sb_ll_add(ruleset, *paths, access, handled)) == 0)
			continue;
		if (rc == 1)
			sb_note(r, "%s: missing, not allowed", *paths);
		else {
			sb_note(r, "%s: %s", *paths, strerror(errno));
			return -1;
		}
		(*gaps)++;
	}
	return 0;
}

/*
 * Applies the Landlock ruleset.  Returns 0 (report says how much), or -1
 * when the kernel has Landlock but refused a step the worker relies on.
 */
static int
sb_landlock(const struct sandbox_spec *spec, struct sandbox_report *r,
    char *err, size_t errlen)
{
	struct sb_ll_attr attr;
	const char	*one[2] = { NULL, NULL }, *rm[2] = { NULL, NULL };
	size_t		 attr_size;
	int		 abi, ruleset, gaps = 0, saved;

	r->landlock = SANDBOX_NONE;
	if ((abi = r->landlock_abi = sandbox_landlock_abi()) == 0) {
		sb_note(r, "kernel has no landlock (%s)", strerror(errno));
		return 0;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = LL_FS_V1;
	attr_size = sizeof(attr.handled_access_fs);
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	else {
		sb_note(r, "abi %d cannot restrict truncate", abi);
		gaps++;
	}
	if (abi >= 4) {
		/* no kind listens; kinds without network connect nowhere */
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP;
		if (r->net != SANDBOX_NET_ANY)
			attr.handled_access_net |=
			    LANDLOCK_ACCESS_NET_CONNECT_TCP;
		attr_size = offsetof(struct sb_ll_attr, scoped);
	}
	if (abi >= 5)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (abi >= 6) {
		/* signals only within the worker; no abstract sockets out */
		attr.scoped = LANDLOCK_SCOPE_SIGNAL |
		    LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
		attr_size = sizeof(attr);
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size,
	    0);
	if (ruleset == -1) {
		/* e.g. landlock=0 on the kernel command line: EOPNOTSUPP */
		sb_note(r, "landlock_create_ruleset: %s", strerror(errno));
		return 0;
	}
	one[0] = spec->write_dir;
	rm[0] = spec->remove_dir;
	if (sb_ll_add_table(ruleset, sb_base_paths, attr.handled_access_fs,
	    r) == -1 ||
	    (r->net != SANDBOX_NET_NONE && sb_ll_add_table(ruleset,
	    sb_net_paths, attr.handled_access_fs, r) == -1) ||
	    (spec->kind == JOB_NOTIFY && sb_ll_add_table(ruleset,
	    sb_exec_paths, attr.handled_access_fs, r) == -1) ||
	    sb_ll_add_list(ruleset, spec->read_paths, LL_READ,
	    attr.handled_access_fs, r, &gaps) == -1 ||
	    sb_ll_add_list(ruleset, spec->rw_paths, LL_RW,
	    attr.handled_access_fs, r, &gaps) == -1 ||
	    sb_ll_add_list(ruleset, one, LL_WRITE_DIR,
	    attr.handled_access_fs, r, &gaps) == -1 ||
	    sb_ll_add_list(ruleset, rm, LL_READ |
	    LANDLOCK_ACCESS_FS_REMOVE_FILE, attr.handled_access_fs, r,
	    &gaps) == -1)
		goto fail;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		sb_note(r, "landlock_restrict_self: %s", strerror(errno));
		goto fail;
	}
	close(ruleset);
	r->landlock = gaps == 0 ? SANDBOX_FULL : SANDBOX_PARTIAL;
	return 0;
fail:
	saved = errno;
	close(ruleset);
	return util_fail(err, errlen, saved, "sandbox: landlock: %s",
	    r->landlock_note);
}

static int
sb_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned nargs, const struct scmp_arg_cmp *arg, char *err,
    size_t errlen)
{
	int	 nr, rc;

	/* a syscall this architecture does not have needs no rule */
	if ((nr = seccomp_syscall_resolve_name(name)) < 0)
		return 0;
	if ((rc = seccomp_rule_add_array(ctx, action, nr, nargs, arg)) < 0)
		return util_fail(err, errlen, -rc, "sandbox: seccomp rule %s",
		    name);
	return 1;
}

/* How many never-list calls this architecture has (for the report). */
static int
sb_never_count(void)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; sb_kill_syscalls[i] != NULL; i++)
		n += seccomp_syscall_resolve_name(sb_kill_syscalls[i]) >= 0;
	return n;
}

/* 1 (err, errno EINVAL) when an allow-list names a never-list call. */
static int
sb_never_listed(const char *const *names, char *err, size_t errlen)
{
	size_t	 i;

	for (; *names != NULL; names++)
		for (i = 0; sb_kill_syscalls[i] != NULL; i++)
			if (strcmp(*names, sb_kill_syscalls[i]) == 0) {
				util_fail(err, errlen, EINVAL, "sandbox: an "
				    "allow-list names %s, which no worker "
				    "may call", *names);
				return 1;
			}
	return 0;
}

/* Adds one rule per name of a NULL-terminated list; returns how many. */
static int
sb_rules(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
    unsigned nargs, const struct scmp_arg_cmp *arg, char *err,
    size_t errlen)
{
	int	 rc, n = 0;

	for (; *names != NULL; names++) {
		if ((rc = sb_rule(ctx, action, *names, nargs, arg, err,
		    errlen)) == -1)
			return -1;
		n += rc;
	}
	return n;
}

/* The calls allowed only with some arguments (the rest EPERM or kill). */
static int
sb_seccomp_args(scmp_filter_ctx ctx, const struct sandbox_spec *spec,
    struct sandbox_report *r, char *err, size_t errlen)
{
	static const char *const sig_self[] = {
		"kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", NULL
	};
	static const char *const never[] = {
		"tkill", "pidfd_send_signal", "listen", "accept", "accept4",
		"bind", NULL
	};
	static const char *const chown[] = {
		"fchown", "fchown32", "fchownat", "chown", "chown32", "lchown",
		"lchown32", NULL
	};
	/* prctl: reading the process's own state, naming threads */
	static const int prctl_ok[] = {
		PR_GET_DUMPABLE, PR_GET_PDEATHSIG, PR_GET_NAME, PR_SET_NAME,
		PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP,
	};
	const uint32_t	 eperm = SCMP_ACT_ERRNO(EPERM);
	struct scmp_arg_cmp arg;
	size_t		 i;
	pid_t		 self = getpid();

	(void)spec;
	/* personality(0xffffffff) only reads it: glibc and ASan do that */
	arg = SCMP_A0(SCMP_CMP_EQ, 0xffffffffUL);
	if (sb_rule(ctx, SCMP_ACT_ALLOW, "personality", 1, &arg, err,
	    errlen) == -1)
		return -1;
	/* signals go to this process only: the supervisor shares our uid */
	arg = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self);
	if (sb_rules(ctx, SCMP_ACT_ALLOW, sig_self, 1, &arg, err,
	    errlen) == -1)
		return -1;
	arg = SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self);
	if (sb_rules(ctx, eperm, sig_self, 1, &arg, err, errlen) == -1 ||
	    sb_rules(ctx, eperm, never, 0, NULL, err, errlen) == -1)
		return -1;
	for (i = 0; i < sizeof(prctl_ok) / sizeof(prctl_ok[0]); i++) {
		arg = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctl_ok[i]);
		if (sb_rule(ctx, SCMP_ACT_ALLOW, "prctl", 1, &arg, err,
		    errlen) == -1)
			return -1;
	}
	/* prlimit64 may read limits (libc, ASan), never set them */
	arg = SCMP_A2(SCMP_CMP_EQ, 0);
	if (sb_rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 1, &arg, err,
	    errlen) == -1)
		return -1;
	arg = SCMP_A2(SCMP_CMP_NE, 0);
	if (sb_rule(ctx, eperm, "prlimit64", 1, &arg, err, errlen) == -1)
		return -1;
	/* SQLite running as root hands its files to their owner: no need */
	if (sb_rules(ctx, eperm, chown, 0, NULL, err, errlen) == -1)
		return -1;
	/* isatty() and friends: no terminal here */
	if (sb_rule(ctx, SCMP_ACT_ERRNO(ENOTTY), "ioctl", 0, NULL, err,
	    errlen) == -1)
		return -1;
	switch (r->net) {
	case SANDBOX_NET_ANY:
		return sb_rule(ctx, SCMP_ACT_ALLOW, "socket", 0, NULL, err,
		    errlen) == -1 ? -1 : 0;
	case SANDBOX_NET_UNIX:
		arg = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);
		if (sb_rule(ctx, SCMP_ACT_ALLOW, "socket", 1, &arg, err,
		    errlen) == -1)
			return -1;
		arg = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
		return sb_rule(ctx, eperm, "socket", 1, &arg, err,
		    errlen) == -1 ? -1 : 0;
	case SANDBOX_NET_NONE:
		break;
	}
	return sb_rule(ctx, eperm, "socket", 0, NULL, err, errlen) == -1 ||
	    sb_rule(ctx, eperm, "connect", 0, NULL, err, errlen) == -1 ?
	    -1 : 0;
}

/*
 * The filter of a kind that runs programs (sb_kinds): *ctx is replaced by
 * one that allows by default and kills the never-list but execve.  Returns
 * how many calls it kills, or -1.
 */
static int
sb_seccomp_programs(scmp_filter_ctx *ctx, uint32_t kill_action, char *err,
    size_t errlen)
{
	size_t	 i;
	int	 rc, n = 0;

	seccomp_release(*ctx);
	if ((*ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return util_fail(err, errlen, ENOMEM, "sandbox: seccomp_init");
	if ((rc = seccomp_attr_set(*ctx, SCMP_FLTATR_ACT_BADARCH,
	    kill_action)) < 0 ||
	    (rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0)
		return util_fail(err, errlen, -rc, "sandbox: seccomp_attr_set");
	for (i = 0; sb_kill_syscalls[i] != NULL; i++) {
		if (strcmp(sb_kill_syscalls[i], "execve") == 0)
			continue;
		if ((rc = sb_rule(*ctx, kill_action, sb_kill_syscalls[i], 0,
		    NULL, err, errlen)) == -1)
			return -1;
		n += rc;
	}
	return n;
}

/*
 * Loads the kind's filter: its allow-lists (sb_kinds), the argument rules,
 * and the never-list by name (so that an allow-list naming one of those
 * fails here, loudly, instead of quietly allowing it); anything else kills
 * the process with SIGSYS.
 */
static int
sb_seccomp(const struct sandbox_spec *spec, struct sandbox_report *r,
    char *err, size_t errlen)
{
	const struct sb_kind *k;
	scmp_filter_ctx	 ctx;
	size_t		 i;
	uint32_t	 kill_action = SCMP_ACT_KILL_PROCESS;
	int		 rc, nkill, nallow = 0;

	if ((k = sb_kind_find(spec->kind)) == NULL)
		return util_fail(err, errlen, EINVAL, "sandbox: no seccomp "
		    "allow-list for %s workers", conf_kind_name(spec->kind));
	/* kernels before 4.14 (and valgrind) only kill the thread */
	if (seccomp_api_get() < 3) {
		kill_action = SCMP_ACT_KILL;
		r->seccomp_thread_kill = 1;
	}
	if ((ctx = seccomp_init(kill_action)) == NULL)
		return util_fail(err, errlen, ENOMEM, "sandbox: seccomp_init");
	/* the native arch only: i386 (int 0x80) and x32 calls kill */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    kill_action)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0) {
		seccomp_release(ctx);
		return util_fail(err, errlen, -rc, "sandbox: seccomp_attr_set");
	}
	if (k->runs_programs) {
		if ((nkill = sb_seccomp_programs(&ctx, kill_action, err,
		    errlen)) == -1)
			goto fail;
		goto load;
	}
	nkill = sb_never_count();
	if (sb_seccomp_args(ctx, spec, r, err, errlen) == -1)
		goto fail;
	for (i = 0; i < SB_MAX_LISTS && k->lists[i] != NULL; i++) {
		if (k->lists[i] == sb_sys_client &&
		    r->net == SANDBOX_NET_NONE)
			continue;
		if (sb_never_listed(k->lists[i], err, errlen) ||
		    (rc = sb_rules(ctx, SCMP_ACT_ALLOW, k->lists[i], 0, NULL,
		    err, errlen)) == -1)
			goto fail;
		nallow += rc;
	}
load:
	if ((rc = seccomp_load(ctx)) < 0) {
		util_fail(err, errlen, -rc, "sandbox: seccomp_load");
		goto fail;
	}
	seccomp_release(ctx);
	r->seccomp = 1;
	r->nkill = nkill;
	r->nallow = nallow;
	return 0;
fail:
	rc = errno;
	seccomp_release(ctx);
	errno = rc;
	return -1;
}

int
sandbox_enter(const struct sandbox_spec *spec, struct sandbox_report *r,
    char *err, size_t errlen)
{
	struct rlimit	 rl;
	pid_t		 parent;
	int		 n;

	memset(r, 0, sizeof(*r));
	if (errlen > 0)
		*err = '\0';
	if (spec->kind <= 0 || spec->kind >= JOB_KIND_MAX)
		return util_fail(err, errlen, EINVAL, "sandbox: unknown kind %d",
		    (int)spec->kind);
	if (spec->nkeep > SB_MAX_KEEP)
		return util_fail(err, errlen, EINVAL, "sandbox: %zu fds to keep, "
		    "at most %d", spec->nkeep, SB_MAX_KEEP);
	if ((n = sb_threads()) > 1)
		return util_fail(err, errlen, EBUSY, "sandbox: %d threads "
		    "running, the sandbox must come first", n);
	r->net = sandbox_kind_net(spec->kind, spec->allow_network);

	/* die with the supervisor; if it is already gone, stop here */
	parent = spec->parent != 0 ? spec->parent : getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		return util_fail(err, errlen, errno, "sandbox: PR_SET_PDEATHSIG");
	if (getppid() != parent)
		return util_fail(err, errlen, ESRCH, "sandbox: parent %d is "
		    "gone", (int)parent);

	/* own group: the supervisor can signal the worker and its threads */
	if (setpgid(0, 0) == -1 && getpgrp() != getpid())
		return util_fail(err, errlen, errno, "sandbox: setpgid");
	umask(077);

	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		return util_fail(err, errlen, errno, "sandbox: RLIMIT_CORE");
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return util_fail(err, errlen, errno, "sandbox: RLIMIT_NOFILE");
	n = spec->nofile > 0 ? spec->nofile : SANDBOX_NOFILE;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)n)
		rl.rlim_max = (rlim_t)n;
	rl.rlim_cur = (rlim_t)n < rl.rlim_max ? (rlim_t)n : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		/* valgrind refuses any change of the hard limit: soft only */
		if (errno != EPERM || getrlimit(RLIMIT_NOFILE, &rl) == -1)
			return util_fail(err, errlen, errno,
			    "sandbox: RLIMIT_NOFILE %d", n);
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)n)
			n = (int)rl.rlim_max;
		rl.rlim_cur = (rlim_t)n;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			return util_fail(err, errlen, errno,
			    "sandbox: RLIMIT_NOFILE %d", n);
	}

	if ((n = sandbox_close_fds(spec->keep_fds, spec->nkeep)) == -1)
		return util_fail(err, errlen, errno, "sandbox: close_range");
	r->fds_closed = n;

	/* no core, no /proc/PID/mem or ptrace for processes of our uid */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return util_fail(err, errlen, errno, "sandbox: PR_SET_DUMPABLE");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return util_fail(err, errlen, errno,
		    "sandbox: PR_SET_NO_NEW_PRIVS");
	if (sb_landlock(spec, r, err, errlen) == -1)
		return -1;
	if (sb_seccomp(spec, r, err, errlen) == -1)
		return -1;
#ifdef CAIRN_SANITIZERS
	sb_sealed = 1;
#endif
	return 0;
}
