/* job.c -- see engine.h: what every engine shares */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "cairn/util.h"
#include "cairn/age.h"
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
	snprintf(buf, len, "%s_backup_%s%s%s%s", job->name, stamp, ext,
	    writer_suffix(job->compression), conf_job_encrypts(job) ?
	    AGE_SUFFIX : "");
}

int
job_writer_age(const struct job_conf *job, struct writer_opts *o,
    unsigned char (**pks)[AGE_KEY_LEN], char *err, size_t errlen)
{
	size_t	 n = 0;
	char	 why[160];

	*pks = NULL;
	if (!conf_job_encrypts(job))
		return 0;
	while (job->age_recipients[n] != NULL)
		n++;
	*pks = xcalloc(n, sizeof(**pks));
	for (size_t i = 0; i < n; i++)
		if (age_recipient_parse(job->age_recipients[i], (*pks)[i], why,
		    sizeof(why)) == -1) {
			free(*pks);
			*pks = NULL;
			return util_fail(err, errlen, 0, "age recipient %zu: %s",
			    i + 1, why);
		}
	o->age_recipients = (const unsigned char (*)[AGE_KEY_LEN])*pks;
	o->nage_recipients = n;
	return 0;
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
