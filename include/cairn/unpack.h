/*
 * unpack -- an artifact's compressed stream (gzip members, zstd, or none)
 * decompressed from chunks of any size into a sink.  The verifier and
 * cairnctl restore both read artifacts through it.
 *
 * Contract
 *   - unpack_feed() takes the stream in chunks of any size; the plaintext
 *     reaches the sink in order, in pieces of at most UNPACK_OUT bytes.
 *   - gzip: any number of members, one after another.  A member the
 *     window holds whole (cairn's writer makes them of 1 or 2 MiB of text) is
 *     decoded at once by libdeflate, about twice zlib's speed; from the
 *     first member it cannot decode so (a larger one, or damage) zlib
 *     streams the rest, and its message, with the byte offset, says what
 *     is wrong.  Memory is bounded: two windows and one output buffer.
 *   - Errors: unpack_feed()/unpack_end() return -1 and keep the first
 *     cause in unpack_error() ("gzip: incorrect data check at byte 812",
 *     "gzip: unexpected end of file at byte 9 (truncated)"; "" when the
 *     sink returned -1); every later call returns -1 at once.
 *   - unpack_end() says whether the stream ended where it may: after a
 *     whole gzip member or zstd frame; an empty compressed stream is an
 *     error ("gzip: empty file").
 */
#ifndef CAIRN_UNPACK_H
#define CAIRN_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/conf.h"

/* room for the writer's largest member (SQLite: 2 MiB of text, which an
 * incompressible block makes slightly larger compressed) */
#define UNPACK_WINDOW	((size_t)4 << 20)	/* compressed bytes */
#define UNPACK_OUT	((size_t)4 << 20)

/* 0, or -1 to stop */
typedef int	(*unpack_sink_fn)(void *arg, const unsigned char *, size_t);

struct unpack;

/* Returns new (unpack_free()), or NULL with errno set. */
struct unpack	*unpack_new(enum compress_kind, unpack_sink_fn, void *arg);
int		 unpack_feed(struct unpack *, const void *, size_t);
int		 unpack_end(struct unpack *);
const char	*unpack_error(const struct unpack *);
/* gzip members decoded whole so far (the rest went through zlib) */
uint64_t	 unpack_fast_members(const struct unpack *);
void		 unpack_free(struct unpack *);

#endif /* CAIRN_UNPACK_H */
