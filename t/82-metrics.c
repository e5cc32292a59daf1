/*
 * t/82-metrics.c -- the Prometheus textfile: content, label escaping, and
 * the atomic replacement of the file.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/ctlproto.h"
#include "metrics.h"
#include "cairn/util.h"
#include "tap.h"

static char *
slurp(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*buf = xcalloc(1, 65536);

	if (fp != NULL) {
		fread(buf, 1, 65535, fp);
		fclose(fp);
	}
	return buf;
}

static int
count_entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

int
main(void)
{
	struct ctl_status	 st;
	struct stat		 sb;
	char			*dir, path[300], bad[300], err[512], *text;

	plan(14);
	dir = tap_tmpdir();
	snprintf(path, sizeof(path), "%s/cairn.prom", dir);

	memset(&st, 0, sizeof(st));
	st.started = 1790000000;
	st.now = 1790003600;
	st.running = 1;
	st.max_workers = 2;
	st.njobs = 2;
	st.jobs = xcalloc(2, sizeof(*st.jobs));
	snprintf(st.jobs[0].name, sizeof(st.jobs[0].name), "shop");
	st.jobs[0].kind = JOB_MYSQL;
	st.jobs[0].last_start = 1790000100;
	st.jobs[0].last_end = 1790000160;
	st.jobs[0].last_ok_end = 1790000160;
	st.jobs[0].last_code = 0;
	st.jobs[0].last_bytes = 123456789;
	st.jobs[0].failures = 3;
	st.jobs[0].interval = 21600;
	snprintf(st.jobs[1].name, sizeof(st.jobs[1].name), "we\"ird\\job");
	st.jobs[1].kind = JOB_SQLITE;
	st.jobs[1].last_code = -1;
	ctl_status_assess(&st);

	ok(metrics_write(path, &st, err, sizeof(err)) == 0, "metrics written");
	text = slurp(path);
	ok(strstr(text, "# TYPE cairn_last_success_timestamp_seconds gauge\n")
	    != NULL, "metrics carry TYPE lines");
	ok(strstr(text, "cairn_last_success_timestamp_seconds{job=\"shop\","
	    "kind=\"mysql\"} 1790000160\n") != NULL, "last success timestamp");
	ok(strstr(text, "cairn_last_run_duration_seconds{job=\"shop\","
	    "kind=\"mysql\"} 60\n") != NULL, "last run duration");
	ok(strstr(text, "cairn_last_artifact_bytes{job=\"shop\",kind=\"mysql\"} "
	    "123456789\n") != NULL, "last artifact bytes");
	ok(strstr(text, "# TYPE cairn_run_failures_total counter\n"
	    "cairn_run_failures_total{job=\"shop\",kind=\"mysql\"} 3\n") != NULL,
	    "failures as a counter");
	ok(strstr(text, "cairn_running_workers 1\n") != NULL,
	    "running workers");
	ok(strstr(text, "{job=\"we\\\"ird\\\\job\",kind=\"sqlite\"}") != NULL,
	    "label values are escaped");
	ok(strstr(text, "cairn_last_run_code{job=\"we\\\"ird\\\\job\","
	    "kind=\"sqlite\"} -1\n") != NULL, "a job that never ran: code -1");
	ok(strstr(text, "cairn_job_healthy{job=\"shop\",kind=\"mysql\"} 1\n")
	    != NULL, "health per job");
	free(text);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644,
	    "readable by node_exporter (0644)");
	is_int(count_entries(dir), 1, "no temporary file is left behind");

	st.running = 0;
	ok(metrics_write(path, &st, err, sizeof(err)) == 0 &&
	    strstr((text = slurp(path)), "cairn_running_workers 0\n") != NULL,
	    "a second write replaces the file");
	free(text);

	snprintf(bad, sizeof(bad), "%s/nosuchdir/cairn.prom", dir);
	ok(metrics_write(bad, &st, err, sizeof(err)) == -1 &&
	    errno == ENOENT && strstr(err, "nosuchdir") != NULL,
	    "a missing folder fails with a message: %s", err);

	ctl_status_free(&st);
	unlink(path);
	rmdir(dir);
	free(dir);
	return tap_exit();
}
