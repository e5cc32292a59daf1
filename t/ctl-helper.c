/*
 * ctl-helper -- build a backup folder for t/81-cairnctl.sh with the real
 * writer, catalog and audit modules.
 *
 * usage: ctl-helper add DIR JOB mysql|sqlite STAMP   (data on stdin)
 *            writes DIR/JOB/JOB_backup_STAMP.{sql,db}.gz through the
 *            artifact writer and records it in DIR/catalog.db; prints
 *            "JOB/NAME"
 *        ctl-helper verified DIR JOB/NAME ok|failed
 *        ctl-helper audit FILE N    appends N events to the audit trail
 * Exit 0 on success, 1 on failure (message on stderr).
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "engine.h"
#include "cairn/writer.h"

static time_t
stamp_time(const char *s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y%m%d_%H%M%S", &tm) == NULL)
		errx(1, "bad stamp %s", s);
	return timegm(&tm);
}

static int
add(const char *dir, const char *job, const char *kind, const char *stamp)
{
	struct writer_opts	 o = { .compression = COMPRESS_GZIP,
	    .threads = 1 };
	struct job_result	 res;
	struct catalog		*cat;
	struct writer		*w;
	static char		 buf[65536];
	char			 path[1024], e[512];
	ssize_t			 n;
	int64_t			 id;
	int			 dfd;
	enum job_kind		 k = strcmp(kind, "mysql") == 0 ? JOB_MYSQL :
				    JOB_SQLITE;

	memset(&res, 0, sizeof(res));
	snprintf(path, sizeof(path), "%s/%s", dir, job);
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		err(1, "%s", path);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		err(1, "%s", path);
	snprintf(res.artifact, sizeof(res.artifact), "%s_backup_%s.%s.gz",
	    job, stamp, k == JOB_MYSQL ? "sql" : "db");
	if ((w = writer_open(dfd, res.artifact, &o)) == NULL)
		err(1, "writer_open");
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (writer_write(w, buf, (size_t)n) == -1)
			errx(1, "writer: %s", writer_error(w));
	if (writer_commit(w, &res.info, e, sizeof(e)) == -1)
		errx(1, "commit: %s", e);
	close(dfd);
	if ((cat = catalog_open(dir, 0, e, sizeof(e))) == NULL)
		errx(1, "catalog: %s", e);
	if (catalog_add(cat, job, k, stamp_time(stamp), stamp_time(stamp) + 5,
	    &res, &id) == -1)
		errx(1, "catalog_add: %s", catalog_error(cat));
	catalog_close(cat);
	printf("%s/%s\n", job, res.artifact);
	return 0;
}

static int
verified(const char *dir, const char *rel, const char *how)
{
	struct catalog	*cat;
	struct artifact	 a;
	char		 e[512];
	int		 good = strcmp(how, "ok") == 0;

	if ((cat = catalog_open(dir, 0, e, sizeof(e))) == NULL)
		errx(1, "catalog: %s", e);
	if (catalog_find(cat, rel, &a) == -1 ||
	    catalog_set_verified(cat, a.id, good, time(NULL), good ? "ok" :
	    "sha256 mismatch") == -1)
		errx(1, "catalog: %s", catalog_error(cat));
	catalog_close(cat);
	return 0;
}

static int
audit(const char *path, int n)
{
	struct audit	*a;
	char		 e[512];

	if ((a = audit_open(path, e, sizeof(e))) == NULL)
		errx(1, "audit: %s", e);
	for (int i = 0; i < n; i++)
		if (audit_write(a, "job_started", AF_STR("job", "shop"),
		    AF_INT("gen", i + 1)) == -1)
			err(1, "audit_write");
	audit_close(a);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "add") == 0)
		return add(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[1], "verified") == 0)
		return verified(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "audit") == 0)
		return audit(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: ctl-helper add DIR JOB KIND STAMP | verified "
	    "DIR JOB/NAME ok|failed | audit FILE N\n");
	return 2;
}
