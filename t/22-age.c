/*
 * 22-age -- the age format: the C2SP CCTV test vectors that apply (X25519,
 * header and MAC, STREAM), round trips at chunk boundaries, wrong keys,
 * every single-byte flip and truncation of a small file, chunk reordering,
 * Bech32 keys.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "cairn/age.h"
#include "cairn/util.h"
#include "tap.h"

/* the spec's example key pair (C2SP age.md, "The X25519 recipient type") */
#define SPEC_ID	"AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
#define SPEC_PK	"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"

struct buf {
	unsigned char	*p;
	size_t		 len, cap;
};

static int
buf_out(void *arg, const void *p, size_t n)
{
	struct buf	*b = arg;

	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			bail("out of memory");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* Decrypt in pieces of `step` bytes; the class, plaintext in *pt. */
static enum age_err
decrypt(const unsigned char *f, size_t len, const struct age_identity *ids,
    size_t nids, size_t step, struct buf *pt)
{
	struct age_dec	*d = age_dec_new(ids, nids, pt != NULL ? buf_out :
	    NULL, pt);
	enum age_err	 e;
	int		 rc = 0;

	for (size_t off = 0; off < len && rc == 0; off += step)
		rc = age_dec_write(d, f + off, len - off < step ? len - off :
		    step);
	if (rc == 0)
		(void)age_dec_finish(d);
	e = age_dec_errclass(d);
	age_dec_free(d);
	return e;
}

static void
encrypt(struct buf *out, const unsigned char (*pks)[32], size_t n,
    const unsigned char *pt, size_t len)
{
	struct age_enc	*e = age_enc_new(pks, n, buf_out, out);

	if (e == NULL || age_enc_write(e, pt, len) != 0 ||
	    age_enc_finish(e) != 0)
		bail("age_enc failed");
	age_enc_free(e);
}

/* ---- CCTV vectors ---- */

static const char *
expect_name(enum age_err e)
{
	switch (e) {
	case AGE_OK:
		return "success";
	case AGE_ERR_HEADER:
	case AGE_ERR_UNSUPPORTED:
		return "header failure";
	case AGE_ERR_NOMATCH:
		return "no match";
	case AGE_ERR_MAC:
		return "HMAC failure";
	case AGE_ERR_PAYLOAD:
		return "payload failure";
	case AGE_ERR_OUTPUT:
		break;
	}
	return "?";
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE		*f = fopen(path, "rb");
	unsigned char	*p;
	long		 n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		bail("cannot read %s", path);
	rewind(f);
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		bail("cannot read %s", path);
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static void
run_vector(const char *dir, const char *name)
{
	char			*path = xasprintf("%s/%s", dir, name);
	char			 expect[64] = "", payload[65] = "", got_hex[65];
	struct age_identity	 ids[4];
	size_t			 nids = 0, len, off = 0, flen;
	unsigned char		*raw = slurp(path, &len), *file, h[32];
	int			 zlib_c = 0;
	struct buf		 pt = { NULL, 0, 0 };
	enum age_err		 e;
	char			 why[128];

	/* the text header, up to a blank line */
	while (off < len && raw[off] != '\n') {
		char	*nl = memchr(raw + off, '\n', len - off);
		char	 line[256];
		size_t	 l = (size_t)((unsigned char *)nl - (raw + off));

		if (nl == NULL || l >= sizeof(line))
			bail("%s: bad vector header", name);
		memcpy(line, raw + off, l);
		line[l] = '\0';
		off += l + 1;
		if (strncmp(line, "expect: ", 8) == 0)
			snprintf(expect, sizeof(expect), "%.60s", line + 8);
		else if (strncmp(line, "payload: ", 9) == 0)
			snprintf(payload, sizeof(payload), "%.64s", line + 9);
		else if (strncmp(line, "identity: ", 10) == 0 && nids < 4) {
			if (age_identity_parse(line + 10, &ids[nids], why,
			    sizeof(why)) != 0)
				bail("%s: identity: %s", name, why);
			nids++;
		} else if (strcmp(line, "compressed: zlib") == 0)
			zlib_c = 1;
	}
	off++;
	file = raw + off;
	flen = len - off;
	if (zlib_c) {
		uLongf	 dl = 32 << 20;

		file = malloc(dl);
		if (file == NULL || uncompress(file, &dl, raw + off,
		    (uLong)flen) != Z_OK)
			bail("%s: zlib", name);
		flen = dl;
	}
	/* in one piece and in odd pieces: the result must not depend on it */
	e = decrypt(file, flen, ids, nids, flen + 1, &pt);
	is_str(expect_name(e), expect, "cctv %s: %s", name, expect);
	crypto_hash_sha256(h, pt.p != NULL ? pt.p : (unsigned char *)"",
	    pt.len);
	util_hex(got_hex, h, sizeof(h));
	if (strcmp(expect, "success") == 0 ||
	    strcmp(expect, "payload failure") == 0)
		is_str(got_hex, payload, "cctv %s: released plaintext hash",
		    name);
	pt.len = 0;
	e = decrypt(file, flen, ids, nids, 997, &pt);
	is_str(expect_name(e), expect, "cctv %s: same in 997-byte pieces",
	    name);
	free(pt.p);
	if (zlib_c)
		free(file);
	free(raw);
	free(path);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
t_cctv(void)
{
	const char	*top = getenv("top_srcdir");
	char		*dir = xasprintf("%s/t/fixtures/age-cctv",
	    top != NULL ? top : "..");
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		*names[256];
	size_t		 n = 0;

	if (d == NULL)
		bail("%s: cannot open", dir);
	while ((de = readdir(d)) != NULL && n < 256)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "README") != 0)
			names[n++] = xstrdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	ok(n >= 60, "%zu CCTV vectors found", n);
	for (size_t i = 0; i < n; i++) {
		run_vector(dir, names[i]);
		free(names[i]);
	}
	free(dir);
}

/* ---- keys ---- */

static void
t_keys(void)
{
	struct age_identity	 id;
	unsigned char		 pk[32];
	char			 err[160], fp[24];
	struct age_identity	*ids;
	int			 n;

	is_int(age_identity_parse(SPEC_ID, &id, err, sizeof(err)), 0,
	    "spec identity parses");
	is_int(age_recipient_parse(SPEC_PK, pk, err, sizeof(err)), 0,
	    "spec recipient parses");
	ok(memcmp(pk, id.pk, 32) == 0, "identity's public key = recipient");
	age_fingerprint(fp, pk);
	ok(strncmp(fp, "SHA256:", 7) == 0 && strlen(fp) == 23,
	    "fingerprint %s", fp);
	is_int(age_recipient_parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzr"
	    "ye869xeexvn73equnujwk", pk, err, sizeof(err)), -1,
	    "bad checksum refused: %s", err);
	is_int(age_recipient_parse("age1Zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzr"
	    "ye869xeexvn73equnujwj", pk, err, sizeof(err)), -1,
	    "mixed case refused: %s", err);
	is_int(age_recipient_parse("age1zvkyg2lqz", pk, err, sizeof(err)), -1,
	    "short key refused: %s", err);
	is_int(age_recipient_parse(SPEC_ID, pk, err, sizeof(err)), -1,
	    "an identity is not a recipient: %s", err);
	is_int(age_identity_parse("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGF"
	    "PYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEY", &id, err,
	    sizeof(err)), -1, "bad identity refused");
	ok(strstr(err, "GFPYY") == NULL, "the error does not echo the key");
	n = age_identities_parse("# created: today\n# public key: " SPEC_PK
	    "\n\n" SPEC_ID "\n", &ids, err, sizeof(err));
	is_int(n, 1, "identity file with comments: 1 key");
	age_identities_free(ids, n > 0 ? (size_t)n : 0);
	n = age_identities_parse("# c\n" SPEC_ID "\nAGE-SECRET-KEY-1XYZ\n",
	    &ids, err, sizeof(err));
	ok(n == -1 && strncmp(err, "line 3:", 7) == 0,
	    "bad identity named by line: %s", err);
	n = age_identities_parse("# nothing\n", &ids, err, sizeof(err));
	is_int(n, -1, "a file without identities refused");
	ok(age_is_encrypted_name("a_backup_20250101_000000.sql.gz.age") &&
	    !age_is_encrypted_name("a.sql.gz") && !age_is_encrypted_name(".age"),
	    "encrypted names");
}

/* ---- our own files ---- */

static void
make_ids(struct age_identity *ids, unsigned char (*pks)[32], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		randombytes_buf(ids[i].sk, 32);
		crypto_scalarmult_base(ids[i].pk, ids[i].sk);
		memcpy(pks[i], ids[i].pk, 32);
	}
}

static size_t
header_len(const struct buf *f)
{
	const unsigned char	*m = memmem(f->p, f->len, "\n--- ", 5);
	const unsigned char	*nl = memchr(m + 1, '\n', f->len);

	return (size_t)(nl - f->p) + 1;
}

static void
t_roundtrip(void)
{
	static const size_t	 sizes[] = { 0, 1, 65535, 65536, 65537,
	    131072, 200000 };
	struct age_identity	 ids[3];
	unsigned char		 pks[3][32];
	unsigned char		*pt = malloc(200000);
	struct buf		 f = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	size_t			 hl;

	make_ids(ids, pks, 3);
	randombytes_buf(pt, 200000);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t	 chunks = sizes[i] == 0 ? 1 :
		    (sizes[i] + AGE_CHUNK - 1) / AGE_CHUNK;

		f.len = 0;
		encrypt(&f, (const unsigned char (*)[32])pks, 2, pt, sizes[i]);
		ok(f.len > chunks * AGE_TAG + sizes[i] + 16 &&
		    memcmp(f.p, "age-encryption.org/v1\n", 22) == 0,
		    "%zu bytes: %zu-byte age file", sizes[i], f.len);
		for (size_t k = 0; k < 2; k++) {
			out.len = 0;
			is_int(decrypt(f.p, f.len, &ids[k], 1, 4093, &out),
			    AGE_OK, "%zu bytes: recipient %zu decrypts",
			    sizes[i], k);
			ok(out.len == sizes[i] && (sizes[i] == 0 ||
			    memcmp(out.p, pt, sizes[i]) == 0),
			    "%zu bytes: plaintext identical", sizes[i]);
		}
		is_int(decrypt(f.p, f.len, &ids[2], 1, 65536, NULL),
		    AGE_ERR_NOMATCH, "%zu bytes: wrong key: no match",
		    sizes[i]);
		is_int(decrypt(f.p, f.len, NULL, 0, 65536, NULL), AGE_OK,
		    "%zu bytes: header-only check passes", sizes[i]);
		hl = header_len(&f);
		is_int(decrypt(f.p, hl + 16 + (f.len - hl - 17) /
		    (AGE_CHUNK + AGE_TAG) * (AGE_CHUNK + AGE_TAG) + 5,
		    NULL, 0, 65536, NULL), AGE_ERR_PAYLOAD,
		    "%zu bytes: header-only sees a cut inside a tag", sizes[i]);
		is_int(decrypt(f.p, hl + 8, NULL, 0, 65536, NULL),
		    AGE_ERR_HEADER, "%zu bytes: header-only sees a cut nonce",
		    sizes[i]);
	}
	free(f.p);
	free(out.p);
	free(pt);
}

/* Every single-byte flip and every truncation of a small file fails. */
static void
t_exhaustive(void)
{
	struct age_identity	 id;
	unsigned char		 pk[1][32];
	unsigned char		 pt[300];
	struct buf		 f = { NULL, 0, 0 };
	size_t			 bad_flip = 0, bad_trunc = 0;

	make_ids(&id, pk, 1);
	randombytes_buf(pt, sizeof(pt));
	encrypt(&f, (const unsigned char (*)[32])pk, 1, pt, sizeof(pt));
	for (size_t i = 0; i < f.len; i++)
		for (int k = 0; k < 3; k++) {
			unsigned char x = k == 0 ? 0x01 : k == 1 ? 0x80 : 0xff;

			f.p[i] ^= x;
			if (decrypt(f.p, f.len, &id, 1, f.len, NULL) == AGE_OK)
				bad_flip++;
			f.p[i] ^= x;
		}
	is_int(bad_flip, 0, "all %zu flips (x^0x01, x^0x80, ~x of every byte) "
	    "detected", f.len * 3);
	for (size_t l = 0; l < f.len; l++)
		if (decrypt(f.p, l, &id, 1, f.len, NULL) == AGE_OK)
			bad_trunc++;
	is_int(bad_trunc, 0, "all %zu truncations detected", f.len);
	f.p = realloc(f.p, f.len + 1);
	f.p[f.len] = 0;
	is_int(decrypt(f.p, f.len + 1, &id, 1, f.len, NULL), AGE_ERR_PAYLOAD,
	    "a trailing byte is detected");
	free(f.p);
}

static void
t_stream_edits(void)
{
	struct age_identity	 id;
	unsigned char		 pk[1][32];
	size_t			 len = 3 * AGE_CHUNK + 10, hl, cc = AGE_CHUNK +
	    AGE_TAG;
	unsigned char		*pt = malloc(len), *tmp = malloc(cc);
	struct buf		 f = { NULL, 0, 0 }, g = { NULL, 0, 0 };

	make_ids(&id, pk, 1);
	randombytes_buf(pt, len);
	encrypt(&f, (const unsigned char (*)[32])pk, 1, pt, len);
	hl = header_len(&f) + 16;
	/* swap chunks 0 and 1 */
	memcpy(tmp, f.p + hl, cc);
	memmove(f.p + hl, f.p + hl + cc, cc);
	memcpy(f.p + hl + cc, tmp, cc);
	is_int(decrypt(f.p, f.len, &id, 1, 65536, NULL), AGE_ERR_PAYLOAD,
	    "reordered chunks detected");
	memcpy(f.p + hl + cc, f.p + hl, cc);
	memcpy(f.p + hl, tmp, cc);
	is_int(decrypt(f.p, f.len, &id, 1, 65536, NULL), AGE_OK,
	    "swapped back: decrypts");
	/* drop the last chunk: the file ends on a full, non-final chunk */
	is_int(decrypt(f.p, hl + 3 * cc, &id, 1, 65536, NULL),
	    AGE_ERR_PAYLOAD, "a dropped final chunk is detected");
	is_int(decrypt(f.p, hl + 2 * cc, &id, 1, 65536, NULL),
	    AGE_ERR_PAYLOAD, "two dropped chunks are detected");
	/* an extra stanza added to a good header breaks its MAC */
	buf_out(&g, f.p, 22);
	buf_out(&g, "-> example.com/x a\nAAAA\n", 24);
	buf_out(&g, f.p + 22, f.len - 22);
	is_int(decrypt(g.p, g.len, &id, 1, 65536, NULL), AGE_ERR_MAC,
	    "an inserted stanza fails the header MAC");
	is_int(decrypt(g.p, g.len, NULL, 0, 65536, NULL), AGE_OK,
	    "... which the header-only check cannot see (the catalog's "
	    "SHA-256 does)");
	free(g.p);
	free(f.p);
	free(pt);
	free(tmp);
}

int
main(void)
{
	plan_lazy();
	if (sodium_init() < 0)
		bail("sodium_init");
	t_keys();
	t_cctv();
	t_roundtrip();
	t_exhaustive();
	t_stream_edits();
	return tap_exit();
}
