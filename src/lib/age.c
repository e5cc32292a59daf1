/* age.c -- see age.h, docs/encryption.md and the C2SP age specification */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cairn/age.h"
#include "cairn/util.h"

#define AGE_VERSION_LINE	"age-encryption.org/v1\n"
#define AGE_X25519_INFO		"age-encryption.org/v1/X25519"
#define AGE_FILE_KEY		16
#define AGE_NONCE		16
#define AGE_CT_CHUNK		(AGE_CHUNK + AGE_TAG)
#define AGE_B64_COLS		64

/* ---- HKDF-SHA-256 (RFC 5869) from libsodium's HMAC; L <= 32 ---- */

static void
hkdf32(unsigned char out[32], const unsigned char *ikm, size_t ikmlen,
    const unsigned char *salt, size_t saltlen, const char *info)
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 prk[32];
	const unsigned char		 one = 1;

	/* extract: PRK = HMAC(salt, IKM); an empty salt is HashLen zeros,
	 * which HMAC's key padding makes the same as a zero-length key */
	crypto_auth_hmacsha256_init(&st, salt != NULL ? salt :
	    (const unsigned char *)"", saltlen);
	crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	/* expand, one block: T(1) = HMAC(PRK, info | 0x01) */
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)info,
	    strlen(info));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(&st, sizeof(st));
}

static void
header_mac(unsigned char mac[32], const unsigned char file_key[AGE_FILE_KEY],
    const void *hdr, size_t len)
{
	unsigned char	 key[32];

	hkdf32(key, file_key, AGE_FILE_KEY, NULL, 0, "header");
	crypto_auth_hmacsha256(mac, hdr, len, key);
	sodium_memzero(key, sizeof(key));
}

static void
payload_key(unsigned char key[32], const unsigned char file_key[AGE_FILE_KEY],
    const unsigned char nonce[AGE_NONCE])
{
	hkdf32(key, file_key, AGE_FILE_KEY, nonce, AGE_NONCE, "payload");
}

/* The X25519 wrap key: salt = share | recipient. */
static int
x25519_wrap_key(unsigned char key[32], const unsigned char shared[32],
    const unsigned char share[32], const unsigned char pk[32])
{
	unsigned char	 salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	hkdf32(key, shared, 32, salt, sizeof(salt), AGE_X25519_INFO);
	return 0;
}

/* STREAM nonce: 11-byte big-endian counter, then the last flag. */
static void
stream_nonce(unsigned char n[12], uint64_t counter, int last)
{
	memset(n, 0, 12);
	for (int i = 10; i >= 3; i--) {
		n[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	n[11] = last ? 1 : 0;
}

/* ---- base64 (unpadded, canonical) ---- */

static int
b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Decode exactly `want` bytes (or up to `cap` when want is 0) from s[len];
 * libsodium refuses non-zero padding bits, i.e. non-canonical input.
 * Returns the length, or -1. */
static ssize_t
b64_decode(unsigned char *out, size_t cap, const char *s, size_t len)
{
	size_t		 n = 0;
	const char	*end = NULL;

	for (size_t i = 0; i < len; i++)
		if (!b64_char((unsigned char)s[i]))
			return -1;
	if (len == 0)
		return 0;
	if (sodium_base642bin(out, cap, s, len, NULL, &n, &end,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    end != s + len)
		return -1;
	return (ssize_t)n;
}

/* ---- Bech32 (BIP 173, no length limit) ---- */

static const char	 bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
bech32_polymod_step(uint32_t chk, unsigned v)
{
	static const uint32_t	 gen[5] = { 0x3b6a57b2, 0x26508e6d,
	    0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };
	uint32_t		 top = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

/*
 * Decode s (all lower or all upper case) whose HRP must equal hrp
 * (compared case-insensitively) into exactly 32 bytes.
 */
static int
bech32_decode32(const char *s, const char *hrp, unsigned char out[32],
    char *err, size_t errlen)
{
	size_t		 len = strlen(s), hlen = strlen(hrp), sep, ndata;
	int		 lower = 0, upper = 0;
	uint32_t	 chk = 1, acc = 0;
	unsigned	 bits = 0;
	size_t		 nout = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c < 33 || c > 126)
			return util_fail(err, errlen, 0,
			    "character %zu is not printable ASCII", i + 1);
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
	}
	if (lower && upper)
		return util_fail(err, errlen, 0, "mixed upper and lower case");
	sep = len;
	while (sep > 0 && s[sep - 1] != '1')
		sep--;
	if (sep == 0)
		return util_fail(err, errlen, 0, "no Bech32 separator '1'");
	sep--;
	if (sep != hlen || strncasecmp(s, hrp, hlen) != 0)
		return util_fail(err, errlen, 0, "expected the prefix \"%s1\"",
		    hrp);
	ndata = len - sep - 1;
	if (ndata < 6)
		return util_fail(err, errlen, 0, "too short");
	for (size_t i = 0; i < hlen; i++)
		chk = bech32_polymod_step(chk, (unsigned)(s[i] | 0x20) >> 5);
	chk = bech32_polymod_step(chk, 0);
	for (size_t i = 0; i < hlen; i++)
		chk = bech32_polymod_step(chk, (unsigned)(s[i] | 0x20) & 31);
	for (size_t i = 0; i < ndata; i++) {
		const char	*p = strchr(bech32_charset,
		    s[sep + 1 + i] | 0x20);
		unsigned	 v;

		if (p == NULL || *p == '\0')
			return util_fail(err, errlen, 0,
			    "character '%c' is not Bech32", s[sep + 1 + i]);
		v = (unsigned)(p - bech32_charset);
		chk = bech32_polymod_step(chk, v);
		if (i >= ndata - 6)
			continue;	/* the checksum */
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (nout == 32)
				return util_fail(err, errlen, 0,
				    "key longer than 32 bytes");
			out[nout++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (chk != 1)
		return util_fail(err, errlen, 0, "bad Bech32 checksum");
	if (nout != 32 || bits >= 5 || acc != 0)
		return util_fail(err, errlen, 0, "not a 32-byte key");
	return 0;
}

int
age_recipient_parse(const char *s, unsigned char pk[AGE_KEY_LEN], char *err,
    size_t errlen)
{
	if (strncmp(s, "age1", 4) != 0)
		return util_fail(err, errlen, 0, "not an age X25519 recipient "
		    "(expected \"age1...\", as age-keygen prints)");
	if (strncmp(s, "age1pq1", 7) == 0 || strncmp(s, "age1tag", 7) == 0)
		return util_fail(err, errlen, 0, "only X25519 recipients "
		    "(\"age1...\") are supported");
	return bech32_decode32(s, "age", pk, err, errlen);
}

int
age_identity_parse(const char *s, struct age_identity *id, char *err,
    size_t errlen)
{
	char	 why[128];

	if (strncmp(s, "AGE-SECRET-KEY-1", 16) != 0)
		return util_fail(err, errlen, 0, "not an age X25519 identity "
		    "(expected \"AGE-SECRET-KEY-1...\")");
	/* never echo the key's characters: a generic reason only */
	if (bech32_decode32(s, "AGE-SECRET-KEY-", id->sk, why,
	    sizeof(why)) == -1 || sodium_init() < 0 ||
	    crypto_scalarmult_base(id->pk, id->sk) != 0) {
		sodium_memzero(id, sizeof(*id));
		return util_fail(err, errlen, 0, "malformed identity (bad "
		    "Bech32 or checksum)");
	}
	return 0;
}

int
age_identities_parse(const char *text, struct age_identity **ids, char *err,
    size_t errlen)
{
	struct age_identity	*v = NULL;
	size_t			 n = 0, lineno = 0;
	const char		*p = text;
	char			 line[256], why[160];

	*ids = NULL;
	while (*p != '\0') {
		const char	*nl = strchr(p, '\n');
		size_t		 len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		lineno++;
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' ||
		    p[len - 1] == '\t'))
			len--;
		if (len > 0 && p[0] != '#') {
			if (len >= sizeof(line)) {
				age_identities_free(v, n);
				return util_fail(err, errlen, 0,
				    "line %zu: too long for an identity",
				    lineno);
			}
			memcpy(line, p, len);
			line[len] = '\0';
			v = xreallocarray(v, n + 1, sizeof(*v));
			if (age_identity_parse(line, &v[n], why,
			    sizeof(why)) == -1) {
				sodium_memzero(line, sizeof(line));
				age_identities_free(v, n);
				return util_fail(err, errlen, 0, "line %zu: %s",
				    lineno, why);
			}
			n++;
		}
		p += nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
	}
	sodium_memzero(line, sizeof(line));
	if (n == 0) {
		free(v);
		return util_fail(err, errlen, 0, "no identity in the file");
	}
	*ids = v;
	return (int)n;
}

void
age_identities_free(struct age_identity *ids, size_t n)
{
	if (ids == NULL)
		return;
	sodium_memzero(ids, n * sizeof(*ids));
	free(ids);
}

void
age_fingerprint(char out[24], const unsigned char pk[AGE_KEY_LEN])
{
	unsigned char	 h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, AGE_KEY_LEN);
	memcpy(out, "SHA256:", 7);
	util_hex(out + 7, h, 8);
}

int
age_is_encrypted_name(const char *name)
{
	size_t	 len = strlen(name), sl = strlen(AGE_SUFFIX);

	return len > sl && strcmp(name + len - sl, AGE_SUFFIX) == 0;
}

/* ---- encryption ---- */

struct age_enc {
	age_out_fn	 out;
	void		*arg;
	unsigned char	 key[32];	/* payload key */
	uint64_t	 counter;
	unsigned char	*buf;		/* owns; AGE_CT_CHUNK bytes */
	size_t		 len;		/* plaintext in buf */
	int		 failed;
};

/* Append one "-> X25519 share\nbody\n" stanza for pk to the header. */
static int
enc_stanza(char *hdr, size_t cap, size_t *pos,
    const unsigned char file_key[AGE_FILE_KEY], const unsigned char pk[32])
{
	unsigned char	 esk[32], share[32], shared[32], wrap[32];
	unsigned char	 body[AGE_FILE_KEY + AGE_TAG];
	unsigned char	 zero_nonce[12] = { 0 };
	char		 b64[64];
	int		 rc = -1;

	randombytes_buf(esk, sizeof(esk));
	if (crypto_scalarmult_base(share, esk) != 0 ||
	    crypto_scalarmult(shared, esk, pk) != 0)
		goto out;	/* a low-order recipient key */
	x25519_wrap_key(wrap, shared, share, pk);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key,
	    AGE_FILE_KEY, NULL, 0, NULL, zero_nonce, wrap);
	sodium_bin2base64(b64, sizeof(b64), share, sizeof(share),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	*pos += (size_t)snprintf(hdr + *pos, cap - *pos, "-> X25519 %s\n", b64);
	/* 32 bytes: 43 characters, one line shorter than 64 columns */
	sodium_bin2base64(b64, sizeof(b64), body, sizeof(body),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	*pos += (size_t)snprintf(hdr + *pos, cap - *pos, "%s\n", b64);
	rc = 0;
out:
	sodium_memzero(esk, sizeof(esk));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap, sizeof(wrap));
	return rc;
}

struct age_enc *
age_enc_new(const unsigned char (*pks)[AGE_KEY_LEN], size_t npks,
    age_out_fn out, void *arg)
{
	struct age_enc	*e;
	unsigned char	 file_key[AGE_FILE_KEY], nonce[AGE_NONCE], mac[32];
	size_t		 cap, pos = 0;
	char		*hdr, b64[64];
	int		 rc;

	if (npks == 0 || npks > 4096 || out == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (sodium_init() < 0) {
		errno = EIO;
		return NULL;
	}
	cap = 64 + npks * 128;
	hdr = xmalloc(cap);
	randombytes_buf(file_key, sizeof(file_key));
	randombytes_buf(nonce, sizeof(nonce));
	pos = (size_t)snprintf(hdr, cap, "%s", AGE_VERSION_LINE);
	for (size_t i = 0; i < npks; i++)
		if (enc_stanza(hdr, cap, &pos, file_key, pks[i]) == -1) {
			sodium_memzero(file_key, sizeof(file_key));
			free(hdr);
			errno = EINVAL;
			return NULL;
		}
	pos += (size_t)snprintf(hdr + pos, cap - pos, "---");
	header_mac(mac, file_key, hdr, pos);
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	pos += (size_t)snprintf(hdr + pos, cap - pos, " %s\n", b64);

	e = xcalloc(1, sizeof(*e));
	e->out = out;
	e->arg = arg;
	e->buf = xmalloc(AGE_CT_CHUNK);
	payload_key(e->key, file_key, nonce);
	sodium_memzero(file_key, sizeof(file_key));
	rc = out(arg, hdr, pos);
	if (rc == 0)
		rc = out(arg, nonce, sizeof(nonce));
	free(hdr);
	if (rc != 0) {
		age_enc_free(e);
		return NULL;
	}
	return e;
}

static int
enc_chunk(struct age_enc *e, int last)
{
	unsigned char	 n[12];

	stream_nonce(n, e->counter++, last);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(e->buf,
	    e->buf + e->len, NULL, e->buf, e->len, NULL, 0, NULL, n, e->key);
	if (e->out(e->arg, e->buf, e->len + AGE_TAG) != 0) {
		e->failed = 1;
		return -1;
	}
	e->len = 0;
	return 0;
}

int
age_enc_write(struct age_enc *e, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 n;

	if (e->failed)
		return -1;
	while (len > 0) {
		/* a full chunk goes out only once more data shows it is not
		 * the last one */
		if (e->len == AGE_CHUNK && enc_chunk(e, 0) == -1)
			return -1;
		n = AGE_CHUNK - e->len;
		if (n > len)
			n = len;
		memcpy(e->buf + e->len, s, n);
		e->len += n;
		s += n;
		len -= n;
	}
	return 0;
}

int
age_enc_finish(struct age_enc *e)
{
	if (e->failed)
		return -1;
	if (enc_chunk(e, 1) == -1)
		return -1;
	e->failed = 1;		/* nothing may follow the last chunk */
	return 0;
}

void
age_enc_free(struct age_enc *e)
{
	if (e == NULL)
		return;
	sodium_memzero(e->key, sizeof(e->key));
	if (e->buf != NULL) {
		sodium_memzero(e->buf, AGE_CT_CHUNK);
		free(e->buf);
	}
	free(e);
}

/* ---- decryption ---- */

enum dec_state {
	DEC_HEADER,
	DEC_NONCE,
	DEC_PAYLOAD,
	DEC_DONE,
};

#define DEC_MAX_ARGS	8

struct age_dec {
	const struct age_identity *ids;	/* borrows */
	size_t		 nids;
	age_out_fn	 out;
	void		*arg;
	enum dec_state	 state;
	enum age_err	 err;
	char		 errbuf[192];

	char		*hdr;		/* owns; the header as read */
	size_t		 hlen, hcap, hscan;
	size_t		 nstanzas, nx25519, nscrypt;
	int		 have_key;
	unsigned char	 file_key[AGE_FILE_KEY];

	unsigned char	 nonce[AGE_NONCE];
	size_t		 nonce_len;
	unsigned char	 key[32];	/* payload key */
	unsigned char	*buf;		/* owns; one ciphertext chunk */
	size_t		 len;
	unsigned char	*pt;		/* owns; its plaintext */
	uint64_t	 counter;
	uint64_t	 payload_bytes;	/* after the nonce */
	uint64_t	 offset;	/* bytes taken in */
};

static int __attribute__((format(printf, 3, 4)))
dec_fail(struct age_dec *d, enum age_err err, const char *fmt, ...)
{
	va_list	 ap;

	if (d->err != AGE_OK)
		return -1;
	d->err = err;
	va_start(ap, fmt);
	vsnprintf(d->errbuf, sizeof(d->errbuf), fmt, ap);
	va_end(ap);
	return -1;
}

struct age_dec *
age_dec_new(const struct age_identity *ids, size_t nids, age_out_fn out,
    void *arg)
{
	struct age_dec	*d;

	if (sodium_init() < 0) {
		errno = EIO;
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->ids = nids > 0 ? ids : NULL;
	d->nids = ids != NULL ? nids : 0;
	d->out = out;
	d->arg = arg;
	return d;
}

enum age_err
age_dec_errclass(const struct age_dec *d)
{
	return d->err;
}

const char *
age_dec_error(const struct age_dec *d)
{
	return d->err != AGE_OK ? d->errbuf : "no error";
}

size_t
age_dec_stanzas(const struct age_dec *d, size_t *nx25519)
{
	if (nx25519 != NULL)
		*nx25519 = d->nx25519;
	return d->nstanzas;
}

/* Try every identity on one well-formed X25519 stanza. */
static int
dec_x25519_unwrap(struct age_dec *d, const unsigned char share[32],
    const unsigned char body[32])
{
	unsigned char	 shared[32], wrap[32];
	unsigned char	 zero_nonce[12] = { 0 };

	for (size_t i = 0; i < d->nids && !d->have_key; i++) {
		if (crypto_scalarmult(shared, d->ids[i].sk, share) != 0)
			return dec_fail(d, AGE_ERR_HEADER, "X25519 stanza: "
			    "low-order ephemeral share");
		x25519_wrap_key(wrap, shared, share, d->ids[i].pk);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(d->file_key,
		    NULL, NULL, body, 32, NULL, 0, zero_nonce, wrap) == 0)
			d->have_key = 1;
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap, sizeof(wrap));
	return 0;
}

/* One stanza's arguments and decoded body. */
static int
dec_stanza(struct age_dec *d, const char **arg, const size_t *alen,
    size_t nargs, const unsigned char *body, size_t blen, size_t lineno)
{
	unsigned char	 share[32];

	d->nstanzas++;
	if (alen[0] == 6 && memcmp(arg[0], "scrypt", 6) == 0) {
		d->nscrypt++;
		return 0;
	}
	if (alen[0] != 6 || memcmp(arg[0], "X25519", 6) != 0)
		return 0;	/* someone else's stanza */
	d->nx25519++;
	if (nargs != 2 || b64_decode(share, sizeof(share), arg[1],
	    alen[1]) != 32 || blen != 32)
		return dec_fail(d, AGE_ERR_HEADER, "header line %zu: malformed "
		    "X25519 stanza (2 arguments, a 32-byte share and a "
		    "32-byte body expected)", lineno);
	return dec_x25519_unwrap(d, share, body);
}

/* Parse "-> args" at line lineno and its body lines; *pp moves past. */
static int
dec_parse_stanza(struct age_dec *d, const char **pp, const char *end,
    size_t *lineno)
{
	const char	*p = *pp, *nl = memchr(p, '\n', (size_t)(end - p));
	const char	*arg[DEC_MAX_ARGS];
	size_t		 alen[DEC_MAX_ARGS], nargs = 0, start = *lineno;
	char		*b64 = NULL;
	size_t		 b64len = 0;
	unsigned char	*body = NULL;
	ssize_t		 blen;
	int		 rc = -1;

	/* arg-line = "-> " argument *(SP argument) LF */
	for (const char *a = p + 3; a <= nl; ) {
		const char	*e = a;

		while (e < nl && *e != ' ')
			e++;
		if (e == a)
			return dec_fail(d, AGE_ERR_HEADER, "header line %zu: "
			    "empty stanza argument", start);
		for (const char *c = a; c < e; c++)
			if ((unsigned char)*c < 33 || (unsigned char)*c > 126)
				return dec_fail(d, AGE_ERR_HEADER, "header "
				    "line %zu: bad character in a stanza "
				    "argument", start);
		if (nargs < DEC_MAX_ARGS) {
			arg[nargs] = a;
			alen[nargs] = (size_t)(e - a);
		}
		nargs++;
		a = e + 1;
	}
	b64 = xmalloc((size_t)(end - p));
	for (p = nl + 1;; p = nl + 1) {
		size_t	 len;

		(*lineno)++;
		if (p >= end || (nl = memchr(p, '\n',
		    (size_t)(end - p))) == NULL) {
			dec_fail(d, AGE_ERR_HEADER, "header line %zu: stanza "
			    "body without its final short line", start);
			goto out;
		}
		len = (size_t)(nl - p);
		if (len > AGE_B64_COLS) {
			dec_fail(d, AGE_ERR_HEADER, "header line %zu: stanza "
			    "body line longer than 64 columns", *lineno);
			goto out;
		}
		for (size_t i = 0; i < len; i++)
			if (!b64_char((unsigned char)p[i])) {
				dec_fail(d, AGE_ERR_HEADER, "header line %zu: "
				    "stanza body is not unpadded base64",
				    *lineno);
				goto out;
			}
		memcpy(b64 + b64len, p, len);
		b64len += len;
		if (len < AGE_B64_COLS)
			break;
	}
	*pp = nl + 1;
	(*lineno)++;
	body = xmalloc(b64len + 1);
	if ((blen = b64_decode(body, b64len + 1, b64, b64len)) == -1) {
		dec_fail(d, AGE_ERR_HEADER, "header line %zu: stanza body is "
		    "not canonical base64", start);
		goto out;
	}
	rc = dec_stanza(d, arg, alen, nargs > DEC_MAX_ARGS ? DEC_MAX_ARGS :
	    nargs, body, (size_t)blen, start);
out:
	free(b64);
	if (body != NULL) {
		sodium_memzero(body, b64len + 1);
		free(body);
	}
	return rc;
}

/* The whole header, hdr[0..len) ending with the MAC line's LF. */
static int
dec_parse_header(struct age_dec *d, const char *hdr, size_t len)
{
	const char	*p = hdr, *end = hdr + len, *nl;
	unsigned char	 mac[32], want[32];
	size_t		 lineno = 2;

	p += strlen(AGE_VERSION_LINE);
	for (;;) {
		if (end - p >= 3 && memcmp(p, "---", 3) == 0)
			break;
		if (end - p < 3 || memcmp(p, "-> ", 3) != 0)
			return dec_fail(d, AGE_ERR_HEADER, "header line %zu: "
			    "expected a stanza (\"-> \") or the MAC line",
			    lineno);
		if (dec_parse_stanza(d, &p, end, &lineno) == -1)
			return -1;
	}
	nl = end - 1;
	if (d->nstanzas == 0)
		return dec_fail(d, AGE_ERR_HEADER, "header without a stanza");
	if (nl - p != 4 + 43 || p[3] != ' ' ||
	    b64_decode(mac, sizeof(mac), p + 4, 43) != 32)
		return dec_fail(d, AGE_ERR_HEADER, "header line %zu: malformed "
		    "MAC line (\"--- \" and 43 base64 characters expected)",
		    lineno);
	if (d->nscrypt > 0 && d->nstanzas > 1)
		return dec_fail(d, AGE_ERR_HEADER, "an scrypt stanza must be "
		    "the only one");
	if (d->nids == 0)
		return 0;	/* header-only: nothing to unwrap */
	if (!d->have_key)
		return d->nscrypt > 0 ?
		    dec_fail(d, AGE_ERR_UNSUPPORTED, "passphrase (scrypt) "
		    "files are not supported; use age -d") :
		    dec_fail(d, AGE_ERR_NOMATCH, "no identity matches any of "
		    "the %zu recipient stanza(s)", d->nstanzas);
	header_mac(want, d->file_key, hdr, (size_t)(p + 3 - hdr));
	if (crypto_verify_32(want, mac) != 0)
		return dec_fail(d, AGE_ERR_MAC, "header MAC mismatch "
		    "(the header was altered)");
	return 0;
}

/* Take header bytes; returns how many of p[len] were consumed, -1. */
static ssize_t
dec_header(struct age_dec *d, const char *p, size_t len)
{
	static const char	 prefix[] = "age-encryption.org/";
	size_t			 take = 0, vlen = strlen(AGE_VERSION_LINE);
	const char		*nl;

	while (take < len) {
		size_t	 n = len - take;

		nl = memchr(p + take, '\n', n);
		if (nl != NULL)
			n = (size_t)(nl - (p + take)) + 1;
		if (d->hlen + n > AGE_HEADER_MAX)
			return dec_fail(d, AGE_ERR_HEADER, "header longer than "
			    "%d bytes", AGE_HEADER_MAX);
		if (d->hlen + n > d->hcap) {
			d->hcap = d->hlen + n + 4096;
			d->hdr = xreallocarray(d->hdr, d->hcap, 1);
		}
		memcpy(d->hdr + d->hlen, p + take, n);
		d->hlen += n;
		take += n;
		if (memcmp(d->hdr, prefix, d->hlen < sizeof(prefix) - 1 ?
		    d->hlen : sizeof(prefix) - 1) != 0)
			return dec_fail(d, AGE_ERR_HEADER, "not an age file");
		if (nl == NULL)
			break;
		/* a complete line at hscan */
		if (d->hscan == 0 && (d->hlen != vlen ||
		    memcmp(d->hdr, AGE_VERSION_LINE, vlen) != 0))
			return dec_fail(d, AGE_ERR_UNSUPPORTED, "unsupported "
			    "age version (only v1)");
		if (d->hscan > 0 && d->hlen - d->hscan >= 3 &&
		    memcmp(d->hdr + d->hscan, "---", 3) == 0) {
			if (dec_parse_header(d, d->hdr, d->hlen) == -1)
				return -1;
			d->state = DEC_NONCE;
			return (ssize_t)take;
		}
		d->hscan = d->hlen;
	}
	return (ssize_t)take;
}

static int
dec_open(struct age_dec *d, int last, unsigned long long *mlen)
{
	unsigned char	 n[12];

	stream_nonce(n, d->counter, last);
	/* into pt, not in place: a failed attempt wipes its output */
	return crypto_aead_chacha20poly1305_ietf_decrypt(d->pt, mlen, NULL,
	    d->buf, d->len, NULL, 0, n, d->key);
}

/*
 * Open the buffered chunk.  more: bytes follow it.  A full chunk is tried
 * as a middle chunk, then as the final one (as the reference does, so the
 * same plaintext is released before an error); a short one is final.
 */
static int
dec_chunk(struct age_dec *d, int more)
{
	unsigned long long	 mlen = 0;
	int			 last;

	if (d->len < AGE_TAG)
		return dec_fail(d, AGE_ERR_PAYLOAD, "payload truncated: "
		    "chunk %" PRIu64 " is incomplete", d->counter);
	if (d->len == AGE_TAG && d->counter > 0)
		return dec_fail(d, AGE_ERR_PAYLOAD, "payload: empty final "
		    "chunk %" PRIu64, d->counter);
	if (d->len == AGE_CT_CHUNK && dec_open(d, 0, &mlen) == 0)
		last = 0;
	else if (dec_open(d, 1, &mlen) == 0)
		last = 1;
	else
		return dec_fail(d, AGE_ERR_PAYLOAD, "payload chunk %" PRIu64
		    " (at byte %" PRIu64 ") fails authentication: corrupted, "
		    "truncated or reordered", d->counter, d->offset - d->len);
	d->counter++;
	d->len = 0;
	if (mlen > 0 && d->out != NULL && d->out(d->arg, d->pt,
	    (size_t)mlen) != 0)
		return dec_fail(d, AGE_ERR_OUTPUT, "writing the plaintext");
	if (last && more)
		return dec_fail(d, AGE_ERR_PAYLOAD, "payload: data after the "
		    "final chunk %" PRIu64, d->counter - 1);
	if (!last && !more)
		return dec_fail(d, AGE_ERR_PAYLOAD, "payload truncated: no "
		    "final chunk after chunk %" PRIu64, d->counter - 1);
	if (last)
		d->state = DEC_DONE;
	return 0;
}

int
age_dec_write(struct age_dec *d, const void *p, size_t len)
{
	const unsigned char	*s = p;
	ssize_t			 r;
	size_t			 n;

	if (d->err != AGE_OK)
		return -1;
	if (d->state == DEC_DONE)
		return dec_fail(d, AGE_ERR_PAYLOAD, "data after the end");
	while (len > 0) {
		switch (d->state) {
		case DEC_HEADER:
			if ((r = dec_header(d, (const char *)s, len)) == -1)
				return -1;
			n = (size_t)r;
			break;
		case DEC_NONCE:
			n = AGE_NONCE - d->nonce_len;
			if (n > len)
				n = len;
			memcpy(d->nonce + d->nonce_len, s, n);
			d->nonce_len += n;
			if (d->nonce_len == AGE_NONCE) {
				d->state = DEC_PAYLOAD;
				if (d->nids > 0) {
					payload_key(d->key, d->file_key,
					    d->nonce);
					d->buf = xmalloc(AGE_CT_CHUNK);
					d->pt = xmalloc(AGE_CHUNK);
				}
			}
			break;
		default:
			n = len;
			if (d->buf == NULL) {		/* header-only */
				d->payload_bytes += n;
				break;
			}
			/* a full chunk is decrypted (as not last) only
			 * once more data shows that it is not the last */
			if (d->len == AGE_CT_CHUNK && dec_chunk(d, 1) == -1)
				return -1;
			if (n > AGE_CT_CHUNK - d->len)
				n = AGE_CT_CHUNK - d->len;
			memcpy(d->buf + d->len, s, n);
			d->len += n;
			break;
		}
		d->offset += n;
		s += n;
		len -= n;
	}
	return 0;
}

int
age_dec_finish(struct age_dec *d)
{
	uint64_t	 rem;

	if (d->err != AGE_OK)
		return -1;
	if (d->state == DEC_HEADER)
		return dec_fail(d, AGE_ERR_HEADER, "truncated header (%zu "
		    "bytes, no MAC line)", d->hlen);
	if (d->state == DEC_NONCE)
		return dec_fail(d, AGE_ERR_HEADER, "truncated after the "
		    "header: no complete payload nonce");
	if (d->state == DEC_DONE)
		return 0;
	if (d->buf != NULL) {
		if (dec_chunk(d, 0) == -1)
			return -1;
	} else {
		/* header-only: does the length fit STREAM chunks? */
		rem = d->payload_bytes % AGE_CT_CHUNK;
		if (d->payload_bytes == 0 || (rem != 0 && rem < AGE_TAG) ||
		    (rem == AGE_TAG && d->payload_bytes > AGE_TAG))
			return dec_fail(d, AGE_ERR_PAYLOAD, "payload of %"
			    PRIu64 " bytes is not a whole number of chunks "
			    "(truncated?)", d->payload_bytes);
	}
	d->state = DEC_DONE;
	return 0;
}

void
age_dec_free(struct age_dec *d)
{
	if (d == NULL)
		return;
	sodium_memzero(d->file_key, sizeof(d->file_key));
	sodium_memzero(d->key, sizeof(d->key));
	if (d->buf != NULL) {
		free(d->buf);
		sodium_memzero(d->pt, AGE_CHUNK);
		free(d->pt);
	}
	free(d->hdr);
	free(d);
}
