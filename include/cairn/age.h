/*
 * age -- files in the age format (C2SP age v1), X25519 recipients only,
 * built on libsodium.
 *
 * Contract
 *   - Keys: age_recipient_parse() takes "age1..." (Bech32, HRP "age"),
 *     age_identity_parse() "AGE-SECRET-KEY-1..." and derives the public
 *     key.  Both return 0, or -1 with a reason in err; neither ever puts
 *     key material in err.  age_identity_wipe() zeroes a secret key.
 *   - Encryption (age_enc): age_enc_new() makes a fresh 16-byte file key
 *     and payload nonce, wraps the key for every recipient and hands the
 *     header and nonce to `out`; age_enc_write() takes plaintext in any
 *     pieces and hands out 64 KiB STREAM chunks as they fill;
 *     age_enc_finish() seals the last chunk (flagged last; empty only for
 *     an empty payload).  `out` returns 0 or -1 (sticky failure of the
 *     encryptor; the callback keeps errno).  Nothing but ciphertext and
 *     the public header ever reaches `out`.
 *   - Decryption (age_dec): bytes are pushed in any pieces through
 *     age_dec_write() and age_dec_finish().  With identities, the header is
 *     parsed strictly (canonical base64, 64-column bodies, argument syntax),
 *     a matching X25519 stanza unwraps the file key, the header MAC is
 *     checked, then each chunk is authenticated before its plaintext goes
 *     to `out`: plaintext released is always authentic, and truncation,
 *     reordering, a missing or repeated last chunk or trailing bytes are
 *     errors.  With no identity (header-only mode) the header is parsed the
 *     same way, X25519 stanzas checked for form, the MAC for length, and the
 *     payload length for a possible chunk layout; nothing is decrypted.
 *   - Errors are sticky: -1, an enum age_err class and a one-line message
 *     (age_dec_error()), naming the byte offset or chunk where it is known.
 *   - Memory: one 64 KiB chunk plus the header (at most AGE_HEADER_MAX).
 *     Owners free with age_enc_free()/age_dec_free(); both wipe keys.
 *   See docs/encryption.md.
 */
#ifndef CAIRN_AGE_H
#define CAIRN_AGE_H

#include <stddef.h>
#include <stdint.h>

#define AGE_SUFFIX		".age"
#define AGE_CHUNK		65536
#define AGE_TAG			16
#define AGE_HEADER_MAX		(1024 * 1024)
#define AGE_KEY_LEN		32

struct age_identity {
	unsigned char	 sk[AGE_KEY_LEN];
	unsigned char	 pk[AGE_KEY_LEN];
};

enum age_err {
	AGE_OK,
	AGE_ERR_HEADER,		/* the header does not parse */
	AGE_ERR_UNSUPPORTED,	/* a version or stanza we cannot open */
	AGE_ERR_NOMATCH,	/* no identity unwraps a stanza */
	AGE_ERR_MAC,		/* header MAC mismatch */
	AGE_ERR_PAYLOAD,	/* a chunk fails, truncation, trailing data */
	AGE_ERR_OUTPUT,		/* the out callback failed */
};

typedef int	(*age_out_fn)(void *arg, const void *, size_t);

int	 age_recipient_parse(const char *, unsigned char pk[AGE_KEY_LEN],
	    char *err, size_t errlen);
int	 age_identity_parse(const char *, struct age_identity *,
	    char *err, size_t errlen);
/*
 * An identity file's text: one key a line, '#' comments and blank lines
 * skipped.  Returns the number of identities (>= 1) in a new array
 * (*ids, free with age_identities_free()), or -1 with "line N: why".
 */
int	 age_identities_parse(const char *text, struct age_identity **ids,
	    char *err, size_t errlen);
void	 age_identities_free(struct age_identity *, size_t n);
/* "SHA256:" and 16 hex digits of the public key's SHA-256. */
void	 age_fingerprint(char out[24], const unsigned char pk[AGE_KEY_LEN]);
/* Does NAME end in ".age"? */
int	 age_is_encrypted_name(const char *name);

struct age_enc;
/* NULL with errno (EINVAL: no recipients) when it cannot start. */
struct age_enc	*age_enc_new(const unsigned char (*pks)[AGE_KEY_LEN],
		    size_t npks, age_out_fn, void *arg);
int		 age_enc_write(struct age_enc *, const void *, size_t);
int		 age_enc_finish(struct age_enc *);
void		 age_enc_free(struct age_enc *);

struct age_dec;
/* ids: NULL/0 for header-only mode.  Borrows ids until freed. */
struct age_dec	*age_dec_new(const struct age_identity *ids, size_t nids,
		    age_out_fn, void *arg);
int		 age_dec_write(struct age_dec *, const void *, size_t);
int		 age_dec_finish(struct age_dec *);
enum age_err	 age_dec_errclass(const struct age_dec *);
const char	*age_dec_error(const struct age_dec *);
/* Stanzas in the header, once parsed (X25519 ones in *nx25519). */
size_t		 age_dec_stanzas(const struct age_dec *, size_t *nx25519);
void		 age_dec_free(struct age_dec *);

#endif /* CAIRN_AGE_H */
