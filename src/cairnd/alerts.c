/*
 * alerts.c -- the supervisor's side of alerting (docs/alerts.md).
 *
 * It keeps, per job, which problems are on (a failed job, a failed
 * verification, staleness, a size drop) and raises an alert when one turns
 * on and a "recovered" alert when it turns off: one alert per job per
 * change of state, repeated every repeat_interval while the problem lasts.
 * Every alert is audited.  Deliveries are queued (bounded: the oldest is
 * dropped, counted and audited) and handed one at a time to the notifier
 * worker (src/worker/job_notify.c, re-executed "cairnd -N", sandboxed),
 * which does the network or the command and answers with the outcome.
 * Nothing here ever waits for a receiver: a slow or dead one only makes
 * the queue longer.
 *
 * The channel is a SOCK_SEQPACKET socket pair: one record per message,
 * fields separated by NUL bytes (job_notify.c parses them).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/alert.h"
#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "alerts.h"
#include "cairn/worker.h"
#include "sup_api.h"

#define ALERTS_RESPAWN_MS	5000	/* between notifier worker starts */
#define ALERTS_HEADERS_MAX	8192	/* bytes of a headers_file */
#define ALERTS_RECORD_MAX	65536
#define ALERTS_DRAIN_MS		10000	/* at stop: at most this long */

/* The problems a job can have; each is an alert event. */
static const enum alert_event problems[] = {
	ALERT_JOB_FAILED, ALERT_VERIFY_FAILED, ALERT_STALE, ALERT_SIZE_DROP,
	ALERT_UPLOAD_FAILED,
};
#define NPROBLEMS	(sizeof(problems) / sizeof(problems[0]))

struct ajob {
	char		*name;
	const struct job_conf *job;	/* in the current conf; NULL: gone */
	int		 on[NPROBLEMS];
	time_t		 sent[NPROBLEMS];	/* last alert (first or repeat) */
	struct alert	 last[NPROBLEMS];	/* for the repeats */
	uint64_t	 failures;	/* consecutive failed runs */
	uint64_t	 verify_failures;
	time_t		 newest_verified;	/* 0: none */
	int64_t		 stale_after;	/* effective seconds, 0 off */
};

/* One delivery: an alert to one notifier. */
struct delivery {
	uint64_t	 id;
	char		*notifier;
	char		*json;
	enum alert_event event;
	char		 job[65];
};

struct alerts {
	struct sup	*sup;
	struct sup_boot	*boot;
	const struct conf *conf;	/* current */
	struct ajob	**jobs;
	size_t		 njobs;
	uint64_t	 next_id;
	time_t		 started;
	uint64_t	 dropped;	/* deliveries lost: queue full, rate */
	/* the rate limit: alerts raised in the current hour */
	time_t		 window;
	int		 in_window;
	/* the queue, oldest first; q[0] is in flight when busy */
	struct delivery	*q;
	size_t		 nq;
	int		 busy;
	/* the notifier worker */
	pid_t		 pid;
	int		 fd;
	int64_t		 spawn_at;	/* monotonic ms of the next try */
	int		 stopping;
	/* cairnctl notify test: who waits for which id */
	alerts_test_fn	 test_fn;
	void		*test_arg;
};

#define alerts_audit(a, ev, ...) do {					\
	if ((a)->boot->audit != NULL &&					\
	    audit_write((a)->boot->audit, (ev), __VA_ARGS__) == -1)	\
		log_warn("audit %s", (ev));				\
} while (0)

/* -- the clock (fault injection moves it for the staleness tests) ------ */

static time_t
alerts_now(void)
{
	time_t	 now = time(NULL);
#ifdef CAIRN_FAULT_INJECTION
	const char	*f = getenv("CAIRN_FAULT_CLOCK_FILE");
	char		 buf[32];
	ssize_t		 n;
	int		 fd;

	if (f != NULL && (fd = open(f, O_RDONLY | O_CLOEXEC)) != -1) {
		if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			now += strtoll(buf, NULL, 10);
		}
		close(fd);
	}
#endif
	return now;
}

/* -- jobs -------------------------------------------------------------- */

static struct ajob *
alerts_job(struct alerts *a, const char *name)
{
	for (size_t i = 0; i < a->njobs; i++)
		if (strcmp(a->jobs[i]->name, name) == 0)
			return a->jobs[i];
	return NULL;
}

static size_t
problem_index(enum alert_event e)
{
	for (size_t i = 0; i < NPROBLEMS; i++)
		if (problems[i] == e)
			return i;
	return 0;
}

/* The newest verified artifact's end, and the bytes of the newest
 * verified one other than skip_id (for the size check). */
static time_t
alerts_catalog(struct alerts *a, const char *job, int64_t skip_id,
    int64_t *prev_raw)
{
	struct artifact	*v = NULL;
	size_t		 n = 0;
	time_t		 newest = 0;

	if (prev_raw != NULL)
		*prev_raw = -1;
	if (a->boot->catalog == NULL ||
	    catalog_list(a->boot->catalog, job, &v, &n) == -1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].status != ART_OK)
			continue;
		if (newest == 0)
			newest = v[i].finished > 0 ? v[i].finished :
			    v[i].started;
		if (prev_raw != NULL && *prev_raw < 0 && v[i].id != skip_id &&
		    v[i].raw_bytes > 0)
			*prev_raw = (int64_t)v[i].raw_bytes;
	}
	free(v);
	return newest;
}

/* stale_after, or its default: twice the schedule's period plus an hour. */
static int64_t
alerts_stale_after(const struct conf *c, const struct job_conf *job,
    time_t now)
{
	time_t	 x, y;
	int64_t	 period = 0;

	if (job->stale_after >= 0)
		return job->stale_after;
	if ((x = cron_next(&job->cron, now, c->timezone)) <= 0)
		return 0;
	for (int i = 0; i < 8; i++, x = y) {
		if ((y = cron_next(&job->cron, x, c->timezone)) <= x)
			break;
		if (y - x > period)
			period = y - x;
	}
	return period > 0 ? 2 * period + 3600 : 0;
}

/* -- the queue --------------------------------------------------------- */

static void
delivery_free(struct delivery *d)
{
	free(d->notifier);
	free(d->json);
}

static void
alerts_drop_oldest(struct alerts *a, const char *why)
{
	size_t	 i = a->busy ? 1 : 0;	/* never the one in flight */

	if (i >= a->nq)
		return;
	a->dropped++;
	log_warnx("alert %llu to %s dropped: %s",
	    (unsigned long long)a->q[i].id, a->q[i].notifier, why);
	alerts_audit(a, "alert-dropped", AF_UINT("id", a->q[i].id),
	    AF_STR("notifier", a->q[i].notifier), AF_STR("reason", why),
	    AF_UINT("dropped", a->dropped));
	if (a->q[i].event == ALERT_TEST && a->test_fn != NULL) {
		alerts_test_fn	 fn = a->test_fn;

		a->test_fn = NULL;
		fn(a->test_arg, 0, a->q[i].notifier, why);
	}
	delivery_free(&a->q[i]);
	memmove(a->q + i, a->q + i + 1, (a->nq - i - 1) * sizeof(*a->q));
	a->nq--;
}

static void
alerts_enqueue(struct alerts *a, const struct alert *al, const char *name)
{
	struct delivery	*d;

	while (a->nq > 0 && a->nq >= (size_t)a->conf->alert_queue &&
	    a->nq > (size_t)a->busy)
		alerts_drop_oldest(a, "queue full");
	a->q = xreallocarray(a->q, a->nq + 1, sizeof(*a->q));
	d = &a->q[a->nq++];
	memset(d, 0, sizeof(*d));
	d->id = al->id;
	d->notifier = xstrdup(name);
	d->json = alert_json(al);
	d->event = al->event;
	snprintf(d->job, sizeof(d->job), "%s", al->job);
}

/* Audits the alert and queues it for each of its notifiers. */
static void
alerts_emit(struct alerts *a, struct alert *al, char *const *names)
{
	time_t	 now = time(NULL);
	size_t	 n = 0;

	if (a->conf->alert_rate_limit > 0 && al->event != ALERT_TEST) {
		if (now - a->window >= 3600) {
			a->window = now;
			a->in_window = 0;
		}
		if (a->in_window >= a->conf->alert_rate_limit) {
			a->dropped++;
			log_warnx("alert %s %s: rate limit (%d an hour): "
			    "not sent", alert_event_name(al->event), al->job,
			    a->conf->alert_rate_limit);
			alerts_audit(a, "alert-suppressed", AF_STR("alert",
			    alert_event_name(al->event)), AF_STR("job",
			    al->job[0] != '\0' ? al->job : NULL),
			    AF_STR("reason", "rate limit"),
			    AF_UINT("dropped", a->dropped));
			return;
		}
		a->in_window++;
	}
	al->id = ++a->next_id;
	al->counts.dropped = a->dropped;
	log_info("alert %llu: %s%s%s: %s", (unsigned long long)al->id,
	    alert_event_name(al->event), al->job[0] != '\0' ? " " : "",
	    al->job, al->message);
	if (names == NULL) {
		/* a daemon event: every notifier */
		for (size_t i = 0; i < a->conf->nnotifiers; i++, n++)
			alerts_enqueue(a, al, a->conf->notifiers[i].name);
	} else
		for (; names[n] != NULL; n++)
			alerts_enqueue(a, al, names[n]);
	alerts_audit(a, "alert", AF_UINT("id", al->id),
	    AF_STR("alert", alert_event_name(al->event)),
	    AF_STR("job", al->job[0] != '\0' ? al->job : NULL),
	    AF_STR("artifact", al->artifact[0] != '\0' ? al->artifact : NULL),
	    AF_STR("problem", al->problem[0] != '\0' ? al->problem : NULL),
	    AF_UINT("repeat", al->repeat), AF_STR("message", al->message),
	    AF_UINT("notifiers", n));
}

/* -- state changes ----------------------------------------------------- */

static void
alerts_fill(struct ajob *j, struct alert *al, time_t now)
{
	al->counts.failures = j->failures;
	al->counts.verify_failures = j->verify_failures;
	if (j->newest_verified > 0)
		al->counts.age = now - j->newest_verified;
}

/* A problem turns on (or is still on, when a repeat is due). */
static void
alerts_raise(struct alerts *a, struct ajob *j, struct alert *al)
{
	size_t	 p = problem_index(al->event);
	time_t	 now = time(NULL);

	if (j->on[p])
		return;		/* one alert per change of state */
	j->on[p] = 1;
	j->sent[p] = now;
	sup_metrics(a->sup);
	alerts_fill(j, al, alerts_now());
	alerts_emit(a, al, j->job != NULL ? j->job->notify : NULL);
	j->last[p] = *al;
}

static void
alerts_clear(struct alerts *a, struct ajob *j, enum alert_event e,
    const char *artifact, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
alerts_clear(struct alerts *a, struct ajob *j, enum alert_event e,
    const char *artifact, const char *fmt, ...)
{
	struct alert	 al;
	size_t		 p = problem_index(e);
	va_list		 ap;

	if (!j->on[p])
		return;
	j->on[p] = 0;
	sup_metrics(a->sup);
	alert_init(&al, ALERT_RECOVERED, j->name);
	snprintf(al.problem, sizeof(al.problem), "%s", alert_event_name(e));
	snprintf(al.artifact, sizeof(al.artifact), "%s",
	    artifact != NULL ? artifact : "");
	va_start(ap, fmt);
	vsnprintf(al.message, sizeof(al.message), fmt, ap);
	va_end(ap);
	alerts_fill(j, &al, alerts_now());
	alerts_emit(a, &al, j->job != NULL ? j->job->notify : NULL);
}

void
alerts_run_end(struct alerts *a, const struct slot *sl,
    const struct worker *w, int code, unsigned attempt, int final,
    int64_t art_id)
{
	struct ajob	*j;
	struct alert	 al;
	int64_t		 prev, raw;
	int		 small = 0;

	if (a == NULL || sl->maint || (j = alerts_job(a, sl->name)) == NULL)
		return;
	if (code != CAIRN_E_OK) {
		if (!final || w->shutdown_kill)
			return;
		j->failures++;
		alert_init(&al, ALERT_JOB_FAILED, j->name);
		snprintf(al.message, sizeof(al.message), "%s failed after %u "
		    "attempt%s: %s", j->name, attempt, attempt > 1 ? "s" : "",
		    w->cause);
		alerts_raise(a, j, &al);
		return;
	}
	j->failures = 0;
	alerts_clear(a, j, ALERT_JOB_FAILED, w->have_artifact ?
	    w->artifact.name : NULL, "%s succeeded again", j->name);
	if (!w->have_artifact || j->job == NULL)
		return;
	/* the size checks, against the newest verified artifact */
	(void)alerts_catalog(a, j->name, art_id, &prev);
	raw = (int64_t)w->artifact.raw_bytes;
	alert_init(&al, ALERT_SIZE_DROP, j->name);
	snprintf(al.artifact, sizeof(al.artifact), "%s", w->artifact.name);
	al.counts.bytes = raw;
	al.counts.previous_bytes = prev;
	if (j->job->min_size > 0 && raw < j->job->min_size) {
		small = 1;
		snprintf(al.message, sizeof(al.message), "%s: %s is %lld "
		    "bytes, below min_size %lld", j->name, w->artifact.name,
		    (long long)raw, (long long)j->job->min_size);
	} else if (j->job->size_drop > 0 && prev > 0 &&
	    raw * 100 < prev * j->job->size_drop) {
		small = 1;
		snprintf(al.message, sizeof(al.message), "%s: %s is %lld "
		    "bytes, %lld%% of the previous verified artifact (%lld "
		    "bytes; size_drop %d%%)", j->name, w->artifact.name,
		    (long long)raw, (long long)(raw * 100 / prev),
		    (long long)prev, j->job->size_drop);
	}
	if (small)
		alerts_raise(a, j, &al);
	else
		alerts_clear(a, j, ALERT_SIZE_DROP, w->artifact.name,
		    "%s: %s is %lld bytes again", j->name, w->artifact.name,
		    (long long)raw);
}

void
alerts_verified(struct alerts *a, const char *job, const char *artifact,
    int ok, const char *why)
{
	struct ajob	*j;
	struct alert	 al;

	if (a == NULL || (j = alerts_job(a, job)) == NULL)
		return;
	if (ok) {
		j->newest_verified = alerts_catalog(a, job, 0, NULL);
		alerts_clear(a, j, ALERT_VERIFY_FAILED, artifact,
		    "%s: %s verified", job, artifact);
		alerts_timers(a);	/* staleness may be over */
		return;
	}
	j->verify_failures++;
	alert_init(&al, ALERT_VERIFY_FAILED, job);
	snprintf(al.artifact, sizeof(al.artifact), "%s", artifact);
	snprintf(al.message, sizeof(al.message), "%s: verification of %s "
	    "failed: %s", job, artifact, why);
	alerts_raise(a, j, &al);
}

void
alerts_uploaded(struct alerts *a, const char *job, const char *artifact,
    int ok, const char *why)
{
	struct ajob	*j;
	struct alert	 al;

	if (a == NULL || (j = alerts_job(a, job)) == NULL)
		return;
	if (ok) {
		alerts_clear(a, j, ALERT_UPLOAD_FAILED, artifact,
		    "%s: %s copied off-site", job, artifact);
		return;
	}
	alert_init(&al, ALERT_UPLOAD_FAILED, job);
	snprintf(al.artifact, sizeof(al.artifact), "%s", artifact);
	snprintf(al.message, sizeof(al.message), "%s: the off-site copy of "
	    "%s failed: %s", job, artifact, why);
	alerts_raise(a, j, &al);
}

/* Staleness, and the repeats of problems that last. */
void
alerts_timers(struct alerts *a)
{
	time_t		 now, real = time(NULL), ref;
	struct ajob	*j;
	struct alert	 al;
	size_t		 p;

	if (a == NULL || a->stopping)
		return;
	now = alerts_now();
	for (size_t i = 0; i < a->njobs; i++) {
		if ((j = a->jobs[i])->job == NULL)
			continue;
		ref = j->newest_verified > 0 ? j->newest_verified :
		    a->started;
		if (j->stale_after > 0 && now - ref > j->stale_after) {
			alert_init(&al, ALERT_STALE, j->name);
			if (j->newest_verified > 0)
				snprintf(al.message, sizeof(al.message),
				    "%s: the newest verified artifact is "
				    "%llds old (stale_after %llds)", j->name,
				    (long long)(now - ref),
				    (long long)j->stale_after);
			else
				snprintf(al.message, sizeof(al.message),
				    "%s: no verified artifact (stale_after "
				    "%llds)", j->name,
				    (long long)j->stale_after);
			alerts_raise(a, j, &al);
		} else if (j->stale_after > 0 || j->on[problem_index(
		    ALERT_STALE)])
			alerts_clear(a, j, ALERT_STALE, NULL, "%s: the newest "
			    "verified artifact is %llds old", j->name,
			    (long long)(now - ref));
		if (j->job->repeat_interval <= 0)
			continue;
		for (p = 0; p < NPROBLEMS; p++) {
			if (!j->on[p] || real - j->sent[p] <
			    j->job->repeat_interval)
				continue;
			al = j->last[p];
			al.repeat++;
			al.time = real;
			alerts_fill(j, &al, now);
			j->sent[p] = real;
			alerts_emit(a, &al, j->job->notify);
			j->last[p] = al;
		}
	}
}

int64_t
alerts_wait_ms(struct alerts *a)
{
	int64_t	 best = -1, d, ms = util_now_ms();
	time_t	 now, real = time(NULL), ref;
	struct ajob *j;

	if (a == NULL || a->stopping)
		return -1;
#define CONSIDER(x)	do { d = (x); if (best < 0 || d < best) best = d; } \
			while (0)
	if (a->pid <= 0 && a->conf->nnotifiers > 0)
		CONSIDER(a->spawn_at - ms);
#ifdef CAIRN_FAULT_INJECTION
	if (getenv("CAIRN_FAULT_CLOCK_FILE") != NULL)
		CONSIDER(1000);
#endif
	now = alerts_now();
	for (size_t i = 0; i < a->njobs; i++) {
		if ((j = a->jobs[i])->job == NULL)
			continue;
		ref = j->newest_verified > 0 ? j->newest_verified :
		    a->started;
		if (j->stale_after > 0 && !j->on[problem_index(ALERT_STALE)])
			CONSIDER((ref + j->stale_after + 1 - now) * 1000);
		for (size_t p = 0; p < NPROBLEMS; p++)
			if (j->on[p] && j->job->repeat_interval > 0)
				CONSIDER((j->sent[p] +
				    j->job->repeat_interval - real) * 1000);
	}
#undef CONSIDER
	return best < 0 ? -1 : best;
}

/* -- configuration ----------------------------------------------------- */

struct alerts *
alerts_new(struct sup *s, struct sup_boot *b)
{
	struct alerts	*a = xcalloc(1, sizeof(*a));

	a->sup = s;
	a->boot = b;
	a->fd = -1;
	a->started = alerts_now();
	a->window = time(NULL);
	return a;
}

void
alerts_conf(struct alerts *a, const struct conf *c)
{
	struct ajob	*j;
	time_t		 now = time(NULL);

	a->conf = c;
	for (size_t i = 0; i < a->njobs; i++)
		a->jobs[i]->job = NULL;
	for (size_t i = 0; i < c->njobs; i++) {
		if ((j = alerts_job(a, c->jobs[i].name)) == NULL) {
			j = xcalloc(1, sizeof(*j));
			j->name = xstrdup(c->jobs[i].name);
			j->newest_verified = alerts_catalog(a, j->name, 0,
			    NULL);
			a->jobs = xreallocarray(a->jobs, a->njobs + 1,
			    sizeof(*a->jobs));
			a->jobs[a->njobs++] = j;
		}
		j->job = &c->jobs[i];
		j->stale_after = alerts_stale_after(c, j->job, now);
	}
}

void
alerts_daemon(struct alerts *a, int started, const char *why)
{
	struct alert	 al;

	if (a == NULL)
		return;
	alert_init(&al, started ? ALERT_DAEMON_STARTED : ALERT_DAEMON_STOPPED,
	    NULL);
	snprintf(al.message, sizeof(al.message), "cairnd %s: %s",
	    started ? "started" : "stopping", why);
	alerts_emit(a, &al, NULL);
	if (started)
		alerts_timers(a);	/* stale already at start? */
}

/* -- the notifier worker ------------------------------------------------ */

static void
alerts_spawn(struct alerts *a)
{
	int		 fd;
	pid_t		 pid;

	a->spawn_at = util_now_ms() + ALERTS_RESPAWN_MS;
	/* one alert a record: a SEQPACKET channel */
	if ((pid = sup_fork_worker(SOCK_SEQPACKET, NOTIFIER_FLAG, &fd)) == -1) {
		log_warn("notifier: cannot start it");
		return;
	}
	a->fd = fd;
	a->pid = pid;
	a->busy = 0;
	log_info("notifier: started worker %ld", (long)pid);
	alerts_audit(a, "notifier-started", AF_INT("pid", pid));
}

/* The headers file, read at each delivery (tokens never in the config). */
static char *
alerts_headers(const struct notify_conf *n, char *err, size_t errlen)
{
	char	*buf;
	ssize_t	 len;
	int	 fd;

	if (n->headers_file == NULL)
		return xstrdup("");
	if ((fd = open(n->headers_file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) ==
	    -1) {
		snprintf(err, errlen, "headers_file %s: %s", n->headers_file,
		    strerror(errno));
		return NULL;
	}
	buf = xmalloc(ALERTS_HEADERS_MAX + 1);
	len = util_read_all(fd, buf, ALERTS_HEADERS_MAX + 1);
	close(fd);
	if (len < 0 || len > ALERTS_HEADERS_MAX) {
		snprintf(err, errlen, "headers_file %s: %s", n->headers_file,
		    len < 0 ? strerror(errno) : "over 8 KiB");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static void
rec_add(char *rec, size_t *len, const char *s)
{
	size_t	 n = strlen(s) + 1;

	if (*len + n <= ALERTS_RECORD_MAX)
		memcpy(rec + *len, s, n);
	*len += n;
}

static void
alerts_done(struct alerts *a, int ok, unsigned attempts, const char *msg)
{
	struct delivery	*d = &a->q[0];

	if (ok) {
		log_info("alert %llu delivered to %s (%u attempt%s)",
		    (unsigned long long)d->id, d->notifier, attempts,
		    attempts == 1 ? "" : "s");
		alerts_audit(a, "alert-delivered", AF_UINT("id", d->id),
		    AF_STR("notifier", d->notifier),
		    AF_STR("alert", alert_event_name(d->event)),
		    AF_UINT("attempts", attempts), AF_STR("result", msg));
	} else {
		log_warnx("alert %llu to %s failed after %u attempt%s: %s",
		    (unsigned long long)d->id, d->notifier, attempts,
		    attempts == 1 ? "" : "s", msg);
		alerts_audit(a, "alert-failed", AF_UINT("id", d->id),
		    AF_STR("notifier", d->notifier),
		    AF_STR("alert", alert_event_name(d->event)),
		    AF_UINT("attempts", attempts), AF_STR("error", msg));
	}
	if (a->test_fn != NULL && d->event == ALERT_TEST) {
		alerts_test_fn	 fn = a->test_fn;

		a->test_fn = NULL;
		fn(a->test_arg, ok, d->notifier, msg);
	}
	delivery_free(d);
	memmove(a->q, a->q + 1, (a->nq - 1) * sizeof(*a->q));
	a->nq--;
	a->busy = 0;
}

/* Hands the oldest delivery to the worker when it is idle. */
static void
alerts_send(struct alerts *a)
{
	const struct notify_conf *n;
	struct delivery	*d;
	char		*rec, *hdr, num[32], err[512];
	size_t		 len;

	while (!a->busy && a->nq > 0 && a->fd != -1) {
		d = &a->q[0];
		if ((n = conf_notify_find(a->conf, d->notifier)) == NULL) {
			alerts_done(a, 0, 0, "notifier no longer configured");
			continue;
		}
		if ((hdr = alerts_headers(n, err, sizeof(err))) == NULL) {
			alerts_done(a, 0, 0, err);
			continue;
		}
		rec = xmalloc(ALERTS_RECORD_MAX);
		len = 0;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)d->id);
		rec_add(rec, &len, num);
		rec_add(rec, &len, n->name);
		rec_add(rec, &len, n->type == NOTIFY_WEBHOOK ? "webhook" :
		    "command");
		snprintf(num, sizeof(num), "%d", n->timeout);
		rec_add(rec, &len, num);
		snprintf(num, sizeof(num), "%d", n->retries);
		rec_add(rec, &len, num);
		rec_add(rec, &len, n->url != NULL ? n->url : "");
		rec_add(rec, &len, hdr);
		rec_add(rec, &len, alert_event_name(d->event));
		rec_add(rec, &len, d->job);
		rec_add(rec, &len, d->json);
		for (size_t i = 0; n->command[i] != NULL; i++)
			rec_add(rec, &len, n->command[i]);
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
		if (len > ALERTS_RECORD_MAX) {
			explicit_bzero(rec, ALERTS_RECORD_MAX);
			free(rec);
			alerts_done(a, 0, 0, "alert too large for one record");
			continue;
		}
		if (send(a->fd, rec, len, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    (ssize_t)len)
			a->busy = 1;
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("notifier: send");
		explicit_bzero(rec, len);
		free(rec);
		if (!a->busy)
			break;
	}
}

size_t
alerts_pollfds(struct alerts *a, struct pollfd *pfd, size_t max)
{
	if (a == NULL || a->fd == -1 || max == 0)
		return 0;
	pfd->fd = a->fd;
	pfd->events = POLLIN;
	return 1;
}

static void
alerts_lost_worker(struct alerts *a, const char *why)
{
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
	/* what was in flight goes again with the next worker */
	a->busy = 0;
	log_warnx("notifier: worker lost: %s", why);
}

void
alerts_dispatch(struct alerts *a, const struct pollfd *pfd, size_t n)
{
	char		 buf[1024], *f[4];
	ssize_t		 len;
	size_t		 k, i;

	if (a == NULL)
		return;
	if (n > 0 && a->fd != -1 && (pfd->revents & (POLLIN | POLLHUP |
	    POLLERR))) {
		while ((len = recv(a->fd, buf, sizeof(buf) - 1,
		    MSG_DONTWAIT)) > 0) {
			buf[len] = '\0';
			/* id \0 ok|failed \0 attempts \0 message */
			for (k = 0, i = 0; k < 4 && i < (size_t)len; k++) {
				f[k] = buf + i;
				i += strlen(buf + i) + 1;
			}
			if (k < 4 || !a->busy || a->nq == 0 ||
			    strtoull(f[0], NULL, 10) != a->q[0].id) {
				log_warnx("notifier: unexpected answer");
				continue;
			}
			for (char *t = f[3]; *t != '\0'; t++)
				if ((unsigned char)*t < 0x20 || *t == 0x7f)
					*t = '?';
			alerts_done(a, strcmp(f[1], "ok") == 0,
			    (unsigned)strtoul(f[2], NULL, 10), f[3]);
		}
		if (len == 0)
			alerts_lost_worker(a, "end of file");
	}
	if (a->fd == -1 && a->pid <= 0 && a->conf->nnotifiers > 0 &&
	    util_now_ms() >= a->spawn_at)
		alerts_spawn(a);
	alerts_send(a);
}

int
alerts_reap(struct alerts *a, pid_t pid, int status)
{
	if (a == NULL || pid != a->pid)
		return 0;
	a->pid = 0;
	alerts_lost_worker(a, "exited");
	log_warnx("notifier: worker %ld %s %d", (long)pid,
	    WIFSIGNALED(status) ? "killed by signal" : "exited with",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	alerts_audit(a, "notifier-exited", AF_INT("pid", pid),
	    AF_INT("status", WIFSIGNALED(status) ? -WTERMSIG(status) :
	    WEXITSTATUS(status)));
	return 1;
}

int
alerts_test(struct alerts *a, const char *name, alerts_test_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct alert	 al;
	char		*names[2] = { NULL, NULL };

	if (a->conf->nnotifiers == 0)
		return util_fail(err, errlen, ENOENT, "no notify section in "
		    "%s", a->conf->path);
	if (name != NULL && conf_notify_find(a->conf, name) == NULL)
		return util_fail(err, errlen, ENOENT, "no notifier %s", name);
	if (a->test_fn != NULL)
		return util_fail(err, errlen, EBUSY, "a test is running");
	names[0] = xstrdup(name != NULL ? name : a->conf->notifiers[0].name);
	alert_init(&al, ALERT_TEST, NULL);
	snprintf(al.message, sizeof(al.message), "a test alert from cairnctl "
	    "notify test to %s", names[0]);
	a->test_fn = fn;
	a->test_arg = arg;
	alerts_emit(a, &al, names);
	free(names[0]);
	return 0;	/* sent from the loop: the answer never comes first */
}

void
alerts_job_problems(struct alerts *a, const char *job, char *buf,
    size_t len, uint64_t *verify_failures)
{
	struct ajob	*j;
	size_t		 o = 0;

	if (len > 0)
		buf[0] = '\0';
	*verify_failures = 0;
	if (a == NULL || (j = alerts_job(a, job)) == NULL)
		return;
	*verify_failures = j->verify_failures;
	for (size_t p = 0; p < NPROBLEMS; p++)
		if (j->on[p] && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? " " : "", alert_event_name(problems[p]));
}

void
alerts_test_cancel(struct alerts *a)
{
	if (a != NULL)
		a->test_fn = NULL;
}

/* At stop: a last chance for what is queued (daemon_stopped included). */
void
alerts_drain(struct alerts *a)
{
	struct pollfd	 pfd;
	int64_t		 end = util_now_ms() + ALERTS_DRAIN_MS, left;

	if (a == NULL)
		return;
	a->stopping = 1;
	while (a->nq > 0 && (left = end - util_now_ms()) > 0) {
		if (a->fd == -1 && a->pid <= 0) {
			a->spawn_at = 0;
			alerts_spawn(a);
		}
		if (a->fd == -1)
			break;
		alerts_send(a);
		pfd.fd = a->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)(left < 200 ? left : 200)) > 0)
			alerts_dispatch(a, &pfd, 1);
		if (a->pid > 0) {
			int	 st;

			if (waitpid(a->pid, &st, WNOHANG) == a->pid)
				alerts_reap(a, a->pid, st);
		}
	}
	while (a->nq > 0) {
		a->busy = 0;
		alerts_drop_oldest(a, "daemon stopped before delivery");
	}
}

void
alerts_free(struct alerts *a)
{
	int	 st;

	if (a == NULL)
		return;
	if (a->fd != -1)
		close(a->fd);	/* the worker sees end of file and exits */
	if (a->pid > 0) {
		/* it may be waiting out a retry delay: do not wait for that */
		(void)kill(a->pid, SIGTERM);
		(void)waitpid(a->pid, &st, 0);
	}
	for (size_t i = 0; i < a->nq; i++)
		delivery_free(&a->q[i]);
	free(a->q);
	for (size_t i = 0; i < a->njobs; i++) {
		free(a->jobs[i]->name);
		free(a->jobs[i]);
	}
	free(a->jobs);
	free(a);
}
