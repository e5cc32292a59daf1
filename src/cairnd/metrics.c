/*
 * metrics.c -- the Prometheus textfile (see cairn/metrics.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/ctlproto.h"
#include "metrics.h"
#include "cairn/util.h"

/* a label value: backslash, double quote and newline escaped */
static void
label(struct buf *b, const char *v)
{
	ctl_buf_add(b, "\"", 1);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			ctl_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			ctl_buf_add(b, "\\n", 2);
		else
			ctl_buf_add(b, v, 1);
	}
	ctl_buf_add(b, "\"", 1);
}

static void
head(struct buf *b, const char *name, const char *type, const char *help)
{
	ctl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static void
job_line(struct buf *b, const char *name, const struct ctl_job_status *j,
    long long v)
{
	ctl_buf_printf(b, "%s{job=", name);
	label(b, j->name);
	ctl_buf_printf(b, ",kind=\"%s\"} %lld\n", conf_kind_name(j->kind), v);
}

/* Problems in "stale verify_failed": words. */
static int
alert_count(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		if (*s != ' ' && (s[1] == ' ' || s[1] == '\0'))
			n++;
	return n;
}

/* One metric after the other in the order they are written: long, flat. */
void
metrics_format(const struct ctl_status *st, struct buf *b)
{
	size_t	 i;

#define EACH(name) \
	for (i = 0; i < st->njobs; i++) \
		job_line(b, name, &st->jobs[i], (long long)
	head(b, "cairn_last_success_timestamp_seconds", "gauge",
	    "End of the job's last successful run (0: none known).");
	EACH("cairn_last_success_timestamp_seconds") st->jobs[i].last_ok_end);
	head(b, "cairn_last_run_timestamp_seconds", "gauge",
	    "End of the job's last run.");
	EACH("cairn_last_run_timestamp_seconds") st->jobs[i].last_end);
	head(b, "cairn_last_run_duration_seconds", "gauge",
	    "Duration of the job's last run.");
	EACH("cairn_last_run_duration_seconds")
	    (st->jobs[i].last_end >= st->jobs[i].last_start ?
	    st->jobs[i].last_end - st->jobs[i].last_start : 0));
	head(b, "cairn_last_run_code", "gauge",
	    "Outcome code of the job's last run (0 success, -1 never ran).");
	EACH("cairn_last_run_code") st->jobs[i].last_code);
	head(b, "cairn_last_artifact_bytes", "gauge",
	    "Stored bytes of the job's last successful artifact.");
	EACH("cairn_last_artifact_bytes") st->jobs[i].last_bytes);
	head(b, "cairn_run_failures_total", "counter",
	    "Failed runs of the job since cairnd started.");
	EACH("cairn_run_failures_total") st->jobs[i].failures);
	head(b, "cairn_job_healthy", "gauge",
	    "1 if the job's last run succeeded within its expected interval.");
	EACH("cairn_job_healthy") st->jobs[i].healthy);
	head(b, "cairn_job_stale", "gauge",
	    "1 if the job's newest good artifact is older than allowed.");
	EACH("cairn_job_stale") st->jobs[i].stale);
	head(b, "cairn_job_alerts", "gauge",
	    "Open alert problems of the job (stale, verify_failed, size_drop, "
	    "job_failed, upload_failed).");
	for (i = 0; i < st->njobs; i++)
		job_line(b, "cairn_job_alerts", &st->jobs[i],
		    (long long)alert_count(st->jobs[i].alerts));
	head(b, "cairn_verify_failures_total", "counter",
	    "Failed verifications of the job's artifacts since cairnd "
	    "started.");
	EACH("cairn_verify_failures_total") st->jobs[i].verify_failures);
	head(b, "cairn_artifacts", "gauge",
	    "Artifacts of the job in the catalog and on disk.");
	EACH("cairn_artifacts") st->jobs[i].artifacts);
	head(b, "cairn_artifacts_bytes", "gauge",
	    "Stored bytes of the job's artifacts.");
	EACH("cairn_artifacts_bytes") st->jobs[i].artifact_bytes);
	head(b, "cairn_newest_verified_timestamp_seconds", "gauge",
	    "End of the job's newest verified artifact (0: none).");
	EACH("cairn_newest_verified_timestamp_seconds")
	    st->jobs[i].newest_verified);
	head(b, "cairn_newest_verified_age_seconds", "gauge",
	    "Age of the job's newest verified artifact when the file was "
	    "written (-1: none).");
	EACH("cairn_newest_verified_age_seconds")
	    (st->jobs[i].newest_verified > 0 ? st->now -
	    st->jobs[i].newest_verified : -1));
	head(b, "cairn_prune_held", "gauge",
	    "1 if the last prune plan held the job (the clock looks wrong).");
	EACH("cairn_prune_held") st->jobs[i].prune_hold[0] != '\0');
#undef EACH
	/* off-site copies: the jobs that make them (docs/offsite.md) */
#define EACH_UPLOAD(name) \
	for (i = 0; i < st->njobs; i++) \
		if (st->jobs[i].upload) \
			job_line(b, name, &st->jobs[i], (long long)
	head(b, "cairn_upload_last_success_timestamp_seconds", "gauge",
	    "End of the job's last good upload since cairnd started (0: "
	    "none yet).");
	EACH_UPLOAD("cairn_upload_last_success_timestamp_seconds")
	    st->jobs[i].upload_last);
	head(b, "cairn_upload_failures_total", "counter",
	    "Failed upload attempts of the job since cairnd started.");
	EACH_UPLOAD("cairn_upload_failures_total")
	    st->jobs[i].upload_failures);
	head(b, "cairn_upload_bytes_total", "counter",
	    "Bytes of the job uploaded since cairnd started.");
	EACH_UPLOAD("cairn_upload_bytes_total") st->jobs[i].upload_bytes);
#undef EACH_UPLOAD
	head(b, "cairn_catalog_ok", "gauge",
	    "0 if the catalog cannot be trusted or written.");
	ctl_buf_printf(b, "cairn_catalog_ok %d\n",
	    st->catalog_problem[0] == '\0');
	head(b, "cairn_running_workers", "gauge", "Workers running now.");
	ctl_buf_printf(b, "cairn_running_workers %d\n", st->running);
	head(b, "cairn_max_workers", "gauge", "Configured max_workers.");
	ctl_buf_printf(b, "cairn_max_workers %d\n", st->max_workers);
	head(b, "cairn_start_timestamp_seconds", "gauge",
	    "When cairnd started.");
	ctl_buf_printf(b, "cairn_start_timestamp_seconds %lld\n",
	    (long long)st->started);
}

int
metrics_write(const char *path, const struct ctl_status *st, char *err,
    size_t errlen)
{
	struct buf	 b = { 0 };
	char		*dcopy, *bcopy, *tmp;
	int		 fd, saved;

	dcopy = xstrdup(path);
	bcopy = xstrdup(path);
	tmp = xasprintf("%s/.%s.XXXXXX", dirname(dcopy), basename(bcopy));
	free(dcopy);
	free(bcopy);
	if ((fd = mkstemp(tmp)) == -1) {
		saved = errno;
		snprintf(err, errlen, "metrics: %s: %s", tmp, strerror(saved));
		free(tmp);
		errno = saved;
		return -1;
	}
	metrics_format(st, &b);
	if (util_write_all(fd, b.p, b.len) == -1 || fchmod(fd, 0644) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		snprintf(err, errlen, "metrics: %s: %s", tmp, strerror(saved));
		close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		saved = errno;
		snprintf(err, errlen, "metrics: %s: %s", tmp, strerror(saved));
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		saved = errno;
		snprintf(err, errlen, "metrics: rename to %s: %s", path,
		    strerror(saved));
		goto fail;
	}
	buf_free(&b);
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	buf_free(&b);
	free(tmp);
	errno = saved;
	return -1;
}
