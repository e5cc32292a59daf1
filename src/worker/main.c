/*
 * main.c -- cairnd re-executed as a worker ("cairnd -W"): one job run.
 *
 * The supervisor forked and re-executed us with our end of the channel on
 * fd 3 and nothing else of its memory.  We read HELLO and JOB (the job
 * folder's descriptor rides on JOB), enter the sandbox for the job's kind
 * before touching anything, run the engine and report back: HEARTBEAT
 * frames from a small thread every heartbeat_interval while the engine
 * keeps reporting progress, LOG frames for every log line, then ARTIFACT,
 * TABLES and DONE.  The exit status is the CAIRN_E_* code.  SIGTERM sets
 * the engine's cancel flag.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/catalog.h"
#include "cairn/chan.h"
#include "cairn/errors.h"
#include "cairn/frame.h"
#include "engine.h"
#include "cairn/log.h"
#include "cairn/sandbox.h"
#include "cairn/util.h"
#include "cairn/worker.h"
#include "maint_worker.h"

static struct chan		*w_chan;
static uint32_t			 w_gen;
static pthread_mutex_t		 w_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 w_cond = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t	 w_cancel;
static struct job_progress	 w_progress;	/* under w_lock */
static int64_t			 w_progress_ms;	/* last engine report */
static int			 w_hb_stop;	/* under w_lock */
static int			 w_hb_mute;	/* fault: stay silent */
static const struct frame_job	*w_fj;		/* maint: verify, prune */
static struct maint_items	 w_items;

static void
w_on_term(int sig)
{
	(void)sig;
	w_cancel = 1;
}

/* One frame, whole, from whichever thread; a dead channel ends us. */
static void
w_send(enum frame_type type, const void *p, size_t len)
{
	int	 r;

	pthread_mutex_lock(&w_lock);
	r = chan_send(w_chan, type, w_gen, p, len, -1);
	pthread_mutex_unlock(&w_lock);
	if (r == -1)
		_exit(CAIRN_E_PROTOCOL);	/* the supervisor is gone */
}

static void
w_log_sink(enum log_level level, const char *msg, void *arg)
{
	unsigned char	 buf[FRAME_LOG_MAX + 8];
	ssize_t		 n;

	(void)arg;
	if ((n = frame_encode_log(buf, sizeof(buf), level, msg)) > 0)
		w_send(MSG_LOG, buf, (size_t)n);
}

static void
w_on_progress(void *arg, const struct job_progress *p)
{
	(void)arg;
	pthread_mutex_lock(&w_lock);
	w_progress = *p;
	w_progress_ms = util_now_ms();
	pthread_mutex_unlock(&w_lock);
}

struct hb_args {
	int64_t		 interval_ms;
	int64_t		 stall_ms;	/* engine silent this long: go quiet */
};

/*
 * Heartbeats on a timer, so a quiet but working engine (a long query, a
 * big fsync) is not killed, and only while the engine reported within
 * heartbeat_timeout, so a stuck one is: the supervisor's deadline then
 * fires at most two timeouts after its last report.
 */
static void *
w_heartbeat(void *arg)
{
	const struct hb_args	*a = arg;
	unsigned char		 buf[256];
	struct job_progress	 p;
	struct timespec		 ts;
	int64_t			 last;
	ssize_t			 n;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += a->interval_ms / 1000;
		ts.tv_nsec += (a->interval_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&w_lock);
		while (!w_hb_stop &&
		    pthread_cond_timedwait(&w_cond, &w_lock, &ts) != ETIMEDOUT)
			;
		if (w_hb_stop) {
			pthread_mutex_unlock(&w_lock);
			return NULL;
		}
		p = w_progress;
		last = w_progress_ms;
		pthread_mutex_unlock(&w_lock);
		if (w_hb_mute || util_now_ms() - last > a->stall_ms)
			continue;
		if ((n = frame_encode_heartbeat(buf, sizeof(buf), &p)) > 0)
			w_send(MSG_HEARTBEAT, buf, (size_t)n);
	}
}

static void
w_done(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

static void
w_done(int code, const char *fmt, ...)
{
	struct msg_done	 d;
	unsigned char	 buf[300];
	va_list		 ap;
	ssize_t		 n;

	memset(&d, 0, sizeof(d));
	d.code = (uint32_t)code;
	va_start(ap, fmt);
	vsnprintf(d.message, sizeof(d.message), fmt, ap);
	va_end(ap);
	if ((n = frame_encode_done(buf, sizeof(buf), &d)) > 0)
		w_send(MSG_DONE, buf, (size_t)n);
	_exit(code);
}

static void
w_report(const struct job_env *env, const struct job_result *res)
{
	static unsigned char	 buf[FRAME_MAX_PAYLOAD];
	struct msg_artifact	 a;
	size_t			 i, k;
	ssize_t			 n;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", res->artifact);
	a.raw_bytes = res->info.raw_bytes;
	a.stored_bytes = res->info.stored_bytes;
	memcpy(a.sha256, res->info.sha256, sizeof(a.sha256));
	a.started = env->started;
	a.finished = time(NULL);
	a.ntables = res->ntables > FRAME_TABLES_MAX ? FRAME_TABLES_MAX :
	    (uint32_t)res->ntables;
	if ((n = frame_encode_artifact(buf, sizeof(buf), &a)) == -1)
		w_done(CAIRN_E_SOFTWARE, "artifact %s: cannot report", a.name);
	w_send(MSG_ARTIFACT, buf, (size_t)n);
	for (i = 0; i < a.ntables; i += k) {
		k = a.ntables - i;
		if (k > FRAME_TABLES_PER_FRAME)
			k = FRAME_TABLES_PER_FRAME;
		if ((n = frame_encode_tables(buf, sizeof(buf),
		    res->tables + i, k)) == -1)
			w_done(CAIRN_E_SOFTWARE, "table stats: cannot report");
		w_send(MSG_TABLES, buf, (size_t)n);
	}
}

/* -- fault injection (tests only) -------------------------------------- */

#ifdef CAIRN_FAULT_INJECTION
/* A partial file like the writer's, for the supervisor to clean up. */
static void
w_fault_partial(const struct job_env *env)
{
	char	 name[256], partial[300];
	int	 fd;

	job_artifact_name(name, sizeof(name), env->job, env->started);
	snprintf(partial, sizeof(partial), WRITER_PARTIAL_PREFIX "%s"
	    WRITER_PARTIAL_SUFFIX, name);
	fd = openat(env->dirfd, partial, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600);
	if (fd != -1) {
		(void)!write(fd, "\x1f\x8b", 2);
		close(fd);
	}
}

static void
w_fault(unsigned fault, const struct job_env *env)
{
	struct frame_hdr	 h;
	unsigned char		 w[FRAME_HDR_LEN];
	struct job_progress	 p;
	int64_t			 until;

	switch (fault) {
	case FAULT_HANG:
		/* silent and deaf: only SIGKILL ends this */
		log_warnx("fault injection: hanging");
		w_hb_mute = 1;
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	case FAULT_CRASH:
		log_warnx("fault injection: crashing");
		w_fault_partial(env);
		abort();
	case FAULT_GARBAGE:
		pthread_mutex_lock(&w_lock);
		(void)!write(WORKER_CHAN_FD, "\x01\x03\x00\x00garbage!garbage!"
		    "garbage!", 28);
		pthread_mutex_unlock(&w_lock);
		for (;;)
			pause();
	case FAULT_OVERSIZE:
		memset(&h, 0, sizeof(h));
		h.version = CAIRN_PROTO_VERSION;
		h.type = MSG_LOG;
		h.len = FRAME_MAX_PAYLOAD * 16;
		h.gen = w_gen;
		h.seq = 1000;
		frame_hdr_pack(w, &h);
		pthread_mutex_lock(&w_lock);
		(void)!write(WORKER_CHAN_FD, w, sizeof(w));
		pthread_mutex_unlock(&w_lock);
		for (;;)
			pause();
	case FAULT_EXECVE:
		log_warnx("fault injection: calling execve");
		execl("/bin/true", "true", (char *)NULL);
		w_done(CAIRN_E_SOFTWARE, "fault injection: execve was not "
		    "blocked: %s", strerror(errno));
	case FAULT_SLOW:
		log_warnx("fault injection: working slowly for 60s");
		w_fault_partial(env);
		memset(&p, 0, sizeof(p));
		snprintf(p.current, sizeof(p.current), "slow");
		until = util_now_ms() + 60000;
		while (!w_cancel && util_now_ms() < until) {
			p.items_done++;
			w_on_progress(NULL, &p);
			usleep(100000);
		}
		if (w_cancel)
			w_done(CAIRN_E_TEMPFAIL, "cancelled");
		break;
	default:
		break;
	}
}
#endif

/* -- the sandbox ------------------------------------------------------- */

/* Adds path to list (of cap entries) when it exists. */
static void
w_path_add(const char **list, size_t *n, size_t cap, const char *path)
{
	if (path != NULL && *n + 1 < cap && access(path, F_OK) == 0)
		list[(*n)++] = path;
	list[*n] = NULL;
}

/*
 * Locks this process down for its job before any job work: only the job
 * folder is writable, only the job's own inputs readable (the SQLite file
 * and its -wal/-shm, the TLS files of a MySQL connection).
 */
static void
w_sandbox(const struct frame_job *fj, pid_t parent, int dirfd)
{
	const struct job_conf	*job = &fj->job;
	struct sandbox_spec	 spec;
	struct sandbox_report	 rep;
	const char		*ro[8], *rw[4];
	char			*wal = NULL, *shm = NULL, *journal = NULL;
	char			 err[256], line[256];
	int			 keep[2] = { WORKER_CHAN_FD, dirfd };
	size_t			 nro = 0, nrw = 0;

	w_path_add(ro, &nro, nitems(ro), job->path);
	w_path_add(ro, &nro, nitems(ro), job->db.ssl_ca);
	w_path_add(ro, &nro, nitems(ro), job->db.ssl_cert);
	w_path_add(ro, &nro, nitems(ro), job->db.ssl_key);
	w_path_add(ro, &nro, nitems(ro), job->db.socket);
	rw[0] = NULL;
	if (job->kind == JOB_SQLITE && job->path != NULL) {
		/* a WAL reader maps -shm and may open -wal read-write */
		wal = xasprintf("%s-wal", job->path);
		shm = xasprintf("%s-shm", job->path);
		journal = xasprintf("%s-journal", job->path);
		w_path_add(rw, &nrw, nitems(rw), wal);
		w_path_add(rw, &nrw, nitems(rw), shm);
		w_path_add(ro, &nro, nitems(ro), journal);
	}

	memset(&spec, 0, sizeof(spec));
	spec.kind = job->kind;
	spec.parent = parent;
	spec.keep_fds = keep;
	spec.nkeep = nitems(keep);
	spec.write_dir = fj->dir;
	if (job->kind == JOB_PRUNE) {
		/* the pruner only removes: no file created or written */
		spec.write_dir = NULL;
		spec.remove_dir = fj->dir;
	}
	if (job->kind == JOB_UPLOAD) {
		/* the uploader reads its folder and talks to the remote */
		spec.write_dir = NULL;
		w_path_add(ro, &nro, nitems(ro), fj->dir);
	}
	spec.read_paths = ro;
	spec.rw_paths = rw;
	spec.allow_network = job->kind == JOB_VERIFY &&
	    fj->verify_restore_test;
	/* "cairnd-sqlite" in ps(1); strace runs tell kinds apart by it */
	snprintf(line, sizeof(line), "cairnd-%s", conf_kind_name(job->kind));
	(void)prctl(PR_SET_NAME, line, 0, 0, 0);
	if (sandbox_enter(&spec, &rep, err, sizeof(err)) == -1)
		w_done(CAIRN_E_NOPERM, "sandbox: %s", err);
	sandbox_report_format(&rep, line, sizeof(line));
	if (rep.landlock != SANDBOX_FULL)
		log_info("%s", line);	/* say what is missing */
	else
		log_debug("%s", line);
	free(wal);
	free(shm);
	free(journal);
}

/* -- the run ----------------------------------------------------------- */

#define W_SPACE_SLACK	(4 * 1024 * 1024)

/*
 * A dump's size is known only once it is written: the last artifact of the
 * job in its folder stands for the next, with a quarter more for growth
 * and some slack.  No artifact yet, or a folder whose free space cannot be
 * read: not judged.  (SQLite snapshots check their own copy: sqlite.c.)
 */
static int
w_space_mysql(const struct job_env *env, struct job_result *res)
{
	struct statvfs	 vf;
	struct dirent	*de;
	struct stat	 st;
	enum job_kind	 kind;
	enum compress_kind comp;
	time_t		 t, newest = 0;
	char		 job[128], last[256] = "";
	uint64_t	 size = 0, avail, need;
	DIR		*dp;
	int		 fd;

	if ((fd = openat(env->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (dp = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return CAIRN_E_OK;
	}
	while ((de = readdir(dp)) != NULL)
		if (catalog_parse_name(de->d_name, job, sizeof(job), &kind, &t,
		    &comp) == 0 && kind == JOB_MYSQL &&
		    strcmp(job, env->job->name) == 0 && t >= newest &&
		    fstatat(dirfd(dp), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
			newest = t;
			size = (uint64_t)st.st_size;
			snprintf(last, sizeof(last), "%s", de->d_name);
		}
	closedir(dp);
	if (newest == 0 || fstatvfs(env->dirfd, &vf) == -1)
		return CAIRN_E_OK;
	avail = (uint64_t)vf.f_bavail * vf.f_frsize;
	need = size + size / 4 + W_SPACE_SLACK;
	if (avail >= need)
		return CAIRN_E_OK;
	snprintf(res->message, sizeof(res->message), "not enough free space "
	    "in %s: %.1f MiB free, about %.1f MiB needed (the last artifact, "
	    "%s, is %.1f MiB)", env->dir, avail / 1048576.0,
	    need / 1048576.0, last, size / 1048576.0);
	return CAIRN_E_STORE;
}

static int
w_engine(const struct job_env *env, struct job_result *res)
{
	int	 rc;

	switch (env->job->kind) {
	case JOB_SQLITE:
		return job_sqlite_run(env, res);
	case JOB_MYSQL:
		if ((rc = w_space_mysql(env, res)) != CAIRN_E_OK)
			return rc;
		return job_mysql_run(env, res);
	case JOB_VERIFY:
	case JOB_PRUNE:
	case JOB_UPLOAD:
		return maint_worker_run(w_fj, env, &w_items, w_send, res);
	default:
		snprintf(res->message, sizeof(res->message),
		    "%s jobs are not run by this worker",
		    conf_kind_name(env->job->kind));
		return CAIRN_E_SOFTWARE;
	}
}

/* HELLO from the supervisor, ours back; then logs go to it.  Its pid. */
static pid_t
w_hello(void)
{
	struct frame_hdr	 h;
	const unsigned char	*p;
	struct msg_hello	 hello;
	unsigned char		 buf[16];
	ssize_t			 n;
	pid_t			 sup_pid;

	w_chan = chan_new(WORKER_CHAN_FD, FRAME_TO_WORKER, 1);
	if (chan_recv(w_chan, &h, &p, SUP_HELLO_TIMEOUT_MS) == -1 ||
	    h.type != MSG_HELLO || frame_decode_hello(p, h.len, &hello) == -1)
		_exit(CAIRN_E_PROTOCOL);
	w_gen = h.gen;
	sup_pid = (pid_t)hello.pid;
	hello.proto = CAIRN_PROTO_VERSION;
	hello.pid = (uint32_t)getpid();
	hello.gen = w_gen;
	n = frame_encode_hello(buf, sizeof(buf), &hello);
	w_send(MSG_HELLO, buf, (size_t)n);
	log_set_sink(w_log_sink, NULL);
	return sup_pid;
}

/* The JOB frame into *fj and the job folder's descriptor it carried. */
static int
w_job(struct frame_job *fj)
{
	struct frame_hdr	 h;
	const unsigned char	*p;
	int			 dirfd;

	if (chan_recv(w_chan, &h, &p, SUP_HELLO_TIMEOUT_MS) == -1 ||
	    h.type != MSG_JOB || h.gen != w_gen)
		w_done(CAIRN_E_PROTOCOL, "no job: %s", chan_error(w_chan));
	if (frame_decode_job(p, h.len, fj) == -1)
		w_done(CAIRN_E_PROTOCOL, "malformed job description");
	if ((dirfd = chan_take_fd(w_chan)) == -1)
		w_done(CAIRN_E_PROTOCOL, "no job folder descriptor");
	return dirfd;
}

void
worker_main(void)
{
	struct frame_job	 fj;
	struct job_env		 env;
	struct job_result	 res;
	struct hb_args		 hb;
	struct sigaction	 sa;
	pthread_t		 thr;
	char			 err[256];
	int			 dirfd, code;
	pid_t			 sup_pid;

	log_init("cairnd-worker", 0);
	fatal_code = CAIRN_E_SOFTWARE;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = w_on_term;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	sup_pid = w_hello();
	dirfd = w_job(&fj);

	/* nothing of the job is touched before this */
	w_sandbox(&fj, sup_pid, dirfd);
	if (fj.job.kind == JOB_VERIFY || fj.job.kind == JOB_PRUNE ||
	    fj.job.kind == JOB_UPLOAD) {
		/* before the heartbeat thread: the channel is ours alone */
		w_fj = &fj;
		if (maint_items_read(w_chan, w_gen, &w_items, err,
		    sizeof(err)) == -1)
			w_done(CAIRN_E_PROTOCOL, "%s", err);
	}

	memset(&env, 0, sizeof(env));
	env.job = &fj.job;
	env.dirfd = dirfd;
	env.dir = fj.dir;
	env.started = (time_t)fj.started;
	env.password = fj.password;
	env.first_run = (int)fj.first_run;
	env.file_mode = fj.file_mode != 0 ? (mode_t)fj.file_mode : 0600;
	env.progress = w_on_progress;
	env.cancel = &w_cancel;

	w_progress_ms = util_now_ms();
	hb.interval_ms = (int64_t)fj.heartbeat_interval * 1000;
	hb.stall_ms = (int64_t)fj.heartbeat_timeout * 1000;
	if (pthread_create(&thr, NULL, w_heartbeat, &hb) != 0)
		w_done(CAIRN_E_OSERR, "heartbeat thread: %s", strerror(errno));

#ifdef CAIRN_FAULT_INJECTION
	w_fault(fj.fault, &env);
#endif
	memset(&res, 0, sizeof(res));
	code = w_engine(&env, &res);
	if (code == CAIRN_E_OK && res.artifact[0] != '\0')
		w_report(&env, &res);

	pthread_mutex_lock(&w_lock);
	w_hb_stop = 1;
	pthread_cond_signal(&w_cond);
	pthread_mutex_unlock(&w_lock);
	pthread_join(thr, NULL);

	snprintf(err, sizeof(err), "%s", code == CAIRN_E_OK ? "ok" :
	    res.message[0] != '\0' ? res.message : cairn_strerror(code));
	job_result_free(&res);
	maint_items_free(&w_items);
	frame_job_free(&fj);		/* wipes the password */
	w_done(code, "%s", err);
}
