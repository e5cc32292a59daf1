/*
 * sha256 -- SHA-256 for the supervisor's own hashing: audit-trail lines
 * and files found without a catalog row.
 *
 * Contract
 *   - libsodium underneath, not OpenSSL: the first OpenSSL digest
 *     initializes its provider machinery and adds about 2.2 MiB to the
 *     resident set, which the supervisor (8 MiB budget with 100 jobs) cannot
 *     afford for a few hashes of short lines.  Bulk hashing of artifacts in
 *     the workers (writer, verify) stays on OpenSSL's faster code; see
 *     docs/dependencies.md for the measurements.
 *   - Output is lowercase hex, 64 characters and a NUL.
 *   - sha256_fd_hex() reads fd to its end (retrying EINTR) and returns -1
 *     with errno set on a read error; it borrows fd.
 */
#ifndef CAIRN_SHA256_H
#define CAIRN_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN	65

void	sha256_hex(char out[SHA256_HEX_LEN], const void *, size_t);
int	sha256_fd_hex(int fd, char out[SHA256_HEX_LEN]);

#endif /* CAIRN_SHA256_H */
