/* unpack.c -- see unpack.h */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "cairn/unpack.h"
#include "cairn/util.h"

#define ZCHUNK	((size_t)256 << 10)	/* zlib's and zstd's output steps */

struct unpack {
	enum compress_kind	 kind;
	unpack_sink_fn		 sink;
	void			*arg;
	unsigned char		*out;		/* owns; UNPACK_OUT */
	uint64_t		 seen;		/* compressed bytes fed */
	char			 err[192];
	int			 failed;
	/* gzip, whole members: the window holds [off, len) of the stream
	 * from offset base + off */
	struct libdeflate_decompressor *ld;	/* owns */
	unsigned char		*win;		/* owns; 2 * UNPACK_WINDOW */
	size_t			 off, len;
	uint64_t		 base;
	uint64_t		 fast;		/* members decoded whole */
	/* gzip, streamed: from the first member the window could not take */
	int			 slow;
	z_stream		 z;
	int			 z_init;
	int			 member_open;
	uint64_t		 members;
	/* zstd */
	ZSTD_DCtx		*zd;		/* owns */
	size_t			 zret;
};

static int
fail(struct unpack *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
fail(struct unpack *u, const char *fmt, ...)
{
	va_list	 ap;

	if (!u->failed) {
		va_start(ap, fmt);
		vsnprintf(u->err, sizeof(u->err), fmt, ap);
		va_end(ap);
		u->failed = 1;
	}
	return -1;
}

static int
emit(struct unpack *u, const unsigned char *p, size_t n)
{
	if (n > 0 && u->sink(u->arg, p, n) == -1) {
		u->failed = 1;	/* the sink's own cause: err stays "" */
		return -1;
	}
	return 0;
}

struct unpack *
unpack_new(enum compress_kind kind, unpack_sink_fn sink, void *arg)
{
	struct unpack	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->kind = kind;
	u->sink = sink;
	u->arg = arg;
	if (kind == COMPRESS_NONE)
		return u;
	if ((u->out = malloc(UNPACK_OUT)) == NULL)
		goto nomem;
	if (kind == COMPRESS_ZSTD) {
		if ((u->zd = ZSTD_createDCtx()) == NULL)
			goto nomem;
		return u;
	}
	if ((u->win = malloc(2 * UNPACK_WINDOW)) == NULL ||
	    (u->ld = libdeflate_alloc_decompressor()) == NULL)
		goto nomem;
	if (inflateInit2(&u->z, 15 + 16) != Z_OK)
		goto nomem;
	u->z_init = 1;
	return u;
nomem:
	unpack_free(u);
	errno = ENOMEM;
	return NULL;
}

void
unpack_free(struct unpack *u)
{
	if (u == NULL)
		return;
	if (u->z_init)
		inflateEnd(&u->z);
	if (u->ld != NULL)
		libdeflate_free_decompressor(u->ld);
	ZSTD_freeDCtx(u->zd);
	free(u->win);
	free(u->out);
	free(u);
}

const char *
unpack_error(const struct unpack *u)
{
	return u->err;
}

uint64_t
unpack_fast_members(const struct unpack *u)
{
	return u->fast;
}

/* n bytes at stream offset base through zlib, one member after another */
static int
gzip_slow(struct unpack *u, const unsigned char *in, size_t n, uint64_t base)
{
	u->z.next_in = (unsigned char *)in;
	u->z.avail_in = (uInt)n;
	while (u->z.avail_in > 0) {
		uint64_t	 at = base + (uint64_t)(u->z.next_in - in);
		int		 zr;

		if (!u->member_open) {
			if (u->members > 0 && u->z.next_in[0] != 0x1f)
				return fail(u, "gzip: trailing garbage after "
				    "member %" PRIu64 " at byte %" PRIu64,
				    u->members, at);
			u->member_open = 1;
		}
		u->z.next_out = u->out;
		u->z.avail_out = (uInt)ZCHUNK;
		zr = inflate(&u->z, Z_NO_FLUSH);
		if (emit(u, u->out, ZCHUNK - u->z.avail_out) == -1)
			return -1;
		if (zr == Z_STREAM_END) {
			u->members++;
			u->member_open = 0;
			if (inflateReset(&u->z) != Z_OK)
				return fail(u, "gzip: inflateReset");
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return fail(u, "gzip: %s at byte %" PRIu64,
			    u->z.msg != NULL ? u->z.msg : zError(zr),
			    base + (uint64_t)(u->z.next_in - in));
	}
	return 0;
}

/*
 * Whole members out of the window while it holds at least UNPACK_WINDOW
 * bytes (a member may still be arriving below that), or all at the end.
 * The first one libdeflate refuses goes to zlib with all that follows.
 */
static int
gzip_fast(struct unpack *u, int at_end)
{
	while (u->len > u->off &&
	    (at_end || u->len - u->off >= UNPACK_WINDOW)) {
		size_t	 in_used, out_used;

		if (libdeflate_gzip_decompress_ex(u->ld, u->win + u->off,
		    u->len - u->off, u->out, UNPACK_OUT, &in_used,
		    &out_used) != LIBDEFLATE_SUCCESS) {
			size_t	 k = u->len - u->off;

			u->slow = 1;
			u->off = u->len;
			return gzip_slow(u, u->win + u->len - k, k,
			    u->base + u->len - k);
		}
		u->off += in_used;
		u->members++;
		u->fast++;
		if (emit(u, u->out, out_used) == -1)
			return -1;
	}
	return 0;
}

static int
gzip_feed(struct unpack *u, const unsigned char *in, size_t n)
{
	const size_t	 cap = 2 * UNPACK_WINDOW;
	size_t		 k;

	while (n > 0 && !u->slow) {
		if (cap - u->len < n && u->off > 0) {
			memmove(u->win, u->win + u->off, u->len - u->off);
			u->base += u->off;
			u->len -= u->off;
			u->off = 0;
		}
		/* below UNPACK_WINDOW held: room for at least that much */
		k = cap - u->len < n ? cap - u->len : n;
		memcpy(u->win + u->len, in, k);
		u->len += k;
		in += k;
		n -= k;
		if (gzip_fast(u, 0) == -1)
			return -1;
	}
	return n > 0 ? gzip_slow(u, in, n, u->seen - n) : 0;
}

static int
zstd_feed(struct unpack *u, const unsigned char *in, size_t n)
{
	ZSTD_inBuffer	 ib = { in, n, 0 };
	uint64_t	 base = u->seen - n;

	while (ib.pos < ib.size) {
		ZSTD_outBuffer	 ob = { u->out, ZCHUNK, 0 };

		u->zret = ZSTD_decompressStream(u->zd, &ob, &ib);
		if (ZSTD_isError(u->zret))
			return fail(u, "zstd: %s at byte %" PRIu64,
			    ZSTD_getErrorName(u->zret), base + ib.pos);
		if (emit(u, u->out, ob.pos) == -1)
			return -1;
	}
	return 0;
}

int
unpack_feed(struct unpack *u, const void *p, size_t n)
{
	const unsigned char	*in = p;

	if (u->failed)
		return -1;
	u->seen += n;
	switch (u->kind) {
	case COMPRESS_NONE:
		for (size_t k; n > 0; in += k, n -= k) {
			k = n < UNPACK_OUT ? n : UNPACK_OUT;
			if (emit(u, in, k) == -1)
				return -1;
		}
		return 0;
	case COMPRESS_ZSTD:
		return zstd_feed(u, in, n);
	default:
		return gzip_feed(u, in, n);
	}
}

int
unpack_end(struct unpack *u)
{
	const char	*what = u->kind == COMPRESS_ZSTD ? "zstd" : "gzip";

	if (u->failed)
		return -1;
	if (u->kind == COMPRESS_NONE)
		return 0;
	if (u->seen == 0)
		return fail(u, "%s: empty file", what);
	if (u->kind == COMPRESS_GZIP && !u->slow && gzip_fast(u, 1) == -1)
		return -1;
	if ((u->kind == COMPRESS_GZIP && u->slow && u->member_open) ||
	    (u->kind == COMPRESS_ZSTD && u->zret != 0))
		return fail(u, "%s: unexpected end of file at byte %" PRIu64
		    " (truncated)", what, u->seen);
	return 0;
}
