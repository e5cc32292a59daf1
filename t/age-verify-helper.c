/*
 * t/age-verify-helper -- verify_artifact() on one (encrypted) artifact,
 * for t/76-age.sh.
 *
 * usage: age-verify-helper [-i IDENTITY_FILE] [-s SHA256] DIR NAME
 *        age-verify-helper -E MUTANTS [-i IDENTITY_FILE] DIR NAME
 *
 * Prints "LEVEL CODE message" (LEVEL: none, header or decrypted) and exits
 * 0 when every check passed, 1 when one failed, 2 on a usage or set-up
 * error.  No -s: the catalog's SHA-256 is not checked, so only the age
 * and content checks can catch a damaged file.
 *
 * -E: exhaustive damage.  For every byte of DIR/NAME, NAME with that byte
 * inverted, and NAME cut to that many bytes, are verified in its place (the
 * original is restored after); every mutant is also left in the folder
 * MUTANTS (flip-N, cut-N) for age(1).  Prints "MUTANTS MISSED" (missed:
 * mutants that passed) and exits 0 only if none passed.
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/age.h"
#include "cairn/errors.h"
#include "cairn/util.h"
#include "cairn/verify.h"

static int
put(const char *path, const unsigned char *p, size_t n)
{
	int	 fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || util_write_all(fd, p, n) == -1 || close(fd) == -1)
		err(2, "%s", path);
	return 0;
}

static int
passes(int dfd, const char *dir, const char *name, const struct verify_opts *o)
{
	struct verify_expect	 e;
	struct verify_result	 r;
	int			 code;

	verify_expect_init(&e);
	(void)dir;
	code = verify_artifact(dfd, name, &e, o, &r);
	verify_result_free(&r);
	return code == CAIRN_E_OK;
}

/* -E: every inverted byte and every truncation. */
static int
exhaustive(const char *mutants, const char *dir, int dfd, const char *name,
    const struct verify_opts *o)
{
	static unsigned char	 f[1 << 20];
	char			*path = xasprintf("%s/%s", dir, name), *m;
	size_t			 len, missed = 0, n = 0;
	ssize_t			 r;
	int			 fd;

	if ((fd = open(path, O_RDONLY)) == -1 ||
	    (r = util_read_all(fd, f, sizeof(f))) < 0)
		err(2, "%s", path);
	close(fd);
	len = (size_t)r;
	for (size_t i = 0; i < len; i++) {
		f[i] ^= 0xff;
		put(path, f, len);
		m = xasprintf("%s/flip-%zu", mutants, i);
		put(m, f, len);
		free(m);
		missed += passes(dfd, dir, name, o);
		f[i] ^= 0xff;
		put(path, f, i);
		m = xasprintf("%s/cut-%zu", mutants, i);
		put(m, f, i);
		free(m);
		missed += passes(dfd, dir, name, o);
		n += 2;
	}
	put(path, f, len);
	free(path);
	printf("%zu %zu\n", n, missed);
	return missed == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct verify_expect	 e;
	struct verify_opts	 o;
	struct verify_result	 r;
	struct age_identity	*ids = NULL;
	static char		 buf[8192];
	char			 why[192];
	const char		*idf = NULL, *mutants = NULL;
	ssize_t			 n;
	int			 ch, fd, dfd, nids = 0, code;
	static const char *const level[] = { "none", "header", "decrypted" };

	verify_expect_init(&e);
	while ((ch = getopt(argc, argv, "E:i:s:")) != -1) {
		switch (ch) {
		case 'E':
			mutants = optarg;
			break;
		case 'i':
			idf = optarg;
			break;
		case 's':
			e.sha256_hex = optarg;
			break;
		default:
			errx(2, "bad usage");
		}
	}
	if (argc - optind != 2)
		errx(2, "bad usage");
	if (idf != NULL) {
		if ((fd = open(idf, O_RDONLY)) == -1 ||
		    (n = util_read_all(fd, buf, sizeof(buf) - 1)) < 0)
			err(2, "%s", idf);
		close(fd);
		buf[n] = '\0';
		if ((nids = age_identities_parse(buf, &ids, why,
		    sizeof(why))) < 0)
			errx(2, "%s: %s", idf, why);
	}
	if ((dfd = open(argv[optind], O_RDONLY | O_DIRECTORY)) == -1)
		err(2, "%s", argv[optind]);
	memset(&o, 0, sizeof(o));
	o.dir = argv[optind];
	o.age_ids = ids;
	o.nage_ids = (size_t)nids;
	if (mutants != NULL) {
		code = exhaustive(mutants, argv[optind], dfd,
		    argv[optind + 1], &o);
		age_identities_free(ids, (size_t)nids);
		close(dfd);
		return code;
	}
	code = verify_artifact(dfd, argv[optind + 1], &e, &o, &r);
	printf("%s %d %s\n", level[r.age_level], code,
	    code == CAIRN_E_OK ? "ok" : r.message);
	verify_result_free(&r);
	age_identities_free(ids, (size_t)nids);
	close(dfd);
	return code == CAIRN_E_OK ? 0 : code == CAIRN_E_VERIFY ? 1 : 2;
}
