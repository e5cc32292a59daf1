/* sha256.c -- see sha256.h */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <sodium.h>

#include "cairn/sha256.h"
#include "cairn/util.h"

/* sodium_init() picks the implementations; it is idempotent and cheap. */
static void
sha256_ready(void)
{
	static int	 ready;

	if (!ready) {
		(void)!sodium_init();
		ready = 1;
	}
}

void
sha256_hex(char out[SHA256_HEX_LEN], const void *p, size_t n)
{
	unsigned char	 md[crypto_hash_sha256_BYTES];

	sha256_ready();
	crypto_hash_sha256(md, p, n);
	util_hex(out, md, sizeof(md));
}

int
sha256_fd_hex(int fd, char out[SHA256_HEX_LEN])
{
	crypto_hash_sha256_state st;
	unsigned char		 buf[65536], md[crypto_hash_sha256_BYTES];
	ssize_t			 n;

	sha256_ready();
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)n);
	}
	crypto_hash_sha256_final(&st, md);
	util_hex(out, md, sizeof(md));
	return 0;
}
