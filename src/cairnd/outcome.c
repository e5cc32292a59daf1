/*
 * outcome.c -- the end of a run: the worker reaped, its artifact checked
 * against the disk and recorded in the catalog, partial files removed,
 * the retry or the next fire decided.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "schedule.h"
#include "sup_int.h"

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

void
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

void
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
