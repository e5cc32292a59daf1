/*
 * writer-helper -- drive the artifact writer from t/16-writer-faults.sh.
 *
 * usage: writer-helper [-r] [-a RECIPIENT]... [-g BYTES] [-f FSIZE]
 *	      [-p MARKER] [-t THREADS] [-z gzip|zstd|none] DIR NAME
 *
 * Writes BYTES of generated text (random bytes with -r), or stdin, to
 * DIR/NAME through the writer and commits.
 * -a encrypts to an age recipient ("age1...").  -f sets RLIMIT_FSIZE (and
 * ignores SIGXFSZ, as a worker must, so that write() fails with EFBIG).
 * -p creates MARKER after writing and waits to be killed, before commit.
 * Exit 0 when committed, 1 when the writer failed (its message on
 * stderr), 2 on a usage or set-up error.
 */
#include "config.h"

#include <sys/resource.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/age.h"
#include "cairn/writer.h"

int
main(int argc, char **argv)
{
	struct writer_opts	 o = { .compression = COMPRESS_GZIP };
	static unsigned char	 pks[8][32];
	struct artifact_info	 info;
	struct writer		*w;
	struct rlimit		 rl;
	static char		 buf[65536];
	char			 errbuf[512];
	const char		*marker = NULL;
	long long		 gen = -1, left;
	unsigned long		 x = 12345;
	ssize_t			 n;
	size_t			 i;
	int			 ch, dfd, rnd = 0, fd;

	while ((ch = getopt(argc, argv, "a:f:g:p:rt:z:")) != -1) {
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
		case 'f':
			rl.rlim_cur = rl.rlim_max = strtoull(optarg, NULL, 10);
			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
				err(2, "setrlimit");
			break;
		case 'g':
			gen = strtoll(optarg, NULL, 10);
			break;
		case 'p':
			marker = optarg;
			break;
		case 'r':
			rnd = 1;
			break;
		case 't':
			o.threads = atoi(optarg);
			break;
		case 'z':
			o.compression = strcmp(optarg, "zstd") == 0 ?
			    COMPRESS_ZSTD : strcmp(optarg, "none") == 0 ?
			    COMPRESS_NONE : COMPRESS_GZIP;
			break;
		default:
			errx(2, "bad usage");
		}
	}
	if (argc - optind != 2)
		errx(2, "bad usage");
	if ((dfd = open(argv[optind], O_RDONLY | O_DIRECTORY)) == -1)
		err(2, "%s", argv[optind]);
	if ((w = writer_open(dfd, argv[optind + 1], &o)) == NULL)
		err(2, "%s", argv[optind + 1]);
	for (left = gen;;) {
		if (gen >= 0) {
			if (left == 0)
				break;
			n = left < (long long)sizeof(buf) ? left :
			    (long long)sizeof(buf);
			for (i = 0; i < (size_t)n; i++) {
				x = x * 6364136223846793005UL + 1442695040888963407UL;
				buf[i] = rnd ? (char)(x >> 56) :
				    "INSERT INTO t VALUES (1,'abc');\n"[i % 32];
			}
			left -= n;
		} else if ((n = read(STDIN_FILENO, buf, sizeof(buf))) <= 0) {
			if (n == -1)
				err(2, "stdin");
			break;
		}
		if (writer_write(w, buf, n) == -1) {
			fprintf(stderr, "writer-helper: write: %s\n",
			    writer_error(w));
			break;		/* commit reports it again */
		}
	}
	if (marker != NULL) {
		if ((fd = open(marker, O_WRONLY | O_CREAT, 0600)) == -1)
			err(2, "%s", marker);
		close(fd);
		for (;;)
			pause();
	}
	if (writer_commit(w, &info, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "writer-helper: commit: %s\n", errbuf);
		return 1;
	}
	printf("%s %llu %llu\n", info.sha256_hex,
	    (unsigned long long)info.raw_bytes,
	    (unsigned long long)info.stored_bytes);
	return 0;
}
