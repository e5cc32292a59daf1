/*
 * rebuild.c -- cairnctl catalog-rebuild: a new catalog from the files in
 * the backup folder, the old one kept aside (docs/audit-and-catalog.md).
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/catalog.h"
#include "cairn/errors.h"
#include "engine.h"
#include "cairn/lock.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "cairnctl.h"

struct rebuild {
	struct catalog	*cat;
	const char	*dir;
	size_t		 recorded, failed;
};

/* Moves catalog.db and its -wal and -shm aside; 0, or -1 (said). */
static int
rebuild_move_aside(int dfd, const char *dir, char *aside, size_t len)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char	 stamp[32], from[64], to[128];

	util_file_stamp(stamp, sizeof(stamp), time(NULL));
	snprintf(aside, len, "%s.damaged-%s", CATALOG_FILE, stamp);
	for (size_t i = 0; i < nitems(sfx); i++) {
		snprintf(from, sizeof(from), "%s%s", CATALOG_FILE, sfx[i]);
		snprintf(to, sizeof(to), "%s%s", aside, sfx[i]);
		if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == -1 &&
		    errno != ENOENT) {
			cli_warnx("%s/%s: cannot move it aside: %s", dir, from,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* One artifact file: read it whole, record what it holds, unverified. */
static void
rebuild_file(struct rebuild *r, int jfd, const char *job, const char *name,
    const struct stat *st)
{
	struct verify_result	 vr;
	struct verify_opts	 o;
	struct job_result	 res;
	enum job_kind		 kind;
	enum compress_kind	 comp;
	time_t			 started;
	char			 fjob[128], path[512];
	int64_t			 id;
	int			 code;

	if (catalog_parse_name(name, fjob, sizeof(fjob), &kind, &started,
	    &comp) == -1 || strcmp(fjob, job) != 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", r->dir, job);
	memset(&o, 0, sizeof(o));
	o.dir = path;
	code = verify_artifact(jfd, name, NULL, &o, &vr);
	if (strlen(vr.sha256_hex) != 64) {
		cli_warnx("%s/%s: not recorded: %s", job, name,
		    vr.message[0] != '\0' ? vr.message : cairn_strerror(code));
		r->failed++;
		verify_result_free(&vr);
		return;
	}
	memset(&res, 0, sizeof(res));
	snprintf(res.artifact, sizeof(res.artifact), "%s", name);
	res.info.raw_bytes = vr.raw_bytes;
	res.info.stored_bytes = vr.stored_bytes;
	memcpy(res.info.sha256_hex, vr.sha256_hex, sizeof(vr.sha256_hex));
	res.tables = vr.tables;		/* borrowed */
	res.ntables = vr.ntables;
	if (catalog_add(r->cat, job, kind, started, st->st_mtime, &res,
	    &id) == -1) {
		cli_warnx("%s/%s: %s", job, name, catalog_error(r->cat));
		r->failed++;
	} else {
		r->recorded++;
		printf("recorded %s/%s: %zu table%s%s%s\n", job, name,
		    vr.ntables, vr.ntables == 1 ? "" : "s",
		    code == CAIRN_E_OK ? "" : "; reads back with: ",
		    code == CAIRN_E_OK ? "" : vr.message);
	}
	verify_result_free(&vr);
}

static void
rebuild_job(struct rebuild *r, int dfd, const char *job)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 jfd;

	if ((jfd = openat(dfd, job, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return;
	if ((d = fdopendir(jfd)) == NULL) {
		close(jfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && fstatat(jfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			rebuild_file(r, jfd, job, de->d_name, &st);
	closedir(d);
}

int
cmd_catalog_rebuild(struct cli *c, int argc, char **argv)
{
	struct rebuild	 r = { .dir = c->backup_dir };
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 err[512], aside[96];
	int		 dfd, lfd;

	(void)argv;
	if (argc != 1) {
		cli_warnx("usage: catalog-rebuild");
		return CAIRN_E_USAGE;
	}
	if ((dfd = open(r.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(dfd, &st) == -1) {
		cli_warnx("%s: %s", r.dir, strerror(errno));
		return CAIRN_E_NOINPUT;
	}
	if (st.st_uid != geteuid()) {
		/* cairnd must be able to write what this makes */
		cli_warnx("%s belongs to uid %u: run catalog-rebuild as that "
		    "user (sudo -u USER cairnctl catalog-rebuild)", r.dir,
		    (unsigned)st.st_uid);
		close(dfd);
		return CAIRN_E_NOPERM;
	}
	/* held until exit: no cairnd starts on the folder meanwhile */
	if ((lfd = lock_acquire(r.dir, err, sizeof(err))) == -1) {
		cli_warnx("%s: stop cairnd first", err);
		close(dfd);
		return CAIRN_E_TEMPFAIL;
	}
	if (rebuild_move_aside(dfd, r.dir, aside, sizeof(aside)) == -1)
		goto fail;
	umask(027);
	if ((r.cat = catalog_open(r.dir, 0, err, sizeof(err))) == NULL) {
		cli_warnx("%s", err);
		goto fail;
	}
	if ((d = fdopendir(dup(dfd))) == NULL) {
		cli_warnx("%s: %s", r.dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && fstatat(dfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			rebuild_job(&r, dfd, de->d_name);
	closedir(d);
	catalog_close(r.cat);
	printf("catalog rebuilt: %zu artifact%s recorded, unverified%s; the "
	    "old catalog is %s/%s\n", r.recorded, r.recorded == 1 ? "" : "s",
	    r.failed > 0 ? " (some files could not be read)" : "", r.dir,
	    aside);
	close(lfd);
	close(dfd);
	return r.failed > 0 ? CAIRN_E_IOERR : CAIRN_E_OK;
fail:
	catalog_close(r.cat);
	close(lfd);
	close(dfd);
	return CAIRN_E_IOERR;
}
