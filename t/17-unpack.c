/*
 * t/17-unpack.c -- the artifact decompressor: whole gzip members through
 * libdeflate, a larger member and damage through zlib, in chunks of any
 * size; zstd and none; the errors and their byte offsets.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "cairn/unpack.h"
#include "cairn/util.h"
#include "tap.h"

struct got {
	unsigned char	*p;
	size_t		 len, cap;
	int		 refuse;	/* the sink returns -1 */
};

static int
got_sink(void *arg, const unsigned char *p, size_t n)
{
	struct got	*g = arg;

	if (g->refuse)
		return -1;
	if (g->len + n > g->cap) {
		g->cap = (g->len + n) * 2;
		g->p = xreallocarray(g->p, g->cap, 1);
	}
	memcpy(g->p + g->len, p, n);
	g->len += n;
	return 0;
}

/* mysqldump-like text with some randomness */
static unsigned char *
make_text(size_t len)
{
	unsigned char	*p = xmalloc(len);
	unsigned long	 x = 88172645463325252UL;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = i % 61 == 60 ? '\n' : "INSERT (),'abcdefgh0123"[x % 23];
	}
	return p;
}

/* text as gzip members of block bytes each (libdeflate, like the writer) */
static unsigned char *
gzip_members(const unsigned char *in, size_t len, size_t block, size_t *outlen,
    size_t *starts, size_t nstarts)
{
	struct libdeflate_compressor	*c = libdeflate_alloc_compressor(6);
	size_t				 cap = len + len / 8 + 4096, o = 0, m = 0;
	unsigned char			*out = xmalloc(cap);

	for (size_t i = 0; i < len; i += block, m++) {
		size_t	 k = len - i < block ? len - i : block;

		if (m < nstarts)
			starts[m] = o;
		o += libdeflate_gzip_compress(c, in + i, k, out + o, cap - o);
	}
	libdeflate_free_compressor(c);
	*outlen = o;
	return out;
}

/* one big member, as gzip(1) makes it */
static unsigned char *
gzip_one(const unsigned char *in, size_t len, size_t *outlen)
{
	z_stream	 z = { 0 };
	size_t		 cap = len + len / 8 + 4096;
	unsigned char	*out = xmalloc(cap);

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		bail("deflateInit2");
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		bail("deflate");
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

/* all of in through a fresh unpack in chunks of chunk bytes; the result
 * of the last call, the error in err */
static int
run(enum compress_kind k, const unsigned char *in, size_t len, size_t chunk,
    struct got *g, char *err, size_t errlen, uint64_t *fast)
{
	struct unpack	*u = unpack_new(k, got_sink, g);
	int		 rc = 0;

	if (u == NULL)
		bail("unpack_new");
	g->len = 0;
	for (size_t i = 0; i < len && rc == 0; i += chunk)
		rc = unpack_feed(u, in + i, len - i < chunk ? len - i : chunk);
	if (rc == 0)
		rc = unpack_end(u);
	snprintf(err, errlen, "%s", unpack_error(u));
	if (fast != NULL)
		*fast = unpack_fast_members(u);
	unpack_free(u);
	return rc;
}

static int
same(const struct got *g, const unsigned char *p, size_t n)
{
	return g->len == n && memcmp(g->p, p, n) == 0;
}

int
main(void)
{
	const size_t	 text_len = 6 * 1024 * 1024 + 12345;
	static const size_t chunks[] = { 1, 4093, 65536, 1 << 22 };
	unsigned char	*text = make_text(text_len), *gz, *one, *bad, *zs;
	size_t		 gz_len, one_len, zs_len, starts[8];
	struct got	 g = { 0 };
	char		 err[256];
	uint64_t	 fast;
	int		 okay, rc;

	plan(17);
	gz = gzip_members(text, text_len, 1 << 20, &gz_len, starts, 8);

	okay = 1;
	for (size_t i = 0; i < nitems(chunks); i++) {
		/* feeding one byte at a time: only a shorter prefix */
		size_t	 n = chunks[i] == 1 ? starts[2] : gz_len;

		if (run(COMPRESS_GZIP, gz, n, chunks[i], &g, err, sizeof(err),
		    &fast) != 0 || !same(&g, text, chunks[i] == 1 ?
		    2 << 20 : text_len) || fast != (chunks[i] == 1 ? 2 : 7)) {
			diag("chunk %zu: %s, %llu fast", chunks[i], err,
			    (unsigned long long)fast);
			okay = 0;
		}
	}
	ok(okay, "7 members of 1 MiB, fed in chunks of 1 byte to 4 MiB: "
	    "every byte, every member decoded whole");

	one = gzip_one(text, text_len, &one_len);
	ok(run(COMPRESS_GZIP, one, one_len, 65536, &g, err, sizeof(err),
	    &fast) == 0 && same(&g, text, text_len) && fast == 0,
	    "one 6 MiB member (larger than the window) streams through zlib");

	/* damage in member 3: zlib names it, at or after its start */
	bad = xmalloc(gz_len);
	memcpy(bad, gz, gz_len);
	bad[starts[3] + 5000] ^= 0x55;
	rc = run(COMPRESS_GZIP, bad, gz_len, 65536, &g, err, sizeof(err),
	    &fast);
	ok(rc == -1 && strncmp(err, "gzip: ", 6) == 0 && fast == 3 &&
	    g.len >= (size_t)3 << 20 && g.len < ((size_t)4 << 20) + 65536,
	    "a damaged member fails after the three before it: %s (%zu "
	    "bytes out, %llu whole)", err, g.len, (unsigned long long)fast);
	{
		unsigned long long	 at = 0;
		const char		*s = strstr(err, " at byte ");
		int			 found;

		found = s != NULL && sscanf(s, " at byte %llu", &at) == 1;
		ok(found && at >= starts[3] && at < starts[4],
		    "its byte offset lies in member 3 (%llu in %zu..%zu)", at,
		    starts[3], starts[4]);
	}
	memcpy(bad, gz, gz_len);
	bad[gz_len - 6] ^= 1;	/* the last member's CRC */
	ok(run(COMPRESS_GZIP, bad, gz_len, 65536, &g, err, sizeof(err),
	    NULL) == -1 && strncmp(err, "gzip: incorrect data check", 26) == 0,
	    "a bad CRC in the last member: %s", err);
	memcpy(bad, gz, gz_len);
	bad[0] = 0;
	ok(run(COMPRESS_GZIP, bad, gz_len, 65536, &g, err, sizeof(err),
	    NULL) == -1 && strcmp(err, "gzip: incorrect header check at "
	    "byte 2") == 0, "a bad first header: %s", err);

	okay = 1;
	for (size_t cut = 1; cut < gz_len; cut += gz_len / 37) {
		if (run(COMPRESS_GZIP, gz, cut, 65536, &g, err, sizeof(err),
		    NULL) != -1 || strstr(err, "unexpected end of file") ==
		    NULL) {
			diag("cut at %zu: %s", cut, err);
			okay = 0;
		}
	}
	ok(okay, "cut short anywhere: unexpected end of file");
	ok(run(COMPRESS_GZIP, gz, starts[5], 65536, &g, err, sizeof(err),
	    NULL) == 0 && g.len == (size_t)5 << 20,
	    "cut between members: a valid stream of five");

	bad = xreallocarray(bad, gz_len + 3, 1);
	memcpy(bad, gz, gz_len);
	memcpy(bad + gz_len, "xyz", 3);
	ok(run(COMPRESS_GZIP, bad, gz_len + 3, 65536, &g, err, sizeof(err),
	    NULL) == -1 && strncmp(err, "gzip: trailing garbage after member "
	    "7 at byte ", 35) == 0, "trailing garbage: %s", err);
	ok(run(COMPRESS_GZIP, gz, 0, 65536, &g, err, sizeof(err), NULL) ==
	    -1 && strcmp(err, "gzip: empty file") == 0, "empty: %s", err);

	g.refuse = 1;
	ok(run(COMPRESS_GZIP, gz, gz_len, 65536, &g, err, sizeof(err),
	    NULL) == -1 && err[0] == '\0', "a sink's -1 stops it, no message "
	    "of its own");
	ok(run(COMPRESS_GZIP, one, one_len, 65536, &g, err, sizeof(err),
	    NULL) == -1 && err[0] == '\0', "on the zlib path too");
	g.refuse = 0;

	zs_len = ZSTD_compressBound(text_len);
	zs = xmalloc(zs_len);
	zs_len = ZSTD_compress(zs, zs_len, text, text_len, 3);
	ok(!ZSTD_isError(zs_len) && run(COMPRESS_ZSTD, zs, zs_len, 4093, &g,
	    err, sizeof(err), NULL) == 0 && same(&g, text, text_len),
	    "zstd in chunks of 4093");
	ok(run(COMPRESS_ZSTD, zs, zs_len - 7, 4093, &g, err, sizeof(err),
	    NULL) == -1 && strstr(err, "zstd: unexpected end of file") == err,
	    "zstd cut short: %s", err);
	ok(run(COMPRESS_ZSTD, zs, 0, 4093, &g, err, sizeof(err), NULL) ==
	    -1 && strcmp(err, "zstd: empty file") == 0, "zstd empty: %s", err);
	ok(run(COMPRESS_NONE, text, text_len, 1 << 22, &g, err, sizeof(err),
	    NULL) == 0 && same(&g, text, text_len), "none: as it is");
	ok(run(COMPRESS_NONE, text, 0, 1, &g, err, sizeof(err), NULL) == 0 &&
	    g.len == 0, "none, empty: fine");

	free(text);
	free(gz);
	free(one);
	free(bad);
	free(zs);
	free(g.p);
	return tap_exit();
}
