/* job.c -- see job.h: what every engine shares */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/job.h"
#include "cairn/util.h"
#include "cairn/writer.h"

void
job_artifact_name(char *buf, size_t len, const struct job_conf *job,
    time_t started)
{
	char		 stamp[32];
	const char	*ext;

	util_file_stamp(stamp, sizeof(stamp), started);
	switch (job->kind) {
	case JOB_SQLITE:
		ext = ".db";
		break;
	case JOB_MYSQL:
		ext = ".sql";
		break;
	default:
		ext = "";
		break;
	}
	snprintf(buf, len, "%s_backup_%s%s%s", job->name, stamp, ext,
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
