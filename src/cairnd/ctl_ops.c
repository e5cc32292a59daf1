/*
 * ctl_ops.c -- the supervisor's side of the control socket (cairnctl) and
 * of the metrics file: struct ctl_ops over sup.c's slot table, tickets for
 * the runs cairnctl asked for, and the status snapshot both are made from.
 * docs/control.md describes what cairnctl sees; ctl.c (cairn/ctl_server.h)
 * owns the socket and formats every reply.
 *
 * Tickets: `run JOB` and `run all` get one ticket each, made of the slot
 * names they wait for.  sup.c calls sup_ctl_run_end() when a run ends; a
 * run that will be retried does not count, the final attempt does.  A
 * member whose slot went idle without such an end (cairnd stopping, the
 * job removed by a reload) is cancelled by sup_ctl_sweep().  When the last
 * member is in, the ticket is answered with the worst code.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/cron.h"
#include "cairn/ctlproto.h"
#include "ctl_server.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "metrics.h"
#include "cairn/prune.h"
#include "cairn/prune_remote.h"
#include "cairn/rootfs.h"
#include "cairn/util.h"
#include "alerts.h"
#include "auditwatch.h"
#include "ctl_ops.h"
#include "maint.h"
#include "sup_api.h"

#define SUP_CTL_FLUSH_MS	1000	/* at exit: time to send last replies */
#define SUP_CTL_PERIOD_GAPS	8	/* cron gaps sampled for the period */
#define SUP_CTL_METRICS_MS	60000	/* ages: the file at least this often */

struct member {
	char		*job;		/* owns: the backup slot's name */
	int		 done;
};

struct ticket {
	uint64_t	 id;
	struct member	*m;		/* owns */
	size_t		 n;
	size_t		 left;
	int		 worst;		/* CAIRN_E_OK until a member fails */
	struct buf	 text;		/* a line per member, as they end */
};

struct sup_ctl {
	struct ctl_srv	*srv;		/* owns; NULL: no socket (-o) */
	struct sup	*sup;		/* borrows */
	time_t		 started;
	uint64_t	 next_id;
	struct ticket	**t;		/* owns */
	size_t		 nt;
	char		 metrics_err[256];	/* last failure logged */
	uint64_t	 notify_ticket;	/* cairnctl notify test waiting */
	int64_t		 metrics_at;	/* monotonic ms of the last write */
};

static const struct ctl_ops sup_ctl_ops;

/* -- start-up, as root ------------------------------------------------- */

/*
 * The socket's folder, opened by descriptor (rootfs.h): made when missing
 * and then given to the daemon (so it can remove its socket) and the
 * group (so they reach it); an existing one is left as is.  -1: err.
 */
static int
sup_ctl_mkdir(const char *sock, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	struct rootfs_owner	 o = { uid, gid, geteuid() == 0 };
	char			*copy = xstrdup(sock), *dir = dirname(copy);
	const char		*leaf;
	int			 pfd, fd;

	if (strcmp(dir, "/") == 0) {
		fd = rootfs_opendir(dir, err, errlen);
		free(copy);
		return fd;
	}
	if ((pfd = rootfs_openparent(dir, &leaf, err, errlen)) == -1) {
		free(copy);
		return -1;
	}
	fd = rootfs_mkdir(pfd, leaf, dir, 0750, &o, 0, err, errlen);
	close(pfd);
	free(copy);
	return fd;
}

struct sup_ctl *
sup_ctl_open(const struct conf *c, uid_t uid, struct audit *audit, char *err,
    size_t errlen)
{
	struct sup_ctl	*sc;
	char		 e[512];
	int		 dfd;

	if ((dfd = sup_ctl_mkdir(c->control_socket, uid, c->socket_gid, e,
	    sizeof(e))) == -1) {
		snprintf(err, errlen, "control socket folder %s", e);
		return NULL;
	}
	sc = xcalloc(1, sizeof(*sc));
	sc->srv = ctl_listen_at(dfd, strrchr(c->control_socket, '/') + 1,
	    c->control_socket, 0660, c->socket_gid, &sup_ctl_ops, sc, audit,
	    err, errlen);
	close(dfd);
	if (sc->srv == NULL) {
		free(sc);
		return NULL;
	}
	log_info("control socket %s (group %ld)", c->control_socket,
	    (long)c->socket_gid);
	return sc;
}

struct sup_ctl *
sup_ctl_attach(struct sup_ctl *sc, struct sup *s)
{
	if (sc == NULL)
		sc = xcalloc(1, sizeof(*sc));
	sc->sup = s;
	sc->started = time(NULL);
	/* the daemon's own uid is now the unprivileged one */
	if (sc->srv != NULL)
		ctl_set_uid(sc->srv, geteuid());
	return sc;
}

/* -- tickets ----------------------------------------------------------- */

static void
ticket_free(struct ticket *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->m[i].job);
	free(t->m);
	buf_free(&t->text);
	free(t);
}

static struct ticket *
ticket_new(struct sup_ctl *sc)
{
	struct ticket	*t = xcalloc(1, sizeof(*t));

	t->id = ++sc->next_id;
	sc->t = xreallocarray(sc->t, sc->nt + 1, sizeof(*sc->t));
	sc->t[sc->nt++] = t;
	return t;
}

static void
ticket_add(struct ticket *t, const char *job)
{
	t->m = xreallocarray(t->m, t->n + 1, sizeof(*t->m));
	t->m[t->n].job = xstrdup(job);
	t->m[t->n].done = 0;
	t->n++;
	t->left++;
}

/* A member is in; the ticket is answered and freed with its last one. */
static void
ticket_member_done(struct sup_ctl *sc, size_t ti, size_t mi, int code,
    const char *line)
{
	struct ticket	*t = sc->t[ti];

	t->m[mi].done = 1;
	t->left--;
	if (code > t->worst)
		t->worst = code;
	/* one line per member: a worker's cause cannot add one */
	if (t->text.len > 0)
		ctl_buf_add(&t->text, "\n", 1);
	ctl_buf_text(&t->text, line);
	if (t->left > 0)
		return;
	if (sc->srv != NULL)
		ctl_ticket_done(sc->srv, t->id, t->worst, t->text.p);
	ticket_free(t);
	sc->t[ti] = sc->t[--sc->nt];
}

/* Every ticket waiting for job: this line is its answer. */
static void
ticket_job_done(struct sup_ctl *sc, const char *job, int code,
    const char *line)
{
	for (size_t ti = sc->nt; ti-- > 0;)
		for (size_t mi = 0; mi < sc->t[ti]->n; mi++)
			if (!sc->t[ti]->m[mi].done &&
			    strcmp(sc->t[ti]->m[mi].job, job) == 0) {
				ticket_member_done(sc, ti, mi, code, line);
				break;
			}
}

/* -- the slot table ---------------------------------------------------- */

/* The backup slot of a job (not its verify or prune slot). */
static struct slot *
sup_ctl_slot(struct sup_ctl *sc, const char *job)
{
	struct slot *const	*sl;
	size_t			 n;

	sl = sup_slot_list(sc->sup, &n);
	for (size_t i = 0; i < n; i++)
		if (!sl[i]->maint && strcmp(sl[i]->name, job) == 0)
			return sl[i];
	return NULL;
}

void
sup_ctl_sweep(struct sup_ctl *sc)
{
	struct slot	*sl;
	char		 line[320];
	const char	*why;

	if (sc == NULL)
		return;
	/* ages and staleness change with time alone: rewrite now and then */
	if (sc->sup != NULL && sup_conf(sc->sup)->metrics_file != NULL &&
	    util_now_ms() - sc->metrics_at >= SUP_CTL_METRICS_MS)
		sup_ctl_metrics(sc);
	for (size_t ti = sc->nt; ti-- > 0;) {
		struct ticket	*t = sc->t[ti];

		for (size_t mi = 0; mi < t->n; mi++) {
			if (t->m[mi].done)
				continue;
			sl = sup_ctl_slot(sc, t->m[mi].job);
			if (sl != NULL && sl->state != SLOT_IDLE)
				continue;	/* its run is still to end */
			why = sup_stopping(sc->sup) ? "cairnd is stopping" :
			    "removed from the configuration";
			snprintf(line, sizeof(line), "%s: cancelled: %s",
			    t->m[mi].job, why);
			ticket_member_done(sc, ti, mi, CAIRN_E_UNAVAILABLE,
			    line);
			break;	/* the ticket may be gone: next one */
		}
	}
}

void
sup_ctl_run_end(struct sup_ctl *sc, struct slot *sl, const struct worker *w,
    int code, unsigned attempt)
{
	struct slot_stats	*st = &sl->stats;
	char			 line[400], size[32];

	if (sc == NULL || sl->maint || sl->state == SLOT_BACKOFF)
		return;		/* verify/prune, or a retry follows */
	st->start = w->started;
	st->end = time(NULL);
	st->attempt = attempt;
	st->code = code;
	if (code == CAIRN_E_OK) {
		st->ok_end = st->end;
		st->ok_bytes = w->have_artifact ? w->artifact.stored_bytes : 0;
		snprintf(st->message, sizeof(st->message), "%s",
		    w->have_artifact ? w->artifact.name : "ok");
		ctl_human_bytes(size, sizeof(size), st->ok_bytes);
		snprintf(line, sizeof(line), "%s: ok: %s (%s)", sl->name,
		    st->message, size);
	} else {
		st->failures++;
		snprintf(st->message, sizeof(st->message), "%s", w->cause);
		snprintf(line, sizeof(line), "%s: failed (code %d, %s): %s",
		    sl->name, code, cairn_strerror(code), w->cause);
	}
	ticket_job_done(sc, sl->name, code, line);
	sup_ctl_metrics(sc);
}

/* -- the status snapshot ----------------------------------------------- */

/* The schedule's period: the longest of a few gaps between fires. */
static int64_t
sup_ctl_period(const struct job_conf *job, const char *tz, time_t now)
{
	time_t	 a, b;
	int64_t	 best = 0;

	if ((a = cron_next(&job->cron, now, tz)) <= 0)
		return 0;
	for (int i = 0; i < SUP_CTL_PERIOD_GAPS; i++, a = b) {
		if ((b = cron_next(&job->cron, a, tz)) <= a)
			break;
		if (b - a > best)
			best = b - a;
	}
	return best;
}

/* What the catalog knows: the newest good artifact, the last run. */
static void
sup_ctl_catalog(struct catalog *cat, struct ctl_job_status *j)
{
	struct artifact		*a = NULL;
	struct catalog_run	 run;
	size_t			 n = 0;

	if (cat == NULL)
		return;
	if (catalog_list(cat, j->name, &a, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (a[i].status == ART_MISSING ||
			    a[i].status == ART_DELETED)
				continue;
			j->artifacts++;
			j->artifact_bytes += a[i].stored_bytes;
			if (a[i].status == ART_OK && j->newest_verified == 0)
				j->newest_verified = a[i].finished > 0 ?
				    a[i].finished : a[i].started;
		}
		for (size_t i = 0; i < n; i++) {
			if (a[i].status != ART_OK &&
			    a[i].status != ART_UNVERIFIED)
				continue;
			j->newest_good = a[i].finished > 0 ? a[i].finished :
			    a[i].started;
			if (j->last_ok_end == 0) {
				/* before this start-up: the catalog's word */
				j->last_ok_end = j->newest_good;
				j->last_bytes = a[i].stored_bytes;
			}
			break;
		}
		free(a);
	}
	if (j->last_code == -1 && catalog_run_last(cat, j->name, &run) == 0) {
		j->last_start = run.started;
		j->last_end = run.finished;
		j->last_code = run.code;
		j->attempt = run.attempt > 0 ? (unsigned)run.attempt : 0;
		snprintf(j->last_message, sizeof(j->last_message), "%s",
		    run.message);
	}
}

static void
sup_ctl_job(struct sup_ctl *sc, const struct slot *sl, time_t now,
    int64_t ms, struct ctl_job_status *j)
{
	const struct conf	*c = sup_conf(sc->sup);
	const struct job_conf	*job = sl->job != NULL ? sl->job : sl->w->job;
	const struct slot_stats	*st = &sl->stats;

	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", sl->name);
	j->kind = job->kind;
	switch (sl->state) {
	case SLOT_QUEUED:
		j->state = CTL_QUEUED;
		break;
	case SLOT_RUNNING:
		j->state = CTL_RUNNING;
		break;
	case SLOT_BACKOFF:
		j->state = CTL_BACKOFF;
		j->retry_at = now + (time_t)((sl->retry_at - ms + 999) / 1000);
		break;
	default:
		j->state = CTL_IDLE;
		break;
	}
	j->attempt = sl->state == SLOT_IDLE ? st->attempt : sl->attempt;
	j->last_code = -1;
	if (st->start != 0) {
		j->last_start = st->start;
		j->last_end = st->end;
		j->last_code = st->code;
		snprintf(j->last_message, sizeof(j->last_message), "%s",
		    st->message);
	}
	j->last_ok_end = st->ok_end;
	j->last_bytes = st->ok_bytes;
	j->failures = st->failures;
	j->next_run = sl->next_fire > 0 ? sl->next_fire : 0;
	if (sl->job != NULL)
		j->interval = sup_ctl_period(sl->job, c->timezone, now);
	if (sl->w != NULL && !sl->w->reaped) {
		j->pid = sl->w->pid;
		j->run_start = sl->w->started;
		j->progress = sl->w->progress;
	}
	sup_ctl_catalog(sup_boot(sc->sup)->catalog, j);
	alerts_job_problems(sup_alerts(sc->sup), sl->name, j->alerts,
	    sizeof(j->alerts), &j->verify_failures);
	snprintf(j->prune_hold, sizeof(j->prune_hold), "%s",
	    maint_prune_hold(sup_maint(sc->sup), sl->name));
	{
		struct maint_upload	 u;

		j->upload = maint_upload_state(sup_maint(sc->sup), sl->name,
		    &u) == 1;
		j->upload_last = u.last_success;
		j->upload_failures = u.failures;
		j->upload_bytes = u.bytes;
		j->upload_running = u.running;
		j->upload_progress = u.progress;
	}
	if (sl->state != SLOT_IDLE)
		j->attempt = sl->attempt;
}

/* Fills st (st->jobs new: ctl_status_free()); backup jobs, config order. */
static void
sup_ctl_snapshot(struct sup_ctl *sc, struct ctl_status *st)
{
	const struct conf	*c = sup_conf(sc->sup);
	struct slot *const	*sl;
	size_t			 n;
	time_t			 now = time(NULL);
	int64_t			 ms = util_now_ms();

	memset(st, 0, sizeof(*st));
	st->pid = getpid();
	st->started = sc->started;
	st->now = now;
	snprintf(st->version, sizeof(st->version), "%s", PACKAGE_VERSION);
	snprintf(st->problem, sizeof(st->problem), "%s", audit_watch_problem());
	st->max_workers = c->max_workers;
	st->running = sup_running(sc->sup);
	snprintf(st->backup_dir, sizeof(st->backup_dir), "%s", c->backup_dir);
	snprintf(st->catalog_problem, sizeof(st->catalog_problem), "%s",
	    sup_boot(sc->sup)->catalog_problem);
	sl = sup_slot_list(sc->sup, &n);
	st->jobs = xcalloc(n > 0 ? n : 1, sizeof(*st->jobs));
	for (size_t i = 0; i < n; i++) {
		if (sl[i]->maint || (sl[i]->job == NULL && sl[i]->w == NULL))
			continue;
		sup_ctl_job(sc, sl[i], now, ms, &st->jobs[st->njobs++]);
	}
}

void
sup_catalog_fault(struct sup_boot *b, const char *what)
{
	char	 why[200], full[sizeof(b->catalog_problem)];
	size_t	 unknown;
	int	 e = errno;

	if (b->catalog == NULL)
		return;
	if (what != NULL && e == EBUSY) {
		log_warnx("catalog: %s (busy)", what);
		return;
	}
	if (catalog_check(b->catalog, why, sizeof(why)) == 0) {
		if (what == NULL)
			return;
		snprintf(why, sizeof(why), "cannot be written: %.170s", what);
	}
	unknown = catalog_unknown_files(b->catalog);
	if (unknown > 0)
		snprintf(full, sizeof(full), "%.200s; %zu artifact file%s on "
		    "disk not in the catalog (cairnctl catalog-rebuild)", why,
		    unknown, unknown == 1 ? "" : "s");
	else
		snprintf(full, sizeof(full), "%.200s (cairnctl "
		    "catalog-rebuild)", why);
	if (strcmp(full, b->catalog_problem) == 0)
		return;
	snprintf(b->catalog_problem, sizeof(b->catalog_problem), "%s", full);
	log_warnx("catalog: %s", full);
	if (b->audit != NULL)
		(void)audit_write(b->audit, "catalog-damaged",
		    AF_STR("reason", full), AF_UINT("unknown_files", unknown));
}

void
sup_ctl_metrics(struct sup_ctl *sc)
{
	const struct conf	*c;
	struct ctl_status	 st;
	char			 err[256];

	if (sc == NULL || sc->sup == NULL)
		return;
	c = sup_conf(sc->sup);
	if (c->metrics_file == NULL || c->metrics_file[0] == '\0')
		return;
	sc->metrics_at = util_now_ms();
	sup_ctl_snapshot(sc, &st);
	ctl_status_assess(&st);
	if (metrics_write(c->metrics_file, &st, err, sizeof(err)) == -1) {
		/* once per cause: a full disk must not flood the log */
		if (strcmp(err, sc->metrics_err) != 0)
			log_warnx("%s", err);
		snprintf(sc->metrics_err, sizeof(sc->metrics_err), "%s", err);
	} else
		sc->metrics_err[0] = '\0';
	ctl_status_free(&st);
}

/* -- struct ctl_ops ---------------------------------------------------- */

static int
op_status(void *arg, struct ctl_status *st)
{
	sup_ctl_snapshot(arg, st);
	return CAIRN_E_OK;
}

/* Queues an idle job's run on behalf of cairnctl. */
static void
sup_ctl_queue(struct sup_ctl *sc, struct slot *sl)
{
	struct audit	*a = sup_boot(sc->sup)->audit;

	if (a != NULL && audit_write(a, "job-scheduled",
	    AF_STR("job", sl->name), AF_STR("reason", "cairnctl")) == -1)
		log_warn("audit job-scheduled");
	sup_slot_queue(sc->sup, sl);
}

static const char *
sup_ctl_busy(const struct slot *sl, char *buf, size_t len)
{
	switch (sl->state) {
	case SLOT_RUNNING:
		snprintf(buf, len, "%s is already running (worker %ld, "
		    "attempt %u)", sl->name, sl->w != NULL ?
		    (long)sl->w->pid : 0L, sl->attempt);
		break;
	case SLOT_QUEUED:
		snprintf(buf, len, "%s is already queued to run", sl->name);
		break;
	default:
		snprintf(buf, len, "%s is waiting to retry a failed run "
		    "(attempt %u)", sl->name, sl->attempt + 1);
		break;
	}
	return buf;
}

static int
op_run(void *arg, const char *job, uint64_t *ticket, char *err,
    size_t errlen)
{
	struct sup_ctl		*sc = arg;
	struct slot *const	*sl;
	struct slot		*one;
	struct ticket		*t;
	size_t			 n;

	if (sup_stopping(sc->sup)) {
		snprintf(err, errlen, "cairnd is stopping");
		return CAIRN_E_UNAVAILABLE;
	}
	if (strcmp(job, "all") != 0) {
		if ((one = sup_ctl_slot(sc, job)) == NULL || one->job == NULL) {
			snprintf(err, errlen, "no job named %s", job);
			return CAIRN_E_USAGE;
		}
		if (one->state != SLOT_IDLE) {
			sup_ctl_busy(one, err, errlen);
			return CAIRN_E_TEMPFAIL;
		}
		t = ticket_new(sc);
		ticket_add(t, one->name);
		sup_ctl_queue(sc, one);
		*ticket = t->id;
		return CAIRN_E_OK;
	}
	/* all: idle jobs are queued, busy ones counted when they end */
	sl = sup_slot_list(sc->sup, &n);
	t = NULL;
	for (size_t i = 0; i < n; i++) {
		if (sl[i]->maint || sl[i]->job == NULL)
			continue;
		if (t == NULL)
			t = ticket_new(sc);
		ticket_add(t, sl[i]->name);
		if (sl[i]->state == SLOT_IDLE)
			sup_ctl_queue(sc, sl[i]);
	}
	if (t == NULL) {
		snprintf(err, errlen, "no jobs configured");
		return CAIRN_E_USAGE;
	}
	*ticket = t->id;
	return CAIRN_E_OK;
}

/* maint.c: the verify or prune work of a ticket is over. */
static void
sup_ctl_maint_done(void *arg, uint64_t ticket, int code, const char *summary)
{
	struct sup_ctl	*sc = arg;

	if (sc->srv != NULL)
		ctl_ticket_done(sc->srv, ticket, code, summary);
}

static int
op_verify(void *arg, const char *artifact, uint64_t *ticket, char *err,
    size_t errlen)
{
	struct sup_ctl	*sc = arg;
	uint64_t	 id;
	size_t		 queued;
	int		 code;

	if (sup_stopping(sc->sup)) {
		snprintf(err, errlen, "cairnd is stopping");
		return CAIRN_E_UNAVAILABLE;
	}
	id = ++sc->next_id;
	code = maint_verify_request(sup_maint(sc->sup), artifact, id,
	    sup_ctl_maint_done, sc, &queued, err, errlen);
	if (code != CAIRN_E_OK)
		return code;
	if (queued == 0) {
		snprintf(err, errlen, "nothing to verify: no artifact on disk "
		    "in the catalog");
		return CAIRN_E_OK;
	}
	*ticket = id;
	return CAIRN_E_OK;
}

static int
op_prune(void *arg, int dry_run, struct ctl_prune_plan *out,
    uint64_t *ticket, char *err, size_t errlen)
{
	struct sup_ctl		*sc = arg;
	struct prune_plan	 p;
	struct remote_plan	 rp;
	struct prune_entry	*e;
	uint64_t		 id;
	size_t			 queued, kept;
	int			 code;

	if (!dry_run) {
		if (sup_stopping(sc->sup)) {
			snprintf(err, errlen, "cairnd is stopping");
			return CAIRN_E_UNAVAILABLE;
		}
		id = ++sc->next_id;
		code = maint_prune_request(sup_maint(sc->sup), id,
		    sup_ctl_maint_done, sc, &queued, &kept, err, errlen);
		if (code != CAIRN_E_OK)
			return code;
		if (queued == 0) {
			snprintf(err, errlen, "nothing to prune (%zu kept)",
			    kept);
			return CAIRN_E_OK;
		}
		*ticket = id;
		return CAIRN_E_OK;
	}
	if (maint_prune_dry_run(sup_maint(sc->sup), &p, err, errlen) == -1)
		return CAIRN_E_SOFTWARE;
	if (p.hold) {
		snprintf(err, errlen, "prune is held, nothing would be "
		    "deleted: %s", p.warning);
		prune_plan_free(&p);
		return CAIRN_E_UNAVAILABLE;
	}
	if (maint_remote_dry_run(sup_maint(sc->sup), &rp, err, errlen) == -1) {
		prune_plan_free(&p);
		return CAIRN_E_SOFTWARE;
	}
	out->items = xcalloc(p.nremove + rp.nremove + 1, sizeof(*out->items));
	for (size_t i = 0; i < rp.n; i++) {
		if (!rp.entries[i].remove) {
			out->remote_kept++;
			continue;
		}
		snprintf(out->items[out->n].path,
		    sizeof(out->items[out->n].path), "%.511s",
		    rp.entries[i].key);
		snprintf(out->items[out->n].reason,
		    sizeof(out->items[out->n].reason), "%s",
		    rp.entries[i].reason);
		snprintf(out->items[out->n].remote,
		    sizeof(out->items[out->n].remote), "%s",
		    rp.entries[i].remote);
		out->n++;
	}
	remote_plan_free(&rp);
	for (size_t i = 0; i < p.n; i++) {
		e = &p.entries[i];
		if (!e->remove) {
			out->kept++;
			continue;
		}
		snprintf(out->items[out->n].path,
		    sizeof(out->items[out->n].path), "%s/%s", e->job, e->name);
		snprintf(out->items[out->n].reason,
		    sizeof(out->items[out->n].reason), "%s", e->reason);
		out->n++;
	}
	prune_plan_free(&p);
	return CAIRN_E_OK;
}

static int
op_reload(void *arg, char *err, size_t errlen)
{
	struct sup_ctl	*sc = arg;

	if (sup_stopping(sc->sup)) {
		snprintf(err, errlen, "cairnd is stopping");
		return CAIRN_E_UNAVAILABLE;
	}
	return sup_reload(sc->sup, err, errlen) == 0 ? CAIRN_E_OK :
	    CAIRN_E_CONFIG;
}

/* alerts.c: the test alert was delivered, or not. */
static void
sup_ctl_notify_done(void *arg, int ok, const char *notifier,
    const char *result)
{
	struct sup_ctl	*sc = arg;
	char		 line[700];

	snprintf(line, sizeof(line), "%s: %s: %s", notifier, ok ? "delivered" :
	    "failed", result);
	if (sc->srv != NULL && sc->notify_ticket != 0)
		ctl_ticket_done(sc->srv, sc->notify_ticket, ok ? CAIRN_E_OK :
		    CAIRN_E_UNAVAILABLE, line);
	sc->notify_ticket = 0;
}

static int
op_notify_test(void *arg, const char *name, uint64_t *ticket, char *err,
    size_t errlen)
{
	struct sup_ctl	*sc = arg;

	if (sup_stopping(sc->sup)) {
		snprintf(err, errlen, "cairnd is stopping");
		return CAIRN_E_UNAVAILABLE;
	}
	if (alerts_test(sup_alerts(sc->sup), name, sup_ctl_notify_done, sc,
	    err, errlen) == -1)
		return errno == EBUSY ? CAIRN_E_TEMPFAIL : CAIRN_E_USAGE;
	*ticket = sc->notify_ticket = ++sc->next_id;
	return CAIRN_E_OK;
}

static const struct ctl_ops sup_ctl_ops = {
	.status = op_status,
	.run = op_run,
	.verify = op_verify,
	.prune = op_prune,
	.reload = op_reload,
	.notify_test = op_notify_test,
};

/* -- the loop's part --------------------------------------------------- */

size_t
sup_ctl_pollfds(struct sup_ctl *sc, struct pollfd *pfd, size_t max)
{
	if (sc == NULL || sc->srv == NULL)
		return 0;
	return ctl_pollfds(sc->srv, pfd, max);
}

void
sup_ctl_dispatch(struct sup_ctl *sc, const struct pollfd *pfd, size_t n)
{
	if (sc == NULL || sc->srv == NULL)
		return;
	ctl_dispatch(sc->srv, pfd, n, util_now_ms());
}

int
sup_ctl_wait_ms(struct sup_ctl *sc)
{
	int64_t	 left;
	int	 w;

	if (sc == NULL || sc->srv == NULL)
		return -1;
	w = ctl_next_timeout(sc->srv, util_now_ms());
	if (sc->sup != NULL && sup_conf(sc->sup)->metrics_file != NULL) {
		left = sc->metrics_at + SUP_CTL_METRICS_MS - util_now_ms();
		if (left < 0)
			left = 0;
		if (w < 0 || left < w)
			w = (int)left;
	}
	return w;
}

void
sup_ctl_free(struct sup_ctl *sc)
{
	struct pollfd	 pfd[CTL_MAX_CONN + 1];
	int64_t		 end;
	size_t		 n;
	int		 wait;

	if (sc == NULL)
		return;
	/* what still waits is cancelled; its clients get that answer */
	sup_ctl_sweep(sc);
	if (sc->sup != NULL)
		maint_requests_cancel(sup_maint(sc->sup),
		    "cancelled: cairnd is stopping");
	while (sc->nt > 0) {
		struct ticket	*t = sc->t[sc->nt - 1];

		for (size_t mi = 0; mi < t->n; mi++)
			t->m[mi].done = 1;
		if (sc->srv != NULL)
			ctl_ticket_done(sc->srv, t->id, CAIRN_E_UNAVAILABLE,
			    "cancelled: cairnd is stopping");
		ticket_free(t);
		sc->nt--;
	}
	free(sc->t);
	if (sc->srv != NULL) {
		/* a short, bounded wait so those replies reach the clients */
		end = util_now_ms() + SUP_CTL_FLUSH_MS;
		while (ctl_nconn(sc->srv) > 0 && util_now_ms() < end) {
			n = ctl_pollfds(sc->srv, pfd, nitems(pfd));
			wait = (int)(end - util_now_ms());
			if (poll(pfd, n, wait > 0 ? wait : 0) <= 0)
				break;
			ctl_dispatch(sc->srv, pfd, n, util_now_ms());
		}
		ctl_close(sc->srv);
	}
	free(sc);
}
