/*
 * spawn.c -- starting a worker: the secrets it is handed, the fork and
 * re-exec, the JOB and HELLO frames that tell it what to do.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "sup_int.h"

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
bool
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

int
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

/*
 * The JOB frame for w's run into buf (FRAME_MAX_PAYLOAD bytes): the job,
 * its password (pw, may be NULL) and the secrets its kind needs, read now.
 * The copies of the secrets are wiped here; buf holds them once encoded.
 * Returns the frame's length and the CAIRN_FAULT mode in *fault, or -1
 * with the cause.
 */
static ssize_t
spawn_job_frame(struct sup *s, struct worker *w, char *pw,
    unsigned char *buf, uint32_t *fault, char *cause, size_t causelen)
{
	const struct conf	*c = s->cur->conf;
	const struct job_conf	*job = w->job;
	struct slot		*sl = w->slot;
	struct frame_job	 fj;
	ssize_t			 n;

	memset(&fj, 0, sizeof(fj));
	if (job->kind == JOB_VERIFY && job->age_identity_file != NULL &&
	    (fj.age_identity = sup_read_secret(s,
	    job->age_identity_file)) == NULL) {
		/* verify still checks the header, size and SHA-256 */
		log_warn("age identity file %s", job->age_identity_file);
	}
	if (job->kind == JOB_UPLOAD && sup_s3_fill(s, c, job, &fj.s3,
	    cause, causelen) == -1) {
		sup_s3_wipe(&fj.s3);
		return -1;
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
	n = frame_encode_job(buf, FRAME_MAX_PAYLOAD, &fj);
	free(fj.dir);
	sup_s3_wipe(&fj.s3);
	if (fj.age_identity != NULL) {
		explicit_bzero(fj.age_identity, strlen(fj.age_identity));
		free(fj.age_identity);
	}
	*fault = fj.fault;
	if (n == -1)
		snprintf(cause, causelen,
		    "job description too large for one frame");
	return n;
}

/* HELLO, then JOB with the job's folder, on a new worker's channel. */
static void
spawn_hello(struct worker *w, const unsigned char *job, size_t n, int dirfd)
{
	struct msg_hello	 hello;
	unsigned char		 hb[16];
	ssize_t			 hn;

	hello.proto = CAIRN_PROTO_VERSION;
	hello.pid = (uint32_t)getpid();
	hello.gen = w->gen;
	hn = frame_encode_hello(hb, sizeof(hb), &hello);
	chan_queue(w->chan, MSG_HELLO, w->gen, hb, (size_t)hn, -1);
	chan_queue(w->chan, MSG_JOB, w->gen, job, n, dirfd);
}

/* The slot's next attempt: a new worker, counted running, no process yet. */
static struct worker *
spawn_worker_new(struct sup *s, struct slot *sl)
{
	struct worker	*w;

	sl->attempt++;
	w = xcalloc(1, sizeof(*w));
	w->slot = sl;
	w->ref = s->cur;
	w->ref->refs++;
	w->job = sl->job;
	w->gen = ++s->next_gen;
	w->started = time(NULL);
	w->started_ms = now_ms();
	sl->w = w;
	sl->state = SLOT_RUNNING;
	s->nrunning++;
	if (s->nrunning > s->max_seen)
		s->max_seen = s->nrunning;
	return w;
}

void
sup_spawn(struct sup *s, struct slot *sl)
{
	const struct conf	*c = s->cur->conf;
	const struct job_conf	*job = sl->job;
	struct worker		*w;
	unsigned char		*buf = NULL;
	ssize_t			 n = FRAME_MAX_PAYLOAD;
	uint32_t		 fault = FAULT_NONE;
	int			 dirfd, chanfd;
	char			*pw = NULL, cause[512];

	w = spawn_worker_new(s, sl);
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
	buf = xmalloc(FRAME_MAX_PAYLOAD);
	n = spawn_job_frame(s, w, pw, buf, &fault, cause, sizeof(cause));
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	if (n == -1) {
		n = FRAME_MAX_PAYLOAD;
		goto fail;
	}
	if ((w->pid = sup_fork_worker(SOCK_STREAM, WORKER_FLAG, &chanfd)) == -1) {
		snprintf(cause, sizeof(cause), "cannot start a worker: %s",
		    strerror(errno));
		goto fail;
	}
	w->chan = chan_new(chanfd, FRAME_TO_SUP, 0);
	spawn_hello(w, buf, (size_t)n, dirfd);
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
	    fault != FAULT_NONE ? ", fault " : "",
	    fault != FAULT_NONE ? frame_fault_name(fault) : "");
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
