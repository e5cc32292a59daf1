/*
 * s3-helper -- the S3 client (src/lib/s3.c) without cairnd, for the tests
 * and the benchmark:
 *   s3-helper put ENDPOINT BUCKET KEY FILE SHA256
 *   s3-helper head ENDPOINT BUCKET KEY
 *   s3-helper delete ENDPOINT BUCKET KEY
 *   s3-helper list ENDPOINT BUCKET PREFIX   (prints "KEY SIZE" lines)
 *   s3-helper get ENDPOINT BUCKET KEY FILE  (FILE "-": digest only)
 * The keys come from S3_ACCESS and S3_SECRET (default S3RVER); S3_PART_MB,
 * S3_CONCURRENCY, S3_BWLIMIT (bytes/s) tune put, S3_LIST_MAX the keys per
 * page of list.  put prints the ETag and
 * the peak resident set ("maxrss_kib N") on stdout; failures go to stderr
 * with the CAIRN_E_* code as exit status.  SIGTERM cancels an upload as
 * it cancels the upload worker's (the multipart upload is aborted).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/s3.h"

static const char *
env_or(const char *name, const char *def)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

static volatile sig_atomic_t cancelled;

static void
on_term(int sig)
{
	(void)sig;
	cancelled = 1;
}

static void
print_key(void *arg, const char *key, uint64_t size)
{
	(void)arg;
	printf("%s %" PRIu64 "\n", key, size);
}

int
main(int argc, char **argv)
{
	struct s3_params	 p;
	struct s3_head		 h;
	struct rusage		 ru;
	struct stat		 st;
	char			 err[400], etag[128];
	int			 code, fd;

	log_init("s3-helper", 0);
	signal(SIGTERM, on_term);
	if (argc < 5) {
		fprintf(stderr, "usage: s3-helper put|head|delete|list|get ENDPOINT "
		    "BUCKET KEY [FILE SHA256]\n");
		return CAIRN_E_USAGE;
	}
	if (s3_global_init() == -1)
		return CAIRN_E_SOFTWARE;
	memset(&p, 0, sizeof(p));
	p.endpoint = argv[2];
	p.region = "us-east-1";
	p.bucket = argv[3];
	p.access_key = env_or("S3_ACCESS", "S3RVER");
	p.secret_key = env_or("S3_SECRET", "S3RVER");
	p.path_style = 1;
	p.part_size = strtoull(env_or("S3_PART_MB", "8"), NULL, 10) << 20;
	p.concurrency = atoi(env_or("S3_CONCURRENCY", "4"));
	p.bandwidth_limit = strtoull(env_or("S3_BWLIMIT", "0"), NULL, 10);
	p.list_max = atoi(env_or("S3_LIST_MAX", "0"));
	p.cancel = &cancelled;
	if (strcmp(argv[1], "put") == 0 && argc == 7) {
		if ((fd = open(argv[5], O_RDONLY)) == -1 ||
		    fstat(fd, &st) == -1) {
			perror(argv[5]);
			return CAIRN_E_NOINPUT;
		}
		code = s3_upload(&p, argv[4], fd, (uint64_t)st.st_size,
		    argv[6], etag, sizeof(etag), err, sizeof(err));
		close(fd);
		getrusage(RUSAGE_SELF, &ru);
		if (code == CAIRN_E_OK)
			printf("etag %s\nmaxrss_kib %ld\n", etag, ru.ru_maxrss);
	} else if (strcmp(argv[1], "head") == 0) {
		code = s3_head(&p, argv[4], &h, err, sizeof(err));
		if (code == CAIRN_E_OK)
			printf("size %" PRIu64 "\netag %s\nsha256 %s\n", h.size,
			    h.etag, h.sha256);
	} else if (strcmp(argv[1], "delete") == 0)
		code = s3_delete(&p, argv[4], err, sizeof(err));
	else if (strcmp(argv[1], "get") == 0 && argc == 6) {
		char	 sha[65];

		fd = strcmp(argv[5], "-") == 0 ? -1 : open(argv[5],
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 && strcmp(argv[5], "-") != 0) {
			perror(argv[5]);
			return CAIRN_E_CANTCREAT;
		}
		code = s3_get(&p, argv[4], fd, &h, sha, err, sizeof(err));
		if (fd != -1)
			close(fd);
		getrusage(RUSAGE_SELF, &ru);
		if (code == CAIRN_E_OK)
			printf("size %" PRIu64 "\nsha256 %s\nmeta_sha256 %s\n"
			    "maxrss_kib %ld\n", h.size, sha, h.sha256,
			    ru.ru_maxrss);
	} else if (strcmp(argv[1], "list") == 0)
		code = s3_list(&p, argv[4], print_key, NULL, err, sizeof(err));
	else {
		fprintf(stderr, "s3-helper: bad command\n");
		return CAIRN_E_USAGE;
	}
	if (code != CAIRN_E_OK)
		fprintf(stderr, "s3-helper: %s\n", err);
	s3_global_cleanup();
	return code;
}
