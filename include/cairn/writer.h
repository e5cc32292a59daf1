/*
 * writer -- the one artifact writer every backup job writes through.
 *
 * A stream of bytes becomes a compressed file in a folder that is either
 * whole and correct under its final name, or not there at all.
 *
 * Contract
 *   - writer_open() refuses a NAME that exists (EEXIST), then creates
 *     ".NAME.partial" in dirfd with O_EXCL and the given mode; bytes given
 *     to writer_write() are compressed (gzip: one gzip member per block,
 *     blocks compressed with libdeflate on `threads` threads; zstd with
 *     libzstd's threads; or none) while the SHA-256 of the file's bytes and
 *     the raw/stored counts are computed on the fly.  writer_write() blocks
 *     only while every block slot is busy.
 *   - With age recipients, the compressed stream is encrypted (age.h)
 *     before it reaches the file: the partial file holds the age header and
 *     ciphertext only, and sha256/stored_bytes are of those bytes.
 *   - writer_commit() flushes, fsyncs the file, renames it to NAME and
 *     fsyncs the folder; writer_abort() unlinks the partial file.  Both free
 *     the writer, whatever happens: the writer is consumed.
 *   - Any error (ENOSPC, EIO, failed fsync or rename) is sticky: later calls
 *     fail too, commit removes the partial file and returns -1.  Errors are
 *     -1 with errno set and a message in writer_error().
 *   - Memory is bounded by threads x block size x a small queue depth
 *     (2 slots per thread: ~4 MiB per thread with 1 MiB blocks).
 *   - Borrows dirfd (not closed); it must stay open until commit/abort.
 *   - Its threads block all signals.  A process that may hit RLIMIT_FSIZE
 *     must ignore SIGXFSZ to get EFBIG rather than be killed.
 *   - Not for concurrent use: one thread calls write/commit/abort.
 *   See docs/compression.md.
 */
#ifndef CAIRN_WRITER_H
#define CAIRN_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cairn/conf.h"

#define WRITER_PARTIAL_PREFIX	"."
#define WRITER_PARTIAL_SUFFIX	".partial"

struct writer_opts {
	enum compress_kind compression;	/* COMPRESS_GZIP */
	int		 level;		/* 0: default (gzip 6 of 1-12, zstd 3 of 1-19) */
	int		 threads;	/* 0: CPUs we may run on (1-64) */
	size_t		 block_size;	/* 0: 1 MiB (max 64 MiB) */
	mode_t		 mode;		/* 0: 0600 */
	/* age X25519 recipients (borrowed until writer_open() returns);
	 * none: the file is not encrypted */
	const unsigned char (*age_recipients)[32];
	size_t		 nage_recipients;
};

struct artifact_info {
	uint64_t	 raw_bytes;	/* bytes given to writer_write() */
	uint64_t	 stored_bytes;	/* bytes in the file */
	unsigned char	 sha256[32];	/* of the file's bytes */
	char		 sha256_hex[65];
};

struct writer;

/* The file name suffix of a compression kind: ".gz", ".zst" or "". */
const char	*writer_suffix(enum compress_kind);
/* Is NAME a writer's partial file? */
int		 writer_is_partial(const char *name);

/* Returns new, or NULL with errno set. */
struct writer	*writer_open(int dirfd, const char *name,
		    const struct writer_opts *);
/*
 * After writer_open() failed with errnum: the file it could not create
 * into out, "NAME" or, when NAME itself is absent and the error is
 * EEXIST, ".NAME.partial" (a file left there, or another writer's).
 */
void		 writer_open_culprit(int dirfd, const char *name, int errnum,
		    char *out, size_t len);
int		 writer_write(struct writer *, const void *, size_t);
/* Consumes the writer.  0 and *info filled, or -1 (partial removed). */
int		 writer_commit(struct writer *, struct artifact_info *info,
		    char *err, size_t errlen);
/* Consumes the writer; removes the partial file. */
void		 writer_abort(struct writer *);
const char	*writer_error(const struct writer *);

#endif /* CAIRN_WRITER_H */
