/*
 * cairn-compress-bench -- push a file (or stdin: "-") through the artifact
 * writer and print one line:
 *
 *	in=BYTES out=BYTES seconds=S maxrss_kib=K
 *
 * usage: cairn-compress-bench [-k] [-a RECIPIENT]... [-b BLOCK] [-c CHUNK] [-t THREADS]
 *	      [-l LEVEL] [-z gzip|zstd|none] INPUT OUTDIR
 *
 * -a encrypts the artifact to an age recipient ("age1...", repeatable).
 * -c gives writer_write() CHUNK bytes at a time (default: whatever one
 * read() returns, up to 256 KiB), to measure the cost of small writes such
 * as one row at a time.  The artifact is removed afterwards unless -k.  Run by
 * bench/compress.sh; never installed.
 */
#include "config.h"

#include <sys/resource.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/util.h"
#include "cairn/age.h"
#include "cairn/writer.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: cairn-compress-bench [-k] [-a RECIPIENT] [-b BLOCK] "
	    "[-c CHUNK] [-t THREADS] [-l LEVEL] [-z gzip|zstd|none] "
	    "INPUT OUTDIR\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct writer_opts	 o = { .compression = COMPRESS_GZIP };
	static unsigned char	 pks[8][32];
	struct artifact_info	 info;
	struct writer		*w;
	struct rusage		 ru;
	static char		 buf[256 * 1024];
	char			 name[64], errbuf[512];
	int64_t			 t0, t1;
	size_t			 chunk = 0, off, len;
	ssize_t			 n;
	int			 ch, dfd, in, keep = 0;

	while ((ch = getopt(argc, argv, "a:b:c:kl:t:z:")) != -1) {
		switch (ch) {
		case 'a':
			if (o.nage_recipients == 8)
				errx(2, "too many recipients");
			if (age_recipient_parse(optarg, pks[o.nage_recipients],
			    errbuf, sizeof(errbuf)) == -1)
				errx(2, "%s: %s", optarg, errbuf);
			o.nage_recipients++;
			o.age_recipients = (const unsigned char (*)[32])pks;
			break;
		case 'b':
			o.block_size = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			chunk = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			keep = 1;
			break;
		case 'l':
			o.level = atoi(optarg);
			break;
		case 't':
			o.threads = atoi(optarg);
			break;
		case 'z':
			if (strcmp(optarg, "gzip") == 0)
				o.compression = COMPRESS_GZIP;
			else if (strcmp(optarg, "zstd") == 0)
				o.compression = COMPRESS_ZSTD;
			else if (strcmp(optarg, "none") == 0)
				o.compression = COMPRESS_NONE;
			else
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	if (strcmp(argv[0], "-") == 0)
		in = STDIN_FILENO;
	else if ((in = open(argv[0], O_RDONLY | O_CLOEXEC)) == -1)
		err(66, "%s", argv[0]);
	if ((dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(66, "%s", argv[1]);
	snprintf(name, sizeof(name), "bench-%ld.sql%s%s", (long)getpid(),
	    writer_suffix(o.compression), o.nage_recipients > 0 ? AGE_SUFFIX :
	    "");

	t0 = util_now_ms();
	if ((w = writer_open(dfd, name, &o)) == NULL)
		err(73, "%s/%s", argv[1], name);
	for (;;) {
		if ((n = read(in, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			err(74, "%s", argv[0]);
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n; off += len) {
			len = chunk == 0 || chunk > n - off ? n - off : chunk;
			if (writer_write(w, buf + off, len) == -1)
				errx(74, "%s", writer_error(w));
		}
	}
	if (writer_commit(w, &info, errbuf, sizeof(errbuf)) == -1)
		errx(74, "%s", errbuf);
	t1 = util_now_ms();
	getrusage(RUSAGE_SELF, &ru);
	printf("in=%llu out=%llu seconds=%.3f maxrss_kib=%ld\n",
	    (unsigned long long)info.raw_bytes,
	    (unsigned long long)info.stored_bytes, (t1 - t0) / 1000.0,
	    ru.ru_maxrss);
	if (!keep)
		(void)unlinkat(dfd, name, 0);
	else
		fprintf(stderr, "%s/%s sha256=%s\n", argv[1], name,
		    info.sha256_hex);
	return 0;
}
