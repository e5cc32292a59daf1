/* job.c -- helpers every engine shares (see job.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/job.h"
#include "cairn/util.h"

void
job_artifact_name(char *buf, size_t len, const struct job_conf *job,
    time_t t)
{
	char	 stamp[32];

	util_file_stamp(stamp, sizeof(stamp), t);
	snprintf(buf, len, "%s_backup_%s%s%s", job->name, stamp,
	    job->kind == JOB_SQLITE ? ".db" : ".sql",
	    writer_suffix(job->compression));
}

void
job_result_free(struct job_result *res)
{
	if (res == NULL)
		return;
	free(res->tables);
	res->tables = NULL;
	res->ntables = 0;
}
