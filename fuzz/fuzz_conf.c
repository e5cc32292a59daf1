/*
 * fuzz_conf -- libFuzzer target for conf_load(): the ${VAR} and
 * ${VAR:-default} expansion pass, libconfuse's parser and every check
 * after it, on a whole cairn.conf made of the fuzzed bytes.
 *
 * The input is written to a file in a private temp folder (conf_load()
 * reads a path), which also holds "good.password" and is named by
 * ${CAIRN_FUZZ_DIR}, so seeds can name readable files.  CAIRN_FUZZ_HOST
 * is set, CAIRN_FUZZ_EMPTY is set but empty, CAIRN_FUZZ_UNSET is not set.
 *
 * Checks: a load that fails prints at least one message, and every line
 * printed names the file first ("PATH:" or "PATH: warning:"); a load that
 * works gives jobs with names that conf_job_find() finds again and a
 * summary.  The conf is freed either way, so LeakSanitizer sees any leak.
 * A failed check aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/conf.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[] = "/tmp/cairn-fuzz-conf.XXXXXX";
static char	 path[sizeof(dir) + 16];
static char	 pwfile[sizeof(dir) + 16];

static void
cleanup(void)
{
	unlink(path);
	unlink(pwfile);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	 fd;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/cairn.conf", dir);
	snprintf(pwfile, sizeof(pwfile), "%s/good.password", dir);
	if ((fd = open(pwfile, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (write(fd, "secret\n", 7) != 7)
		abort();
	close(fd);
	atexit(cleanup);
	setenv("CAIRN_FUZZ_DIR", dir, 1);
	setenv("CAIRN_FUZZ_HOST", "db.example.net", 1);
	setenv("CAIRN_FUZZ_EMPTY", "", 1);
	unsetenv("CAIRN_FUZZ_UNSET");
	unsetenv("BACKUP_RETENTION_DAYS");
	return 0;
}

/* Every line of out starts with "PATH:"; at least one line if need_one. */
static void
check_messages(const char *out, size_t len, int need_one)
{
	size_t		 plen = strlen(path), i = 0, nlines = 0;
	const char	*nl;

	while (i < len) {
		if (len - i < plen + 1 || memcmp(out + i, path, plen) != 0 ||
		    out[i + plen] != ':')
			abort();
		if ((nl = memchr(out + i, '\n', len - i)) == NULL)
			abort();	/* every message ends its line */
		i = (size_t)(nl - out) + 1;
		nlines++;
	}
	if (need_one && nlines == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf	*cf;
	FILE		*errs, *null;
	char		*out = NULL;
	size_t		 outlen = 0, i;
	int		 fd;

	if (len > 64 * 1024)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || (len > 0 && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);

	if ((errs = open_memstream(&out, &outlen)) == NULL)
		abort();
	cf = conf_load(path, errs);
	fclose(errs);
	if (cf == NULL) {
		if (errno != EINVAL)
			abort();
		check_messages(out, outlen, 1);
	} else {
		check_messages(out, outlen, 0);
		if (cf->backup_dir == NULL || cf->backup_dir[0] != '/' ||
		    cf->audit_log == NULL || cf->log_file == NULL ||
		    cf->timezone == NULL)
			abort();
		for (i = 0; i < cf->njobs; i++) {
			if (cf->jobs[i].name == NULL ||
			    cf->jobs[i].name[0] == '\0' ||
			    conf_job_find(cf, cf->jobs[i].name) != &cf->jobs[i])
				abort();
			if (cf->jobs[i].kind != JOB_MYSQL &&
			    cf->jobs[i].kind != JOB_SQLITE)
				abort();
		}
		if ((null = fopen("/dev/null", "w")) == NULL)
			abort();
		conf_summary(cf, null);
		fclose(null);
		conf_free(cf);
	}
	free(out);
	return 0;
}
