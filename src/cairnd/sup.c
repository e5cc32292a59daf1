/*
 * sup.c -- the supervision loop: one poll() over the signal fd and the
 * workers' channels, timers for cron fires, retries, heartbeats, kills,
 * shutdown and the systemd watchdog.  Single-threaded; see
 * docs/architecture.md for the state machine.
 */
#include "config.h"

#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/chan.h"
#include "cairn/cron.h"
#include "ctl_server.h"
#include "cairn/errors.h"
#include "cairn/frame.h"
#include "cairn/log.h"
#include "cairn/notify.h"
#include "cairn/util.h"
#include "cairnd.h"
#include "schedule.h"

struct sup {
	const char	*conf_path;
	struct conf_ref	*cur;
	struct sup_boot	*boot;
	int		 once;

	struct slot	**slots;
	size_t		 nslots;
	uint64_t	 queue_ticket;
	int		 nrunning;
	int		 max_seen;	/* most workers at once */
	uint32_t	 next_gen;

	int		 sigfd;
	int		 stopping;
	int64_t		 stop_deadline;
	int64_t		 watchdog_ms;	/* 0: no watchdog */
	int64_t		 watchdog_next;
	int64_t		 retry_base_ms;
	int		 failed_runs;	/* -o: runs that finally failed */
	struct maint	*maint;		/* verify and prune (maint.c) */
	struct sup_ctl	*ctl;		/* control socket, metrics (ctl_ops.c) */
	struct alerts	*alerts;	/* alert state and delivery (alerts.c) */
};

static void	sup_worker_fail(struct worker *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* -- helpers ----------------------------------------------------------- */

static int64_t
now_ms(void)
{
	return util_now_ms();
}

static const char *
sig_name(int sig)
{
	const char	*s = sigabbrev_np(sig);

	return s != NULL ? s : "?";
}

static void
conf_ref_drop(struct conf_ref *r)
{
	if (r != NULL && --r->refs == 0) {
		conf_free(r->conf);
		free(r);
	}
}

/*
 * The audit trail is the record operators and tests rely on: a failed
 * write is logged, never fatal (the backups matter more than the record).
 */
#define sup_audit(s, ev, ...) do {					\
	if ((s)->boot->audit != NULL &&					\
	    audit_write((s)->boot->audit, (ev), __VA_ARGS__) == -1)	\
		log_warn("audit %s", (ev));				\
} while (0)

/* -- systemd notify (NOTIFY_SOCKET) ----------------------------------- */

static void
sup_notify(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
sup_notify(const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	notify_send(msg);
}

static void
sup_status(struct sup *s)
{
	size_t	 queued = 0, backoff = 0;

	/* the configured jobs; not maint.c's verify and prune slots */
	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i]->maint)
			continue;
		if (s->slots[i]->state == SLOT_QUEUED)
			queued++;
		else if (s->slots[i]->state == SLOT_BACKOFF)
			backoff++;
	}
	sup_notify("STATUS=%zu jobs, %d running, %zu queued, %zu retrying%s",
	    s->cur->conf->njobs, s->nrunning, queued, backoff,
	    s->stopping ? ", stopping" : "");
}

/* -- fault injection --------------------------------------------------- */

#ifdef CAIRN_FAULT_INJECTION
/*
 * CAIRN_FAULT="job=mode[@n],..." makes the named job's workers misbehave
 * on their first n attempts (default 1, 0: every attempt).  Test builds only.
 */
static uint32_t
sup_fault_for(const char *job, unsigned attempt)
{
	const char	*env = getenv("CAIRN_FAULT");
	char		*copy, *item, *save, *eq, *at;
	uint32_t	 fault = FAULT_NONE;
	long		 n;
	int		 f;

	if (env == NULL)
		return FAULT_NONE;
	copy = xstrdup(env);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL)
			continue;
		*eq++ = '\0';
		n = 1;
		if ((at = strchr(eq, '@')) != NULL) {
			*at++ = '\0';
			n = strtol(at, NULL, 10);
		}
		if (strcmp(item, job) != 0 || (f = frame_fault_parse(eq)) < 0)
			continue;
		if (n == 0 || attempt <= (unsigned long)n)
			fault = (uint32_t)f;
	}
	free(copy);
	return fault;
}
#else
static uint32_t
sup_fault_for(const char *job, unsigned attempt)
{
	return FAULT_NONE;
}
#endif

/* -- slots ------------------------------------------------------------- */

static struct slot *
sup_slot_find(struct sup *s, const char *name)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (!s->slots[i]->maint && strcmp(s->slots[i]->name, name) == 0)
			return s->slots[i];
	return NULL;
}

static void
sup_slot_schedule(struct sup *s, struct slot *sl, time_t now)
{
	sl->next_fire = sched_next_fire(sl->job, now, s->cur->conf->timezone,
	    s->once);
}

static void
sup_enqueue(struct sup *s, struct slot *sl)
{
	sl->state = SLOT_QUEUED;
	sl->queued_at = ++s->queue_ticket;
}

/*
 * Build the slot table for a conf: known jobs keep their slot (and any
 * running worker), new ones get a slot, vanished ones lose their job and
 * are dropped once idle.
 */
static void
sup_slots_sync(struct sup *s, time_t now, int starting)
{
	const struct conf	*c = s->cur->conf;
	struct slot		*sl;
	size_t			 i, j;

	for (i = 0; i < s->nslots; i++)
		if (!s->slots[i]->maint)
			s->slots[i]->job = NULL;
	for (i = 0; i < c->njobs; i++) {
		if ((sl = sup_slot_find(s, c->jobs[i].name)) == NULL) {
			sl = xcalloc(1, sizeof(*sl));
			sl->name = xstrdup(c->jobs[i].name);
			sl->last_code = -1;
			s->slots = xreallocarray(s->slots, s->nslots + 1,
			    sizeof(*s->slots));
			s->slots[s->nslots++] = sl;
			sl->job = &c->jobs[i];
			/* a job new to a reload starts like one at start-up */
			if (s->once || sl->job->run_at_start) {
				sup_audit(s, "job-scheduled",
				    AF_STR("job", sl->name),
				    AF_STR("reason", s->once ? "once" :
				    starting ? "run_at_start" : "new job"));
				sup_enqueue(s, sl);
			}
		}
		sl->job = &c->jobs[i];
		sup_slot_schedule(s, sl, now);
	}
	/* drop idle slots whose job is gone; keep config order otherwise */
	for (i = j = 0; i < s->nslots; i++) {
		sl = s->slots[i];
		if (sl->job == NULL && sl->state != SLOT_RUNNING) {
			free(sl->name);
			free(sl);
			continue;
		}
		if (sl->job == NULL)
			sl->next_fire = -1;
		s->slots[j++] = sl;
	}
	s->nslots = j;
	if (s->maint != NULL)
		maint_conf(s->maint, c, now);
	if (s->alerts != NULL)
		alerts_conf(s->alerts, c);
}

/* -- maint.c's view of the slots --------------------------------------- */

struct slot *
sup_slot_add(struct sup *s, const char *name, const struct job_conf *job)
{
	struct slot	*sl = xcalloc(1, sizeof(*sl));

	sl->name = xstrdup(name);
	sl->job = job;
	sl->maint = 1;
	sl->last_code = -1;
	sl->next_fire = -1;
	sl->done_once = 1;	/* -o waits for it only once it is queued */
	s->slots = xreallocarray(s->slots, s->nslots + 1, sizeof(*s->slots));
	s->slots[s->nslots++] = sl;
	return sl;
}

void
sup_slot_queue(struct sup *s, struct slot *sl)
{
	if (!s->stopping && sl->state == SLOT_IDLE)
		sup_enqueue(s, sl);
}

struct slot *const *
sup_slot_list(struct sup *s, size_t *n)
{
	*n = s->nslots;
	return s->slots;
}

const struct conf *
sup_conf(struct sup *s)
{
	return s->cur->conf;
}

/* -- partial files ----------------------------------------------------- */

/*
 * Removes the writer's partial files in a job's folder.  Only that job's
 * worker writes there and it is not running, so any partial is stale.
 */
static int
sup_remove_partials(struct sup *s, const char *job, uint32_t gen,
    const char *why)
{
	DIR		*d;
	struct dirent	*de;
	int		 dfd, n = 0;

	dfd = openat(s->boot->backup_dirfd, job,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd == -1)
		return 0;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!writer_is_partial(de->d_name))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			log_warn("%s: cannot remove %s", job, de->d_name);
			continue;
		}
		n++;
		log_info("%s: removed partial file %s (%s)", job, de->d_name,
		    why);
		sup_audit(s, "partial-removed", AF_STR("job", job),
		    AF_UINT("gen", gen), AF_STR("file", de->d_name),
		    AF_STR("reason", why));
	}
	closedir(d);
	return n;
}

/* -- secrets ----------------------------------------------------------- */

static int
sup_secret_fd(struct sup *s, const char *path)
{
	struct sup_boot	*b = s->boot;
	int		 fd;

	for (size_t i = 0; i < b->nsecrets; i++)
		if (strcmp(b->secrets[i].path, path) == 0)
			return b->secrets[i].fd;
	/* a file new since start-up (reload): open it as who we are now */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	b->secrets = xreallocarray(b->secrets, b->nsecrets + 1,
	    sizeof(*b->secrets));
	b->secrets[b->nsecrets].path = xstrdup(path);
	b->secrets[b->nsecrets].fd = fd;
	b->nsecrets++;
	return fd;
}

/* conf_load_held(): a secret start-up opened as root is still readable. */
static bool
sup_secret_held(const char *path, void *arg)
{
	const struct sup_boot	*b = arg;

	for (size_t i = 0; i < b->nsecrets; i++)
		if (strcmp(b->secrets[i].path, path) == 0)
			return true;
	return false;
}

/* The first line of a password file, without its newline; NULL on error. */
static char *
sup_read_password(struct sup *s, const char *path)
{
	char	 buf[4096];
	ssize_t	 n;
	char	*nl, *pw;
	int	 fd;

	if ((fd = sup_secret_fd(s, path)) == -1)
		return NULL;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n == -1)
		return NULL;
	buf[n] = '\0';
	if ((nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = '\0';
	pw = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return pw;
}

/* A whole secret file (an age identity file); NULL on error. */
static char *
sup_read_secret(struct sup *s, const char *path)
{
	char	 buf[FRAME_STR_MAX];
	ssize_t	 n;
	char	*out;
	int	 fd;

	if ((fd = sup_secret_fd(s, path)) == -1)
		return NULL;
	n = pread(fd, buf, sizeof(buf), 0);
	if (n == -1)
		return NULL;
	if (n == (ssize_t)sizeof(buf)) {
		explicit_bzero(buf, sizeof(buf));
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	out = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return out;
}

/*
 * An upload worker's remote: the s3 section its job names, with both keys
 * read from the files opened at start-up.  -1 with the cause in err.
 */
static int
sup_s3_fill(struct sup *s, const struct conf *c, const struct job_conf *job,
    struct frame_s3 *out, char *err, size_t errlen)
{
	const struct s3_conf	*r;

	memset(out, 0, sizeof(*out));
	if (job->upload == NULL ||
	    (r = conf_s3_find(c, job->upload)) == NULL) {
		snprintf(err, errlen, "no s3 remote for this job");
		return -1;
	}
	if ((out->access_key = sup_read_password(s, r->access_key_file)) ==
	    NULL || out->access_key[0] == '\0') {
		snprintf(err, errlen, "access_key_file %s: %s",
		    r->access_key_file, out->access_key == NULL ?
		    strerror(errno) : "empty");
		return -1;
	}
	if ((out->secret_key = sup_read_password(s, r->secret_key_file)) ==
	    NULL || out->secret_key[0] == '\0') {
		snprintf(err, errlen, "secret_key_file %s: %s",
		    r->secret_key_file, out->secret_key == NULL ?
		    strerror(errno) : "empty");
		return -1;
	}
	out->endpoint = r->endpoint;
	out->region = r->region;
	out->bucket = r->bucket;
	out->prefix = r->prefix;
	out->storage_class = r->storage_class;
	out->path_style = r->path_style;
	out->part_size = (uint32_t)r->part_size_mib << 20;
	out->concurrency = (uint32_t)r->concurrency;
	out->bandwidth_limit = (uint64_t)r->bandwidth_limit_kib * 1024;
	out->verify_download = r->verify_download;
	return 0;
}

/* Only the keys are the supervisor's own copies. */
static void
sup_s3_wipe(struct frame_s3 *f)
{
	if (f->secret_key != NULL) {
		explicit_bzero(f->secret_key, strlen(f->secret_key));
		free(f->secret_key);
	}
	free(f->access_key);
	memset(f, 0, sizeof(*f));
}

/* -- spawning ---------------------------------------------------------- */

static int
sup_kill_grace_ms(const struct conf *c)
{
	int64_t	 ms = (int64_t)c->heartbeat_interval * 2000;

	if (ms < SUP_KILL_GRACE_MIN_MS)
		ms = SUP_KILL_GRACE_MIN_MS;
	if (ms > SUP_KILL_GRACE_MAX_MS)
		ms = SUP_KILL_GRACE_MAX_MS;
	return (int)ms;
}

/*
 * fork, put the child's end of the channel on fd 3, close everything else
 * and re-execute ourselves with FLAG (a worker, the notifier): a fresh
 * address space holding none of the supervisor's memory.
 */
pid_t
sup_fork_worker(int socktype, const char *flag, int *chanp)
{
	sigset_t	 none;
	int		 sp[2], saved;
	pid_t		 pid;

	if (socketpair(AF_UNIX, socktype | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	/* our end only: the worker's end stays blocking */
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1 || (pid = fork()) == -1) {
		saved = errno;
		close(sp[0]);
		close(sp[1]);
		errno = saved;
		return -1;
	}
	switch (pid) {
	case 0:
		/* the supervisor blocks these for its signalfd */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (sp[1] == WORKER_CHAN_FD) {
			/* dup2() onto itself would keep FD_CLOEXEC */
			if (fcntl(sp[1], F_SETFD, 0) == -1)
				_exit(CAIRN_E_OSERR);
		} else if (dup2(sp[1], WORKER_CHAN_FD) == -1)
			_exit(CAIRN_E_OSERR);
		closefrom(WORKER_CHAN_FD + 1);
		execl("/proc/self/exe", "cairnd", flag, (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	*chanp = sp[0];
	return pid;
}

static void
sup_spawn(struct sup *s, struct slot *sl)
{
	const struct conf	*c = s->cur->conf;
	const struct job_conf	*job = sl->job;
	struct frame_job	 fj;
	struct msg_hello	 hello;
	struct worker		*w;
	unsigned char		*buf = NULL;
	ssize_t			 n = FRAME_MAX_PAYLOAD;
	int			 dirfd, chanfd;
	char			*pw = NULL, cause[512];

	sl->attempt++;
	w = xcalloc(1, sizeof(*w));
	w->slot = sl;
	w->ref = s->cur;
	w->ref->refs++;
	w->job = job;
	w->gen = ++s->next_gen;
	w->started = time(NULL);
	w->started_ms = now_ms();
	sl->w = w;
	sl->state = SLOT_RUNNING;
	s->nrunning++;
	if (s->nrunning > s->max_seen)
		s->max_seen = s->nrunning;

	dirfd = openat(s->boot->backup_dirfd, job->name,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd == -1 && errno == ENOENT &&
	    mkdirat(s->boot->backup_dirfd, job->name, 0750) == 0)
		dirfd = openat(s->boot->backup_dirfd, job->name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd == -1) {
		snprintf(cause, sizeof(cause), "job folder %s/%s: %s",
		    c->backup_dir, job->name, strerror(errno));
		goto fail;
	}
	if ((job->kind == JOB_MYSQL || job->kind == JOB_VERIFY) &&
	    job->db.password_file != NULL &&
	    (pw = sup_read_password(s, job->db.password_file)) == NULL) {
		snprintf(cause, sizeof(cause), "password file %s: %s",
		    job->db.password_file, strerror(errno));
		goto fail;
	}

	memset(&fj, 0, sizeof(fj));
	if (job->kind == JOB_VERIFY && job->age_identity_file != NULL &&
	    (fj.age_identity = sup_read_secret(s,
	    job->age_identity_file)) == NULL) {
		/* verify still checks the header, size and SHA-256 */
		log_warn("age identity file %s", job->age_identity_file);
	}
	if (job->kind == JOB_UPLOAD && sup_s3_fill(s, c, job, &fj.s3,
	    cause, sizeof(cause)) == -1) {
		sup_s3_wipe(&fj.s3);
		goto fail;
	}
	fj.job = *job;
	fj.dir = xasprintf("%s/%s", c->backup_dir, job->name);
	fj.password = pw;
	fj.started = w->started;
	fj.first_run = sl->last_code == -1;
	fj.file_mode = (uint32_t)c->file_mode;
	fj.heartbeat_interval = (uint32_t)c->heartbeat_interval;
	fj.heartbeat_timeout = (uint32_t)c->heartbeat_timeout;
	if (sl->maint) {
		/* maint: "verify:JOB", "prune:JOB" in CAIRN_FAULT */
		char	*key = xasprintf("%s:%s", conf_kind_name(job->kind),
			    job->name);

		fj.fault = sup_fault_for(key, sl->attempt);
		free(key);
	} else
		fj.fault = sup_fault_for(job->name, sl->attempt);
	fj.retention = c->retention;
	fj.verify_restore_test = c->verify.restore_test;
	buf = xmalloc(FRAME_MAX_PAYLOAD);
	n = frame_encode_job(buf, FRAME_MAX_PAYLOAD, &fj);
	free(fj.dir);
	sup_s3_wipe(&fj.s3);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	if (fj.age_identity != NULL) {
		explicit_bzero(fj.age_identity, strlen(fj.age_identity));
		free(fj.age_identity);
	}
	if (n == -1) {
		n = FRAME_MAX_PAYLOAD;
		snprintf(cause, sizeof(cause),
		    "job description too large for one frame");
		goto fail;
	}
	if ((w->pid = sup_fork_worker(SOCK_STREAM, WORKER_FLAG, &chanfd)) == -1) {
		snprintf(cause, sizeof(cause), "cannot start a worker: %s",
		    strerror(errno));
		goto fail;
	}
	w->chan = chan_new(chanfd, FRAME_TO_SUP, 0);
	hello.proto = CAIRN_PROTO_VERSION;
	hello.pid = (uint32_t)getpid();
	hello.gen = w->gen;
	{
		unsigned char	 hb[16];
		ssize_t		 hn = frame_encode_hello(hb, sizeof(hb), &hello);

		chan_queue(w->chan, MSG_HELLO, w->gen, hb, (size_t)hn, -1);
	}
	chan_queue(w->chan, MSG_JOB, w->gen, buf, (size_t)n, dirfd);
	if (sl->maint)
		maint_spawned(s->maint, w);	/* its items, then END */
	/* the password is in the chan's buffer until flushed; wipe ours */
	explicit_bzero(buf, (size_t)n);
	free(buf);
	if (chan_flush(w->chan) == -1)
		log_warn("%s: worker %ld: write", job->name, (long)w->pid);
	w->deadline = now_ms() + SUP_HELLO_TIMEOUT_MS;
	log_info("%s: started worker %ld (gen %u, attempt %u%s%s)", job->name,
	    (long)w->pid, w->gen, sl->attempt,
	    fj.fault != FAULT_NONE ? ", fault " : "",
	    fj.fault != FAULT_NONE ? frame_fault_name(fj.fault) : "");
	sup_audit(s, "job-started", AF_STR("job", job->name),
	    AF_STR("kind", conf_kind_name(job->kind)), AF_UINT("gen", w->gen),
	    AF_UINT("attempt", sl->attempt), AF_INT("pid", w->pid),
	    AF_UINT("workers", (uint64_t)s->nrunning));
	sup_status(s);
	return;
fail:
	/* the one way out before a worker exists: the slot reaps it */
	if (buf != NULL) {
		explicit_bzero(buf, (size_t)n);	/* it may hold the password */
		free(buf);
	}
	if (dirfd != -1)
		close(dirfd);
	sup_worker_fail(w, "%s", cause);
	w->reaped = 1;
}

/* -- failing, killing -------------------------------------------------- */

static void
sup_worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list	 ap;

	if (w->cause[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->cause, sizeof(w->cause), fmt, ap);
	va_end(ap);
}

static void
sup_worker_signal(struct sup *s, struct worker *w, int sig, const char *why)
{
	if (w->reaped || w->pid <= 0)
		return;
	if (sig == SIGKILL) {
		if (w->kill_sent)
			return;
		w->kill_sent = 1;
		sup_audit(s, "job-killed", AF_STR("job", w->job->name),
		    AF_UINT("gen", w->gen), AF_INT("pid", w->pid),
		    AF_STR("signal", "KILL"), AF_STR("reason", why));
		log_warnx("%s: killing worker %ld (%s)", w->job->name,
		    (long)w->pid, why);
	} else {
		if (w->term_sent)
			return;
		w->term_sent = 1;
		w->kill_at = now_ms() + sup_kill_grace_ms(w->ref->conf);
		log_warnx("%s: stopping worker %ld (%s)", w->job->name,
		    (long)w->pid, why);
	}
	/*
	 * The worker leads its own process group once sandboxed: signal the
	 * group (helpers it started too) and the process itself (before
	 * setpgid).  SIGCONT lets a stopped worker see its SIGTERM.
	 */
	(void)kill(-w->pid, sig);
	(void)kill(w->pid, sig);
	if (sig == SIGTERM)
		(void)kill(w->pid, SIGCONT);
}

static void
sup_violation(struct sup *s, struct worker *w, const char *why)
{
	if (w->violation)
		return;
	w->violation = 1;
	sup_worker_fail(w, "protocol violation: %s", why);
	log_warnx("%s: worker %ld broke protocol: %s", w->job->name,
	    (long)w->pid, why);
	sup_audit(s, "protocol-violation", AF_STR("job", w->job->name),
	    AF_UINT("gen", w->gen), AF_INT("pid", w->pid),
	    AF_STR("reason", why));
	sup_worker_signal(s, w, SIGKILL, "protocol violation");
}

/* -- frames from a worker ---------------------------------------------- */

/* Log lines from a worker are untrusted text: one line, printable. */
static void
sup_clean_text(char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			*t = '?';
}

static void
sup_frame(struct sup *s, struct worker *w, const struct frame_hdr *h,
    const unsigned char *p)
{
	struct msg_hello	 hello;
	struct msg_log		 lm;
	size_t			 n;
	const char		*prefix;

	if (h->gen != w->gen) {
		/* gossip from another run: ignore it */
		log_debug("%s: ignoring %s from gen %u (current %u)",
		    w->job->name, frame_type_name(h->type), h->gen, w->gen);
		return;
	}
	w->deadline = now_ms() + (int64_t)w->ref->conf->heartbeat_timeout *
	    1000;
	switch (h->type) {
	case MSG_HELLO:
		if (frame_decode_hello(p, h->len, &hello) == -1 ||
		    hello.gen != w->gen || (pid_t)hello.pid != w->pid) {
			sup_violation(s, w, "bad hello");
			return;
		}
		w->hello = 1;
		break;
	case MSG_HEARTBEAT:
		if (frame_decode_heartbeat(p, h->len, &w->progress) == -1)
			sup_violation(s, w, "bad heartbeat");
		break;
	case MSG_LOG:
		if (frame_decode_log(p, h->len, &lm) == -1) {
			sup_violation(s, w, "bad log frame");
			return;
		}
		sup_clean_text(lm.text);
		log_msg(lm.level, "%s[%ld]: %s", w->job->name, (long)w->pid,
		    lm.text);
		break;
	case MSG_ARTIFACT:
		if (w->job->kind != JOB_MYSQL && w->job->kind != JOB_SQLITE) {
			sup_violation(s, w, "artifact from a verify/prune job");
			return;
		}
		if (frame_decode_artifact(p, h->len, &w->artifact) == -1) {
			sup_violation(s, w, "bad artifact frame");
			return;
		}
		prefix = w->job->name;
		if (strncmp(w->artifact.name, prefix, strlen(prefix)) != 0 ||
		    strncmp(w->artifact.name + strlen(prefix), "_backup_", 8)
		    != 0) {
			sup_violation(s, w, "artifact name not of its job");
			return;
		}
		w->have_artifact = 1;
		break;
	case MSG_TABLES:
		w->tables = xreallocarray(w->tables,
		    w->ntables + FRAME_TABLES_PER_FRAME, sizeof(*w->tables));
		if (frame_decode_tables(p, h->len, w->tables + w->ntables,
		    FRAME_TABLES_PER_FRAME, &n) == -1) {
			sup_violation(s, w, "bad tables frame");
			return;
		}
		w->ntables += n;
		break;
	case MSG_DONE:
		if (frame_decode_done(p, h->len, &w->done) == -1) {
			sup_violation(s, w, "bad done frame");
			return;
		}
		sup_clean_text(w->done.message);
		w->have_done = 1;
		break;
	case MSG_RESULT:
		if (!w->slot->maint ||
		    maint_result(s->maint, w, p, h->len) == -1)
			sup_violation(s, w, "bad result frame");
		break;
	default:
		sup_violation(s, w, "unexpected frame");
		break;
	}
}

/* Reads and handles what the worker sent; at EOF the channel is closed. */
static void
sup_worker_input(struct sup *s, struct worker *w)
{
	struct frame_hdr	 h;
	const unsigned char	*p;
	ssize_t			 n;
	int			 r = 0;

	while (w->chan != NULL) {
		n = chan_read(w->chan);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n > 0) {
			while (!w->violation &&
			    (r = chan_get(w->chan, &h, &p)) == 1)
				sup_frame(s, w, &h, p);
			if (!w->violation && r == -1)
				sup_violation(s, w, chan_error(w->chan));
			if (!w->violation)
				continue;
		} else if (n == -1 && !w->violation)
			log_warn("%s: worker %ld: read", w->job->name,
			    (long)w->pid);
		else if (n == 0 && !w->violation &&
		    chan_pending_in(w->chan) > 0 && w->have_done)
			sup_violation(s, w, "truncated frame");
		/* end of file, an error or a violation: stop listening */
		chan_free(w->chan);
		w->chan = NULL;
	}
}

/* -- the end of a run -------------------------------------------------- */

/* Is what the worker claims about its artifact true on disk? */
static int
sup_check_artifact(struct sup *s, struct worker *w)
{
	struct stat	 st;
	char		*rel;
	int		 r;

	rel = xasprintf("%s/%s", w->job->name, w->artifact.name);
	r = fstatat(s->boot->backup_dirfd, rel, &st, AT_SYMLINK_NOFOLLOW);
	free(rel);
	if (r == -1) {
		sup_worker_fail(w, "artifact %s: %s", w->artifact.name,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != w->artifact.stored_bytes) {
		sup_worker_fail(w, "artifact %s: %llu bytes on disk, worker "
		    "said %llu", w->artifact.name,
		    (unsigned long long)st.st_size,
		    (unsigned long long)w->artifact.stored_bytes);
		return -1;
	}
	return 0;
}

/* The catalog row for a checked artifact; 0 and *idp, or -1 (logged). */
static int
sup_catalog_add(struct sup *s, struct worker *w, int64_t *idp)
{
	struct job_result	 res;

	*idp = 0;
	if (s->boot->catalog == NULL)
		return 0;
	memset(&res, 0, sizeof(res));
	snprintf(res.artifact, sizeof(res.artifact), "%s", w->artifact.name);
	res.info.raw_bytes = w->artifact.raw_bytes;
	res.info.stored_bytes = w->artifact.stored_bytes;
	memcpy(res.info.sha256, w->artifact.sha256, sizeof(res.info.sha256));
	util_hex(res.info.sha256_hex, res.info.sha256,
	    sizeof(res.info.sha256));
	res.tables = w->tables;		/* borrowed */
	res.ntables = w->ntables;
	if (catalog_add(s->boot->catalog, w->job->name, w->job->kind,
	    w->started, (time_t)w->artifact.finished, &res, idp) == -1) {
		log_warnx("catalog: %s: %s", w->artifact.name,
		    catalog_error(s->boot->catalog));
		sup_catalog_fault(s->boot, catalog_error(s->boot->catalog));
		return -1;
	}
	return 0;
}

static void
sup_catalog_run(struct sup *s, struct worker *w, int code, int64_t art_id)
{
	struct catalog_run	 run;

	if (s->boot->catalog == NULL)
		return;
	memset(&run, 0, sizeof(run));
	/* a verify or prune run is not the job's last run (status, metrics) */
	if (w->slot->maint)
		snprintf(run.job, sizeof(run.job), "%s:%s",
		    conf_kind_name(w->job->kind), w->job->name);
	else
		snprintf(run.job, sizeof(run.job), "%s", w->job->name);
	run.started = w->started;
	run.finished = time(NULL);
	run.code = code;
	run.attempt = (int)w->slot->attempt;
	snprintf(run.message, sizeof(run.message), "%s",
	    code == CAIRN_E_OK ? "ok" : w->cause);
	run.artifact_id = art_id;
	if (catalog_run_add(s->boot->catalog, &run) == -1) {
		log_warnx("catalog: run of %s: %s", w->job->name,
		    catalog_error(s->boot->catalog));
		sup_catalog_fault(s->boot, catalog_error(s->boot->catalog));
	}
}

static int64_t
sup_record_artifact(struct sup *s, struct worker *w)
{
	char	 sha[65];
	int64_t	 id;

	util_hex(sha, w->artifact.sha256, sizeof(w->artifact.sha256));
	(void)sup_catalog_add(s, w, &id);
	sup_audit(s, "artifact-written", AF_STR("job", w->job->name),
	    AF_UINT("gen", w->gen), AF_STR("artifact", w->artifact.name),
	    AF_UINT("raw_bytes", w->artifact.raw_bytes),
	    AF_UINT("stored_bytes", w->artifact.stored_bytes),
	    AF_STR("sha256", sha), AF_UINT("tables", w->ntables));
	return id;
}

static int
sup_outcome(struct sup *s, struct worker *w)
{
	int	 st = w->status, code;

	if (w->violation)
		return CAIRN_E_PROTOCOL;
	if (w->timed_out || w->shutdown_kill)
		return CAIRN_E_TEMPFAIL;
	if (w->pid <= 0)
		return CAIRN_E_OSERR;		/* it never started */
	if (w->cause[0] != '\0')
		return CAIRN_E_SOFTWARE;
	if (WIFSIGNALED(st)) {
		sup_worker_fail(w, "killed by signal %d (SIG%s)%s",
		    WTERMSIG(st), sig_name(WTERMSIG(st)),
		    WTERMSIG(st) == SIGSYS ? ": forbidden system call" : "");
		return CAIRN_E_SOFTWARE;
	}
	code = WIFEXITED(st) ? WEXITSTATUS(st) : CAIRN_E_SOFTWARE;
	if (code != CAIRN_E_OK) {
		if (w->have_done && w->done.message[0] != '\0')
			sup_worker_fail(w, "%s", w->done.message);
		else
			sup_worker_fail(w, "exit %d (%s)", code,
			    cairn_strerror(code));
		return code;
	}
	if (!w->have_done) {
		sup_worker_fail(w, "exited without reporting");
		return CAIRN_E_PROTOCOL;
	}
	if (w->done.code != CAIRN_E_OK) {
		sup_worker_fail(w, "exit 0 but reported %u (%s)", w->done.code,
		    w->done.message);
		return CAIRN_E_PROTOCOL;
	}
	if ((w->job->kind == JOB_MYSQL || w->job->kind == JOB_SQLITE) &&
	    !w->have_artifact) {
		sup_worker_fail(w, "finished without an artifact");
		return CAIRN_E_PROTOCOL;
	}
	if (w->have_artifact && sup_check_artifact(s, w) == -1)
		return CAIRN_E_STORE;
	return CAIRN_E_OK;
}

static void
sup_worker_end(struct sup *s, struct worker *w)
{
	struct slot	*sl = w->slot;
	int		 code, retries;
	int64_t		 delay, secs, id = 0;
	unsigned	 attempt = sl->attempt;

	code = sup_outcome(s, w);
	secs = (now_ms() - w->started_ms) / 1000;
	/* a reload may have changed the job: the new settings apply */
	retries = sl->job != NULL ? sl->job->retries : 0;
	sl->w = NULL;
	sl->last_code = code;
	sl->last_end = time(NULL);
	s->nrunning--;

	if (code == CAIRN_E_OK) {
		if (w->have_artifact)
			id = sup_record_artifact(s, w);
		sup_catalog_run(s, w, code, id);
		log_info("%s: finished in %llds%s%s", w->job->name,
		    (long long)secs, w->have_artifact ? ": " : "",
		    w->have_artifact ? w->artifact.name : "");
		sup_audit(s, "job-finished", AF_STR("job", w->job->name),
		    AF_UINT("gen", w->gen), AF_UINT("attempt", sl->attempt),
		    AF_INT("code", 0), AF_INT("seconds", secs));
		sl->attempt = 0;
		sl->state = SLOT_IDLE;
		sl->done_once = 1;
		goto out;
	}

	sup_catalog_run(s, w, code, 0);
	sup_remove_partials(s, w->job->name, w->gen,
	    w->shutdown_kill ? "shutdown" : "failed run");
	log_warnx("%s: run failed (attempt %u of %d): %s", w->job->name,
	    sl->attempt, retries + 1, w->cause);
	sup_audit(s, "job-failed", AF_STR("job", w->job->name),
	    AF_UINT("gen", w->gen), AF_UINT("attempt", sl->attempt),
	    AF_INT("code", code), AF_STR("reason", w->cause),
	    AF_INT("signal", w->pid > 0 && WIFSIGNALED(w->status) ?
	    WTERMSIG(w->status) : 0));
	if (sched_retry(s->stopping, sl->job != NULL, sl->attempt, retries,
	    code)) {
		delay = sched_backoff_ms(s->retry_base_ms, SUP_RETRY_MAX_MS,
		    sl->attempt);
		sl->state = SLOT_BACKOFF;
		sl->retry_at = now_ms() + delay;
		log_info("%s: retrying in %lld ms", w->job->name,
		    (long long)delay);
		sup_audit(s, "job-retried", AF_STR("job", w->job->name),
		    AF_UINT("attempt", sl->attempt + 1),
		    AF_INT("delay_ms", delay));
	} else {
		sl->state = SLOT_IDLE;
		sl->attempt = 0;
		sl->done_once = 1;
		s->failed_runs++;
	}
out:
	alerts_run_end(s->alerts, sl, w, code, attempt,
	    sl->state != SLOT_BACKOFF, id);
	maint_end(s->maint, w, code, id);
	sup_ctl_run_end(s->ctl, sl, w, code, attempt);
	chan_free(w->chan);
	free(w->tables);
	conf_ref_drop(w->ref);
	free(w);
	if (sl->job == NULL && sl->state == SLOT_IDLE) {
		/* removed from the config while it ran */
		for (size_t i = 0; i < s->nslots; i++)
			if (s->slots[i] == sl) {
				memmove(s->slots + i, s->slots + i + 1,
				    (s->nslots - i - 1) * sizeof(*s->slots));
				s->nslots--;
				break;
			}
		free(sl->name);
		free(sl);
	}
	sup_status(s);
}

static struct worker *
sup_worker_by_pid(struct sup *s, pid_t pid)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i]->w != NULL && s->slots[i]->w->pid == pid)
			return s->slots[i]->w;
	return NULL;
}

static void
sup_reap(struct sup *s)
{
	struct worker	*w;
	pid_t		 pid;
	int		 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if ((w = sup_worker_by_pid(s, pid)) == NULL) {
			(void)alerts_reap(s->alerts, pid, st);
			continue;
		}
		w->status = st;
		w->reaped = 1;
		/* whatever it wrote before dying is in the socket: read it */
		sup_worker_input(s, w);
		sup_worker_end(s, w);
	}
}

/* -- reload ------------------------------------------------------------ */

/* SIGHUP: a rotated audit log is continued in a new file, chain intact. */
static void
sup_audit_reopen(struct sup *s)
{
	char	 err[512];
	int	 r;

	if (s->boot->audit == NULL)
		return;
	if ((r = audit_reopen(s->boot->audit, err, sizeof(err))) == -1)
		log_warnx("audit log: %s", err);
	else if (r == 1)
		log_info("audit log reopened: continued from seq %llu",
		    (unsigned long long)audit_seq(s->boot->audit) - 1);
}

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* 0, or -1 with the running conf kept; the outcome in out (may be NULL). */
int
sup_reload(struct sup *s, char *out, size_t outlen)
{
	struct conf	*nc, *oc = s->cur->conf;
	struct conf_ref	*ref;
	char		*errs = NULL, *line, *save;
	size_t		 errlen = 0;
	FILE		*fp;
	const char	*fixed = NULL;

	log_info("reloading %s", s->conf_path);
	if ((fp = open_memstream(&errs, &errlen)) == NULL)
		fatal("open_memstream");
	nc = conf_load_held(s->conf_path, fp, sup_secret_held, s->boot);
	fclose(fp);
	if (nc != NULL) {
		/* what start-up opened as root cannot change now */
		if (str_differs(nc->backup_dir, oc->backup_dir))
			fixed = "backup_dir";
		else if (str_differs(nc->user, oc->user))
			fixed = "user";
		else if (str_differs(nc->group, oc->group))
			fixed = "group";
		else if (str_differs(nc->audit_log, oc->audit_log))
			fixed = "audit_log";
		else if (str_differs(nc->log_file, oc->log_file))
			fixed = "log_file";
		if (fixed != NULL) {
			free(errs);
			errs = xasprintf("%s: %s cannot change on reload "
			    "(restart cairnd)", s->conf_path, fixed);
			conf_free(nc);
			nc = NULL;
		}
	}
	if (nc == NULL) {
		for (line = strtok_r(errs, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("reload: %s", line);
		log_warnx("reload failed, keeping the running configuration");
		sup_audit(s, "reload-failed", AF_STR("config", s->conf_path),
		    AF_STR("error", errs != NULL && errs[0] != '\0' ? errs :
		    "unknown error"));
		if (out != NULL)
			snprintf(out, outlen, "reload failed, running "
			    "configuration kept: %s", errs != NULL &&
			    errs[0] != '\0' ? errs : "unknown error");
		free(errs);
		return -1;
	}
	free(errs);
	ref = xcalloc(1, sizeof(*ref));
	ref->conf = nc;
	ref->refs = 1;
	conf_ref_drop(s->cur);
	s->cur = ref;
	sup_slots_sync(s, time(NULL), 0);
	log_info("reloaded %s: %zu jobs", s->conf_path, nc->njobs);
	sup_audit(s, "reload", AF_STR("config", s->conf_path),
	    AF_UINT("jobs", nc->njobs));
	sup_status(s);
	sup_ctl_metrics(s->ctl);
	if (out != NULL)
		snprintf(out, outlen, "reloaded %s: %zu job%s", s->conf_path,
		    nc->njobs, nc->njobs == 1 ? "" : "s");
	return 0;
}

/* -- ctl_ops.c's view -------------------------------------------------- */

int
sup_running(const struct sup *s)
{
	return s->nrunning;
}

int
sup_stopping(const struct sup *s)
{
	return s->stopping;
}

struct sup_boot *
sup_boot(struct sup *s)
{
	return s->boot;
}

struct alerts *
sup_alerts(struct sup *s)
{
	return s->alerts;
}

struct maint *
sup_maint(struct sup *s)
{
	return s->maint;
}

void
sup_metrics(struct sup *s)
{
	sup_ctl_metrics(s->ctl);
}

/* -- timers ------------------------------------------------------------ */

static void
sup_timers(struct sup *s)
{
	const struct conf	*c = s->cur->conf;
	struct slot		*sl, *next;
	struct worker		*w;
	const char		*skip;
	time_t			 now = time(NULL);
	int64_t			 ms = now_ms();

	for (size_t i = 0; i < s->nslots; i++) {
		sl = s->slots[i];
		w = sl->w;
		if (w != NULL && !w->reaped) {
			if (!w->term_sent && !w->kill_sent &&
			    ms >= w->deadline) {
				w->timed_out = 1;
				sup_worker_fail(w, w->hello ?
				    "heartbeat timeout (silent for %ds)" :
				    "no hello within %ds", w->hello ?
				    w->ref->conf->heartbeat_timeout :
				    SUP_HELLO_TIMEOUT_MS / 1000);
				sup_audit(s, "worker-heartbeat-timeout",
				    AF_STR("job", sl->name),
				    AF_UINT("gen", w->gen),
				    AF_INT("pid", w->pid),
				    AF_INT("timeout", w->hello ?
				    w->ref->conf->heartbeat_timeout :
				    SUP_HELLO_TIMEOUT_MS / 1000));
				sup_worker_signal(s, w, SIGTERM,
				    "heartbeat timeout");
			}
			if (w->term_sent && !w->kill_sent && ms >= w->kill_at)
				sup_worker_signal(s, w, SIGKILL,
				    w->timed_out ? "heartbeat timeout" :
				    "did not stop");
		}
		if (s->stopping)
			continue;
		if (sl->next_fire != -1 && now >= sl->next_fire) {
			sup_audit(s, "job-scheduled", AF_STR("job", sl->name),
			    AF_STR("reason", "cron"));
			if ((skip = sched_skip_reason(sl->state)) != NULL) {
				log_warnx("%s: due but still %s: skipped",
				    sl->name, skip);
				sup_audit(s, "job-skipped",
				    AF_STR("job", sl->name),
				    AF_STR("reason", skip));
			} else
				sup_enqueue(s, sl);
			sup_slot_schedule(s, sl, now);
		}
		if (sl->state == SLOT_BACKOFF && ms >= sl->retry_at)
			sup_enqueue(s, sl);
	}
	if (s->stopping)
		return;
	maint_timers(s->maint, now);
	alerts_timers(s->alerts);
	/* start queued runs, oldest first, while there is room */
	while (sched_has_room(s->nrunning, c->max_workers)) {
		if ((next = sched_pick_next(s->slots, s->nslots)) == NULL)
			break;
		sup_spawn(s, next);
		if (next->w != NULL && next->w->reaped)
			sup_worker_end(s, next->w);	/* failed to start */
	}
}

/* Milliseconds until the next thing the loop must do. */
static int
sup_next_wait(struct sup *s)
{
	struct timespec	 ts;
	int64_t		 ms = now_ms(), wall, best = SUP_MAX_WAIT_MS, d;
	struct slot	*sl;
	struct worker	*w;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#define CONSIDER(x)	do { d = (x); if (d < best) best = d; } while (0)
	for (size_t i = 0; i < s->nslots; i++) {
		sl = s->slots[i];
		if ((w = sl->w) != NULL && !w->reaped) {
			if (!w->term_sent)
				CONSIDER(w->deadline - ms);
			else if (!w->kill_sent)
				CONSIDER(w->kill_at - ms);
		}
		if (s->stopping)
			continue;
		if (sl->next_fire != -1)
			CONSIDER((int64_t)sl->next_fire * 1000 - wall);
		if (sl->state == SLOT_BACKOFF)
			CONSIDER(sl->retry_at - ms);
		if (sl->state == SLOT_QUEUED &&
		    sched_has_room(s->nrunning, s->cur->conf->max_workers))
			CONSIDER(0);
	}
	/* once past it every worker got SIGKILL: wait for SIGCHLD alone */
	if (s->stopping && s->stop_deadline > ms)
		CONSIDER(s->stop_deadline - ms);
	else
		CONSIDER(maint_wait_ms(s->maint, wall));
	if (s->watchdog_ms > 0)
		CONSIDER(s->watchdog_next - ms);
	if ((d = alerts_wait_ms(s->alerts)) >= 0)
		CONSIDER(d);
#undef CONSIDER
	return best < 0 ? 0 : (int)best;
}

/* -- -o: is the cycle over? -------------------------------------------- */

static int
sup_once_done(struct sup *s)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i]->state != SLOT_IDLE || !s->slots[i]->done_once)
			return 0;
	return 1;
}

/* -- shutdown ---------------------------------------------------------- */

static void
sup_stop_begin(struct sup *s, int sig)
{
	if (s->stopping) {
		/* a second signal: do not wait any longer */
		s->stop_deadline = now_ms();
		return;
	}
	s->stopping = 1;
	s->stop_deadline = now_ms() +
	    (int64_t)s->cur->conf->shutdown_timeout * 1000;
	log_info("SIG%s: stopping, %d worker%s running", sig_name(sig),
	    s->nrunning, s->nrunning == 1 ? "" : "s");
	sup_notify("STOPPING=1");
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i]->state == SLOT_QUEUED ||
		    s->slots[i]->state == SLOT_BACKOFF)
			s->slots[i]->state = SLOT_IDLE;
}

static void
sup_stop_check(struct sup *s)
{
	struct worker	*w;

	if (now_ms() < s->stop_deadline)
		return;
	for (size_t i = 0; i < s->nslots; i++)
		if ((w = s->slots[i]->w) != NULL && !w->reaped) {
			w->shutdown_kill = 1;
			sup_worker_fail(w, "killed at shutdown");
			sup_worker_signal(s, w, SIGKILL, "shutdown timeout");
		}
}

/* -- the loop ---------------------------------------------------------- */

static int
sup_signals_open(void)
{
	sigset_t	 set;
	int		 fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd;
}

static void
sup_signals_read(struct sup *s, int *chld, int *hup, int *term)
{
	struct signalfd_siginfo	 si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			*chld = 1;
			break;
		case SIGHUP:
			*hup = 1;
			break;
		default:
			*term = (int)si.ssi_signo;
			break;
		}
	}
}

/*
 * Fill pfd: the signal fd first, then one entry per listening worker
 * (ws[] gets the worker of each), then the control socket's *nctl entries
 * from *ctl_first on.
 */
static nfds_t
sup_pollfds(struct sup *s, struct pollfd *pfd, struct worker **ws,
    size_t max, size_t *ctl_first, size_t *nctl, size_t *nal)
{
	nfds_t		 n = 0;
	struct worker	*w;

	pfd[n].fd = s->sigfd;
	pfd[n].events = POLLIN;
	ws[n++] = NULL;
	for (size_t i = 0; i < s->nslots && n < max; i++) {
		if ((w = s->slots[i]->w) == NULL || w->chan == NULL)
			continue;
		pfd[n].fd = chan_fd(w->chan);
		pfd[n].events = POLLIN |
		    (chan_want_write(w->chan) ? POLLOUT : 0);
		ws[n++] = w;
	}
	/* the notifier worker's socket, then the control socket */
	*nal = alerts_pollfds(s->alerts, pfd + n, max - n);
	for (size_t k = 0; k < *nal; k++)
		ws[n++] = NULL;
	*ctl_first = n;
	*nctl = sup_ctl_pollfds(s->ctl, pfd + n, max - n);
	for (size_t k = 0; k < *nctl; k++)
		ws[n++] = NULL;
	return n;
}

int
sup_run(const char *conf_path, struct conf *conf, struct sup_boot *boot,
    int once)
{
	struct sup	 sup, *s = &sup;
	struct pollfd	*pfd;
	struct worker	**ws;
	size_t		 cap, ctl_first, nctl, nal;
	nfds_t		 n;
	const char	*env;
	int		 chld, hup, term, rc, wait, cw;

	memset(s, 0, sizeof(*s));
	s->conf_path = conf_path;
	s->boot = boot;
	s->once = once;
	s->cur = xcalloc(1, sizeof(*s->cur));
	s->cur->conf = conf;
	s->cur->refs = 1;
	s->retry_base_ms = SUP_RETRY_BASE_MS;
	if ((env = getenv("CAIRN_RETRY_BASE_MS")) != NULL && atoi(env) > 0)
		s->retry_base_ms = atoi(env);
	if ((s->sigfd = sup_signals_open()) == -1)
		fatal("signalfd");
	if (notify_watchdog_usec() > 0) {
		/* WATCHDOG=1 at half the interval systemd expects */
		s->watchdog_ms = (int64_t)(notify_watchdog_usec() / 2000);
		if (s->watchdog_ms < 1)
			s->watchdog_ms = 1;
		s->watchdog_next = now_ms() + s->watchdog_ms;
	}
	s->maint = maint_new(s, boot, once);
	s->alerts = alerts_new(s, boot);
	sup_slots_sync(s, time(NULL), 1);
	alerts_daemon(s->alerts, 1, once ? "one cycle (-o)" : "running");
	s->ctl = sup_ctl_attach(boot->ctl, s);
	boot->ctl = NULL;
	sup_ctl_metrics(s->ctl);
	sup_notify("READY=1");
	sup_status(s);

	cap = 0;
	pfd = NULL;
	ws = NULL;
	for (;;) {
		if (cap < s->nslots + 3 + CTL_MAX_CONN + 1) {
			cap = s->nslots + 9 + CTL_MAX_CONN + 1;
			pfd = xreallocarray(pfd, cap, sizeof(*pfd));
			ws = xreallocarray(ws, cap, sizeof(*ws));
		}
		n = sup_pollfds(s, pfd, ws, cap, &ctl_first, &nctl, &nal);
		wait = sup_next_wait(s);
		if ((cw = sup_ctl_wait_ms(s->ctl)) != -1 && cw < wait)
			wait = cw;
		if (poll(pfd, n, wait) == -1 && errno != EINTR)
			fatal("poll");

		chld = hup = term = 0;
		if (pfd[0].revents & POLLIN)
			sup_signals_read(s, &chld, &hup, &term);
		for (nfds_t i = 1; i < n; i++) {
			if (ws[i] == NULL || ws[i]->chan == NULL)
				continue;
			if (pfd[i].revents & POLLOUT)
				(void)chan_flush(ws[i]->chan);
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				sup_worker_input(s, ws[i]);
		}
		alerts_dispatch(s->alerts, pfd + ctl_first - nal, nal);
		/* cairnctl: may queue runs (started below) or reload */
		sup_ctl_dispatch(s->ctl, pfd + ctl_first, nctl);
		if (term)
			sup_stop_begin(s, term);
		if (chld)
			sup_reap(s);
		if (hup && !s->stopping) {
			sup_audit_reopen(s);
			(void)sup_reload(s, NULL, 0);
		}
		if (s->stopping)
			sup_stop_check(s);
		sup_timers(s);
		sup_ctl_sweep(s->ctl);
		if (s->watchdog_ms > 0 && now_ms() >= s->watchdog_next) {
			sup_notify("WATCHDOG=1");
			s->watchdog_next = now_ms() + s->watchdog_ms;
		}
		if (s->stopping && s->nrunning == 0)
			break;
		if (s->once && s->nrunning == 0 && sup_once_done(s))
			break;
	}

	rc = CAIRN_E_OK;
	if (s->once && (s->stopping || s->failed_runs > 0 ||
	    maint_failures(s->maint) > 0))
		rc = CAIRN_E_FAIL;
	log_info("stopped (%s); at most %d worker%s ran at once",
	    s->once ? (rc == 0 ? "all jobs succeeded" : "some jobs failed") :
	    "signal", s->max_seen, s->max_seen == 1 ? "" : "s");
	sup_audit(s, "stop", AF_STR("reason", s->stopping ? "signal" :
	    "cycle done"), AF_INT("code", rc),
	    AF_UINT("max_workers_seen", (uint64_t)s->max_seen));
	alerts_daemon(s->alerts, 0, s->stopping ? "signal" : rc == 0 ?
	    "cycle done" : "cycle done, some jobs failed");
	alerts_drain(s->alerts);
	free(pfd);
	free(ws);
	sup_ctl_free(s->ctl);
	for (size_t i = 0; i < s->nslots; i++) {
		free(s->slots[i]->name);
		free(s->slots[i]);
	}
	free(s->slots);
	maint_free(s->maint);
	alerts_free(s->alerts);
	conf_ref_drop(s->cur);
	close(s->sigfd);
	return rc;
}
