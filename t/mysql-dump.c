/*
 * mysql-dump -- run the mysql dump engine directly, without cairnd (tests
 * and benchmarks only; never installed).
 *
 *   t/mysql-dump -o DIR [-n JOB] [-S socket | -h host -P port] [-u user]
 *       [-p password-file] [-d db]... [-x db.table]... [-c] [-g] [-f]
 *       [-r connect-retry] [-C connect-timeout] [-T read-timeout]
 *       [-L lock-wait-timeout] [-z gzip|zstd|none] [-l level] [-j threads]
 *       [-s epoch] [-v] [-V [-R socket]] [-w pause-file]
 *
 * On success prints "artifact NAME", "bytes RAW STORED", then one line
 * "table DB.TABLE ROWS [CHECKSUM]" per table, and exits 0.  On failure
 * prints "error CODE: MESSAGE" on stderr and exits with the CAIRN_E_* code.
 * -R SOCKET adds the verifier's restore test against the server there (as
 * root, scratch database cairn_scratch).
 * -g dumps accounts and grants (dump_grants = true).
 * SIGINT/SIGTERM cancel the dump.  -v prints progress lines on stderr.
 * -V then runs the verifier (verify_artifact(), no restore test) on the
 * artifact with the engine's results as the expectation and prints
 * "verify ok" or "verify failed: MESSAGE" (exit CAIRN_E_VERIFY).
 * -w FILE pauses the dump in the middle of a table's rows (at the first
 * progress report with rows done): it creates FILE and waits until
 * something removes it, so a test can break the server at that moment.
 * -W NAME dumps nothing: it runs the verifier on the artifact NAME in DIR
 * (no expectation; a MySQL dump or, by its name, a SQLite snapshot) and
 * prints "verify ok" or "verify failed: MESSAGE".
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/conf.h"
#include "cairn/errors.h"
#include "engine.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "cairn/verify.h"

static volatile sig_atomic_t	 cancel;
static const char		*pause_file;
static int			 paused;

static void
on_signal(int sig)
{
	(void)sig;
	cancel = 1;
}

static void
progress(void *arg, const struct job_progress *p)
{
	int	 fd;

	if (pause_file != NULL && !paused && p->items_done > 0 &&
	    strcmp(p->current, "connecting") != 0) {
		paused = 1;
		if ((fd = open(pause_file, O_WRONLY | O_CREAT | O_EXCL, 0600))
		    != -1)
			close(fd);
		fprintf(stderr, "paused in %s after %llu rows\n", p->current,
		    (unsigned long long)p->items_done);
		while (access(pause_file, F_OK) == 0 && !cancel)
			usleep(20000);
	}
	if (*(int *)arg)
		fprintf(stderr, "progress %s rows %llu/%llu in %llu out %llu\n",
		    p->current, (unsigned long long)p->items_done,
		    (unsigned long long)p->items_total,
		    (unsigned long long)p->bytes_in,
		    (unsigned long long)p->bytes_out);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mysql-dump -o dir [-n job] [-S socket | "
	    "-h host -P port] [-u user] [-p password-file] [-d db]... "
	    "[-x db.table]... [-cfgv] [-r secs] [-C secs] [-T secs] [-L secs] "
	    "[-z gzip|zstd|none] [-l level] [-j threads] [-s epoch] "
	    "[-V [-R socket]] [-w pause-file]\n");
	exit(CAIRN_E_USAGE);
}

static char **
push(char **v, size_t *n, const char *s)
{
	v = xreallocarray(v, *n + 2, sizeof(*v));
	v[(*n)++] = xstrdup(s);
	v[*n] = NULL;
	return v;
}

int
main(int argc, char *argv[])
{
	struct job_conf		 job;
	struct job_env		 env;
	struct job_result	 res;
	struct sigaction	 sa;
	const char		*dir = NULL, *verify_only = NULL;
	char			*restore_sock = NULL;
	char			 pw[512], **dbs = NULL, **xs = NULL;
	size_t			 ndbs = 0, nxs = 0, i;
	int			 ch, rc, verbose = 0, fd, verify = 0;
	ssize_t			 n;

	log_init("mysql-dump", 0);
	memset(&job, 0, sizeof(job));
	memset(&env, 0, sizeof(env));
	job.name = "test";
	job.kind = JOB_MYSQL;
	job.compression = COMPRESS_GZIP;
	job.compression_level = 6;
	job.db.user = "root";
	job.db.port = 3306;
	job.db.ssl_mode = SSL_MODE_PREFERRED;
	job.db.connect_timeout = 10;
	job.db.read_timeout = 300;
	job.lock_wait_timeout = 60;
	job.connect_retry = 120;
	env.started = time(NULL);
	env.file_mode = 0600;

	while ((ch = getopt(argc, argv, "o:n:S:h:P:u:p:d:x:cgfr:R:C:T:L:z:l:j:s:vVw:W:"))
	    != -1) {
		switch (ch) {
		case 'o':	dir = optarg; break;
		case 'n':	job.name = optarg; break;
		case 'S':	job.db.socket = optarg; break;
		case 'h':	job.db.host = optarg; break;
		case 'P':	job.db.port = atoi(optarg); break;
		case 'u':	job.db.user = optarg; break;
		case 'p':
			if ((fd = open(optarg, O_RDONLY | O_CLOEXEC)) == -1 ||
			    (n = util_read_all(fd, pw, sizeof(pw) - 1)) < 0) {
				perror(optarg);
				return CAIRN_E_NOINPUT;
			}
			close(fd);
			pw[n] = '\0';
			pw[strcspn(pw, "\n")] = '\0';
			env.password = pw;
			break;
		case 'd':	dbs = push(dbs, &ndbs, optarg); break;
		case 'x':	xs = push(xs, &nxs, optarg); break;
		case 'c':	job.checksum = true; break;
		case 'g':	job.dump_grants = true; break;
		case 'f':	env.first_run = 1; break;
		case 'r':	job.connect_retry = atoi(optarg); break;
		case 'C':	job.db.connect_timeout = atoi(optarg); break;
		case 'T':	job.db.read_timeout = atoi(optarg); break;
		case 'L':	job.lock_wait_timeout = atoi(optarg); break;
		case 'z':
			if (strcmp(optarg, "gzip") == 0)
				job.compression = COMPRESS_GZIP;
			else if (strcmp(optarg, "zstd") == 0)
				job.compression = COMPRESS_ZSTD;
			else if (strcmp(optarg, "none") == 0)
				job.compression = COMPRESS_NONE;
			else
				usage();
			break;
		case 'l':	job.compression_level = atoi(optarg); break;
		case 'j':	job.compression_threads = atoi(optarg); break;
		case 's':	env.started = (time_t)atoll(optarg); break;
		case 'v':	verbose = 1; break;
		case 'w':	pause_file = optarg; break;
		case 'V':	verify = 1; break;
		case 'R':	restore_sock = optarg; break;
		case 'W':	verify_only = optarg; break;
		default:	usage();
		}
	}
	if (optind != argc || dir == NULL)
		usage();
	job.databases = dbs;
	job.exclude_tables = xs;
	if ((env.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		perror(dir);
		return CAIRN_E_CANTCREAT;
	}
	env.job = &job;
	env.dir = dir;
	env.progress = progress;
	env.progress_arg = &verbose;
	env.cancel = &cancel;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (verify_only != NULL) {
		struct verify_expect	 ve;
		struct verify_opts	 vo;
		struct verify_result	 vr;

		verify_expect_init(&ve);
		ve.kind = VERIFY_KIND_AUTO;	/* bench/verify.sh: SQLite too */
		memset(&vo, 0, sizeof(vo));
		vo.dir = dir;
		memset(&vr, 0, sizeof(vr));
		rc = verify_artifact(env.dirfd, verify_only, &ve, &vo, &vr);
		if (rc == CAIRN_E_OK)
			printf("verify ok\n");
		else
			printf("verify failed: %s\n", vr.message);
		verify_result_free(&vr);
		close(env.dirfd);
		return rc;
	}
	rc = job_mysql_run(&env, &res);
	if (rc != CAIRN_E_OK)
		fprintf(stderr, "error %d: %s\n", rc, res.message);
	else {
		printf("artifact %s\n", res.artifact);
		printf("bytes %llu %llu\n",
		    (unsigned long long)res.info.raw_bytes,
		    (unsigned long long)res.info.stored_bytes);
		for (i = 0; i < res.ntables; i++) {
			printf("table %s %llu", res.tables[i].name,
			    (unsigned long long)res.tables[i].rows);
			if (res.tables[i].has_checksum)
				printf(" %llu", (unsigned long long)
				    res.tables[i].checksum);
			printf("\n");
		}
	}
	if (rc == CAIRN_E_OK && verify) {
		struct verify_expect	 ve;
		struct verify_opts	 vo;
		struct verify_result	 vr;
		struct db_conn		 tc;
		char			 root[] = "root";

		verify_expect_init(&ve);
		ve.kind = VERIFY_KIND_MYSQL;
		ve.sha256_hex = res.info.sha256_hex;
		ve.raw_bytes = (int64_t)res.info.raw_bytes;
		ve.stored_bytes = (int64_t)res.info.stored_bytes;
		ve.tables = res.tables;
		ve.ntables = res.ntables;
		memset(&vo, 0, sizeof(vo));
		vo.dir = dir;
		if (restore_sock != NULL) {
			memset(&tc, 0, sizeof(tc));
			tc.socket = restore_sock;
			tc.user = root;
			vo.restore_test = true;
			vo.target = &tc;
			vo.target_database = "cairn_scratch";
		}
		memset(&vr, 0, sizeof(vr));
		rc = verify_artifact(env.dirfd, res.artifact, &ve, &vo, &vr);
		if (rc == CAIRN_E_OK)
			printf("verify ok\n");
		else
			printf("verify failed: %s\n", vr.message);
		verify_result_free(&vr);
	}
	job_result_free(&res);
	close(env.dirfd);
	for (i = 0; i < ndbs; i++)
		free(dbs[i]);
	for (i = 0; i < nxs; i++)
		free(xs[i]);
	free(dbs);
	free(xs);
	return rc;
}
