/*
 * fuzz_age -- libFuzzer target for the age decryptor (age.h).
 *
 * Input: an age file.  It is fed in pieces (sizes from the first byte) to
 * a header-only decryptor and to one holding the identity of the CCTV
 * "x25519" vector (so mutated real files reach the payload); both must
 * either succeed or fail with a message, never crash or release more
 * plaintext than the input could hold.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/age.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ID	"AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"

static int
count(void *arg, const void *p, size_t n)
{
	(void)p;
	*(size_t *)arg += n;
	return 0;
}

static void
run(const uint8_t *data, size_t len, size_t step,
    const struct age_identity *id)
{
	struct age_dec	*d;
	size_t		 out = 0;
	int		 rc = 0;

	if ((d = age_dec_new(id, id != NULL ? 1 : 0, count, &out)) == NULL)
		abort();
	for (size_t off = 0; off < len && rc == 0; off += step)
		rc = age_dec_write(d, data + off, len - off < step ?
		    len - off : step);
	if (rc == 0)
		rc = age_dec_finish(d);
	if ((rc == 0) != (age_dec_errclass(d) == AGE_OK) ||
	    (rc != 0 && age_dec_error(d)[0] == '\0') || out > len)
		abort();
	age_dec_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct age_identity	 id;
	static int			 init;
	char				 err[128];
	size_t				 step;

	if (!init) {
		if (age_identity_parse(ID, &id, err, sizeof(err)) != 0)
			abort();
		init = 1;
	}
	if (len < 1)
		return 0;
	step = 1 + (size_t)data[0] * 37;
	run(data + 1, len - 1, step, NULL);
	run(data + 1, len - 1, step, &id);
	return 0;
}
