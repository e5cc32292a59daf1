/*
 * fetch.c -- cairnctl restore --remote: download an artifact's off-site
 * copy so that restore.c restores it like a local file (docs/offsite.md).
 *
 * The object PREFIX JOB/NAME of the config's `s3 REMOTE` section is
 * streamed (s3_get(): bounded memory, whatever its size) into a private
 * folder (mode 0700) under $TMPDIR or /var/tmp, under its own name so
 * the restore code reads the job and kind from it.  Its SHA-256 is
 * computed on the way and must equal the x-amz-meta-sha256 that cairn
 * stored with the object, and its size the one announced; anything else
 * is refused and the download removed.  The catalog's SHA-256, when the
 * backup folder has one, is checked afterwards by restore.c as for any
 * artifact.  The keys come from the section's key files (readable by the
 * user running cairnctl), never from argv or the environment.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/catalog.h"
#include "cairn/errors.h"
#include "cairn/s3.h"
#include "cairn/util.h"
#include "cairnctl.h"

/* The first line of a key file, not empty; NULL (message printed) if not. */
static char *
fetch_key(const char *remote, const char *what, const char *path)
{
	char	*label, *key = NULL;

	label = xasprintf("restore: s3 %s: %s", remote, what);
	if (cli_read_secret(label, path, &key) == 0 && key[0] == '\0') {
		cli_warnx("%s %s: empty", label, path);
		cli_free_secret(key);
		key = NULL;
	}
	free(label);
	return key;
}

/* "JOB/NAME" or "NAME": the artifact's name and job, checked. */
static int
fetch_name(const char *arg, char *name, size_t namelen, char *job,
    size_t joblen)
{
	const char		*slash = strrchr(arg, '/');
	enum job_kind		 kind;
	enum compress_kind	 ck;
	time_t			 t;

	snprintf(name, namelen, "%s", slash != NULL ? slash + 1 : arg);
	if (catalog_parse_name(name, job, joblen, &kind, &t, &ck) == -1) {
		cli_warnx("restore: %s: not an artifact name (expected "
		    "[JOB/]JOB_backup_YYYYMMDD_HHMMSS.sql.gz or .db.gz, maybe "
		    ".age)", arg);
		return CAIRN_E_USAGE;
	}
	if (slash != NULL && ((size_t)(slash - arg) != strlen(job) ||
	    strncmp(arg, job, strlen(job)) != 0)) {
		cli_warnx("restore: %s: the folder is not the job %s", arg,
		    job);
		return CAIRN_E_USAGE;
	}
	return CAIRN_E_OK;
}

/* Downloads key into f->path; checks size and SHA-256. */
static int
fetch_get(const struct s3_params *sp, const char *remote, const char *key,
    struct fetched *f)
{
	struct s3_head	 h;
	char		 sha[65], err[400];
	int		 fd, code;

	if ((fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		cli_warnx("restore: %s: %s", f->path, strerror(errno));
		return CAIRN_E_CANTCREAT;
	}
	code = s3_get(sp, key, fd, &h, sha, err, sizeof(err));
	if (code == CAIRN_E_OK && fsync(fd) == -1) {
		snprintf(err, sizeof(err), "%s: fsync: %s", f->path,
		    strerror(errno));
		code = CAIRN_E_IOERR;
	}
	close(fd);
	if (code != CAIRN_E_OK) {
		cli_warnx("restore: s3 %s: %s", remote, err);
		return code;
	}
	if (strlen(h.sha256) != 64) {
		cli_warnx("restore: s3 %s: %s has no x-amz-meta-sha256: not "
		    "an upload of cairn, its bytes cannot be checked", remote,
		    key);
		return CAIRN_E_VERIFY;
	}
	if (strcmp(h.sha256, sha) != 0) {
		cli_warnx("restore: s3 %s: %s: the downloaded bytes have "
		    "SHA-256 %s, the object's metadata says %s", remote, key,
		    sha, h.sha256);
		return CAIRN_E_VERIFY;
	}
	fprintf(stderr, "cairnctl: restore: downloaded %s from %s "
	    "(%llu bytes, SHA-256 as stored with it)\n", key, remote,
	    (unsigned long long)h.size);
	return CAIRN_E_OK;
}

int
fetch_remote(struct cli *c, const char *remote, const char *arg,
    struct fetched *f)
{
	const struct s3_conf	*r;
	struct s3_params	 sp;
	const char		*tmp = getenv("TMPDIR");
	char			 name[256], job[128], *key;
	int			 code;

	memset(f, 0, sizeof(*f));
	if (c->conf == NULL || (r = conf_s3_find(c->conf, remote)) == NULL) {
		cli_warnx("restore: --remote %s: no s3 section of that name "
		    "in %s", remote, c->conf != NULL ? "the config" :
		    "a config (give it with -f FILE)");
		return CAIRN_E_CONFIG;
	}
	if ((code = fetch_name(arg, name, sizeof(name), job, sizeof(job))) !=
	    CAIRN_E_OK)
		return code;
	memset(&sp, 0, sizeof(sp));
	sp.endpoint = r->endpoint;
	sp.region = r->region;
	sp.bucket = r->bucket;
	sp.path_style = r->path_style;
	sp.access_key = fetch_key(remote, "access_key_file",
	    r->access_key_file);
	sp.secret_key = sp.access_key == NULL ? NULL : fetch_key(remote,
	    "secret_key_file", r->secret_key_file);
	if (sp.access_key == NULL || sp.secret_key == NULL) {
		cli_free_secret((char *)sp.access_key);
		return CAIRN_E_NOPERM;
	}
	f->dir = xasprintf("%s/cairn-fetch.XXXXXX", tmp != NULL &&
	    tmp[0] == '/' ? tmp : "/var/tmp");
	if (mkdtemp(f->dir) == NULL) {
		cli_warnx("restore: %s: %s", f->dir, strerror(errno));
		free(f->dir);
		f->dir = NULL;
		code = CAIRN_E_CANTCREAT;
	} else if (s3_global_init() == -1) {
		cli_warnx("restore: cannot load libcurl");
		code = CAIRN_E_SOFTWARE;
	} else {
		f->path = xasprintf("%s/%s", f->dir, name);
		key = xasprintf("%s%s/%s", r->prefix, job, name);
		code = fetch_get(&sp, remote, key, f);
		free(key);
		s3_global_cleanup();
	}
	cli_free_secret((char *)sp.access_key);
	cli_free_secret((char *)sp.secret_key);
	if (code != CAIRN_E_OK)
		fetch_cleanup(f);
	return code;
}

void
fetch_cleanup(struct fetched *f)
{
	if (f->path != NULL)
		(void)unlink(f->path);
	if (f->dir != NULL)
		(void)rmdir(f->dir);
	free(f->path);
	free(f->dir);
	memset(f, 0, sizeof(*f));
}
