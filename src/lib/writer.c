/* writer.c -- see writer.h and docs/compression.md */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <openssl/evp.h>
#include <zstd.h>

#include "cairn/age.h"
#include "cairn/util.h"
#include "cairn/writer.h"

#define WRITER_DEFAULT_BLOCK	(1024 * 1024)
#define WRITER_MAX_BLOCK	(64 * 1024 * 1024)
#define WRITER_MAX_THREADS	64
#define WRITER_SLOTS_PER_THREAD	2	/* queue depth */

enum buf_slot_state {
	BSLOT_FREE,		/* the caller may fill it */
	BSLOT_READY,		/* full, waiting for a worker */
	BSLOT_BUSY,		/* a worker compresses it */
	BSLOT_DONE,		/* compressed, waiting for its turn to be written */
};

struct slot {
	unsigned char	*in;		/* owns; block_size bytes */
	size_t		 in_len;
	unsigned char	*out;		/* owns; out_cap bytes */
	size_t		 out_len;
	enum buf_slot_state	 state;
};

struct writer {
	int		 dirfd;		/* borrows */
	int		 fd;		/* owns; the partial file */
	char		*name;		/* owns */
	char		*partial;	/* owns */
	enum compress_kind kind;
	int		 level;
	int		 nthreads;
	size_t		 block_size;
	EVP_MD_CTX	*md;		/* owns */
	struct age_enc	*age;		/* owns; NULL: not encrypted */
	int		 age_errno;	/* of the last failed file write */
	uint64_t	 raw_bytes;
	uint64_t	 stored_bytes;	/* only the thread holding the output */

	/* sticky error: first one wins; guarded by mtx once threads run */
	int		 failed;
	atomic_int	 failed_flag;	/* = failed, for writer_write()'s
					 * lock-free check */
	int		 fail_errno;
	char		 errbuf[256];

	/* gzip: a ring of slots, filled in order by the caller, compressed by
	 * any worker, written in order by whichever worker holds `writing` */
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv_work;	/* workers: a slot is READY, or stop */
	pthread_cond_t	 cv_free;	/* caller: a slot went FREE */
	pthread_t	*tids;		/* owns */
	int		 nstarted;
	struct slot	*slots;		/* owns */
	size_t		 depth;
	size_t		 out_cap;
	uint64_t	 submitted;	/* slots handed to workers */
	uint64_t	 next_comp;	/* next slot a worker takes */
	uint64_t	 next_write;	/* next slot to write out */
	int		 writing;
	int		 stop;
	struct slot	*cur;		/* the slot the caller fills, or NULL */

	/* zstd */
	ZSTD_CCtx	*zc;		/* owns */
	unsigned char	*zout;		/* owns */
	size_t		 zout_cap;
	int		 zstarted;

	/* none */
	unsigned char	*buf;		/* owns */
	size_t		 buf_len;
};

const char *
writer_suffix(enum compress_kind kind)
{
	switch (kind) {
	case COMPRESS_GZIP:
		return ".gz";
	case COMPRESS_ZSTD:
		return ".zst";
	case COMPRESS_NONE:
		break;
	}
	return "";
}

int
writer_is_partial(const char *name)
{
	size_t	 plen = strlen(WRITER_PARTIAL_PREFIX);
	size_t	 slen = strlen(WRITER_PARTIAL_SUFFIX);
	size_t	 len = strlen(name);

	return len > plen + slen && strchr(name, '/') == NULL &&
	    strncmp(name, WRITER_PARTIAL_PREFIX, plen) == 0 &&
	    strcmp(name + len - slen, WRITER_PARTIAL_SUFFIX) == 0;
}

const char *
writer_error(const struct writer *w)
{
	return w->errbuf[0] != '\0' ? w->errbuf : "no error";
}

#ifdef CAIRN_FAULT_INJECTION
/* Tests only: CAIRN_WRITER_FAULT=fsync|rename|dirsync fails that step. */
static int
writer_fault(const char *what)
{
	const char	*f = getenv("CAIRN_WRITER_FAULT");

	if (f != NULL && strcmp(f, what) == 0) {
		errno = EIO;
		return 1;
	}
	return 0;
}
#else
#define writer_fault(what)	0
#endif

/* Record the first error; caller holds mtx once threads run. */
static void __attribute__((format(printf, 3, 4)))
writer_fail_locked(struct writer *w, int errnum, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;

	if (w->failed)
		return;
	w->failed = 1;
	atomic_store_explicit(&w->failed_flag, 1, memory_order_release);
	w->fail_errno = errnum;
	va_start(ap, fmt);
	vsnprintf(w->errbuf, sizeof(w->errbuf), fmt, ap);
	va_end(ap);
	n = strlen(w->errbuf);
	if (errnum != 0)
		snprintf(w->errbuf + n, sizeof(w->errbuf) - n, ": %s",
		    strerror(errnum));
}

/* Bytes to the partial file, hashed: the file's bytes (ciphertext when
 * encrypted).  Only the thread that holds the output calls it. */
static int
writer_file_out(struct writer *w, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (util_write_all(w->fd, buf, len) == -1) {
		w->age_errno = errno;
		return -1;
	}
	if (EVP_DigestUpdate(w->md, buf, len) != 1) {
		w->age_errno = EIO;
		return -1;
	}
	w->stored_bytes += len;
	return 0;
}

static int
writer_age_out(void *arg, const void *buf, size_t len)
{
	return writer_file_out(arg, buf, len);
}

/* Compressed bytes out: through the encryptor when there is one.  Only
 * one thread at a time: the caller (zstd, none) or the worker holding
 * `writing` (gzip). */
static int
writer_emit(struct writer *w, const void *buf, size_t len, int *errnum)
{
	w->age_errno = 0;
	if (len == 0)
		return 0;
	if ((w->age != NULL ? age_enc_write(w->age, buf, len) :
	    writer_file_out(w, buf, len)) == -1) {
		*errnum = w->age_errno != 0 ? w->age_errno : EIO;
		return -1;
	}
	return 0;
}

/* ---- gzip: blocks compressed in parallel, one gzip member each ---- */

static void *
writer_worker(void *arg)
{
	struct writer			*w = arg;
	struct libdeflate_compressor	*c;
	struct slot			*s, *ws;
	int				 skip, errnum;

	c = libdeflate_alloc_compressor(w->level);
	pthread_mutex_lock(&w->mtx);
	if (c == NULL)
		writer_fail_locked(w, ENOMEM, "compressor for %s", w->partial);
	for (;;) {
		while (!w->stop && w->next_comp == w->submitted)
			pthread_cond_wait(&w->cv_work, &w->mtx);
		if (w->next_comp == w->submitted)
			break;		/* stop, and nothing left to take */
		s = &w->slots[w->next_comp++ % w->depth];
		s->state = BSLOT_BUSY;
		skip = w->failed;
		pthread_mutex_unlock(&w->mtx);

		s->out_len = 0;
		if (!skip && c != NULL) {
			s->out_len = libdeflate_gzip_compress(c, s->in,
			    s->in_len, s->out, w->out_cap);
		}

		pthread_mutex_lock(&w->mtx);
		if (!skip && c != NULL && s->out_len == 0)
			writer_fail_locked(w, EOVERFLOW, "compressing %s",
			    w->partial);
		s->state = BSLOT_DONE;
		/* write out every finished slot that is next in order */
		while (!w->writing && w->next_write < w->submitted &&
		    (ws = &w->slots[w->next_write % w->depth])->state ==
		    BSLOT_DONE) {
			w->writing = 1;
			skip = w->failed;
			pthread_mutex_unlock(&w->mtx);
			errnum = 0;
			if (!skip)
				(void)writer_emit(w, ws->out, ws->out_len,
				    &errnum);
			pthread_mutex_lock(&w->mtx);
			if (errnum != 0)
				writer_fail_locked(w, errnum, "writing %s",
				    w->partial);
			ws->state = BSLOT_FREE;
			ws->in_len = 0;
			w->next_write++;
			w->writing = 0;
			pthread_cond_broadcast(&w->cv_free);
		}
	}
	pthread_mutex_unlock(&w->mtx);
	if (c != NULL)
		libdeflate_free_compressor(c);
	return NULL;
}

static int
writer_gzip_start(struct writer *w)
{
	sigset_t	 all, old;
	size_t		 i;
	int		 rc;

	w->depth = (size_t)w->nthreads * WRITER_SLOTS_PER_THREAD;
	w->out_cap = libdeflate_gzip_compress_bound(NULL, w->block_size);
	w->slots = xcalloc(w->depth, sizeof(*w->slots));
	for (i = 0; i < w->depth; i++) {
		w->slots[i].in = xmalloc(w->block_size);
		w->slots[i].out = xmalloc(w->out_cap);
	}
	w->tids = xcalloc(w->nthreads, sizeof(*w->tids));
	/* signals belong to the caller's thread, never to a worker */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; w->nstarted < w->nthreads; w->nstarted++) {
		rc = pthread_create(&w->tids[w->nstarted], NULL,
		    writer_worker, w);
		if (rc != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			errno = rc;
			return -1;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

/* Hand the caller's slot to the workers. */
static void
writer_gzip_submit(struct writer *w)
{
	pthread_mutex_lock(&w->mtx);
	w->cur->state = BSLOT_READY;
	w->submitted++;
	w->cur = NULL;
	pthread_cond_signal(&w->cv_work);
	pthread_mutex_unlock(&w->mtx);
}

/* Wait for the next slot in the ring to be free; -1 on a sticky error. */
static int
writer_gzip_acquire(struct writer *w)
{
	struct slot	*s;
	int		 failed;

	pthread_mutex_lock(&w->mtx);
	s = &w->slots[w->submitted % w->depth];
	while (!w->failed && s->state != BSLOT_FREE)
		pthread_cond_wait(&w->cv_free, &w->mtx);
	failed = w->failed;
	pthread_mutex_unlock(&w->mtx);
	if (failed)
		return -1;
	s->in_len = 0;
	w->cur = s;
	return 0;
}

static int
writer_gzip_write(struct writer *w, const unsigned char *p, size_t len)
{
	size_t	 n;

	while (len > 0) {
		if (w->cur == NULL && writer_gzip_acquire(w) == -1)
			return -1;
		n = w->block_size - w->cur->in_len;
		if (n > len)
			n = len;
		memcpy(w->cur->in + w->cur->in_len, p, n);
		w->cur->in_len += n;
		p += n;
		len -= n;
		if (w->cur->in_len == w->block_size)
			writer_gzip_submit(w);
	}
	return 0;
}

/* Stop the workers once every submitted slot is written; join them. */
static void
writer_gzip_stop(struct writer *w)
{
	int	 i;

	if (w->tids == NULL)
		return;
	pthread_mutex_lock(&w->mtx);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv_work);
	pthread_mutex_unlock(&w->mtx);
	for (i = 0; i < w->nstarted; i++)
		pthread_join(w->tids[i], NULL);
	w->nstarted = 0;
}

static int
writer_gzip_finish(struct writer *w)
{
	/* an empty input still makes one (empty) gzip member */
	if (w->cur == NULL && w->submitted == 0 &&
	    writer_gzip_acquire(w) == -1)
		return -1;
	if (w->cur != NULL && (w->cur->in_len > 0 || w->submitted == 0))
		writer_gzip_submit(w);
	writer_gzip_stop(w);
	return w->failed ? -1 : 0;
}

/* ---- zstd: libzstd's own worker threads ---- */

static int
writer_zstd_start(struct writer *w)
{
	size_t	 rc;

	if ((w->zc = ZSTD_createCCtx()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rc = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, w->level);
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(rc)) {
		errno = EINVAL;
		return -1;
	}
	/* nbWorkers >= 1 compresses on libzstd's threads, overlapping with
	 * the caller; a libzstd built without threads refuses: then the
	 * caller's thread compresses */
	(void)ZSTD_CCtx_setParameter(w->zc, ZSTD_c_nbWorkers, w->nthreads);
	w->zout_cap = ZSTD_CStreamOutSize();
	w->zout = xmalloc(w->zout_cap);
	return 0;
}

static int
writer_zstd_push(struct writer *w, const void *p, size_t len,
    ZSTD_EndDirective mode)
{
	ZSTD_inBuffer	 in = { p, len, 0 };
	ZSTD_outBuffer	 out;
	sigset_t	 all, old;
	size_t		 rc;
	int		 errnum = 0;

	for (;;) {
		out.dst = w->zout;
		out.size = w->zout_cap;
		out.pos = 0;
		if (!w->zstarted) {
			/* libzstd starts its threads now: no signals for them */
			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &old);
			rc = ZSTD_compressStream2(w->zc, &out, &in, mode);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			w->zstarted = 1;
		} else
			rc = ZSTD_compressStream2(w->zc, &out, &in, mode);
		if (ZSTD_isError(rc)) {
			writer_fail_locked(w, 0, "compressing %s: %s",
			    w->partial, ZSTD_getErrorName(rc));
			errno = EIO;
			return -1;
		}
		if (writer_emit(w, w->zout, out.pos, &errnum) == -1) {
			writer_fail_locked(w, errnum, "writing %s", w->partial);
			errno = errnum;
			return -1;
		}
		if (mode == ZSTD_e_end ? rc == 0 : in.pos == in.size)
			return 0;
	}
}

/* ---- none: plain bytes through a buffer ---- */

static int
writer_none_flush(struct writer *w)
{
	int	 errnum = 0;

	if (writer_emit(w, w->buf, w->buf_len, &errnum) == -1) {
		writer_fail_locked(w, errnum, "writing %s", w->partial);
		errno = errnum;
		return -1;
	}
	w->buf_len = 0;
	return 0;
}

static int
writer_none_write(struct writer *w, const unsigned char *p, size_t len)
{
	size_t	 n;

	while (len > 0) {
		n = w->block_size - w->buf_len;
		if (n > len)
			n = len;
		memcpy(w->buf + w->buf_len, p, n);
		w->buf_len += n;
		p += n;
		len -= n;
		if (w->buf_len == w->block_size && writer_none_flush(w) == -1)
			return -1;
	}
	return 0;
}

/* ---- the writer ---- */

static void
writer_free(struct writer *w)
{
	size_t	 i;

	writer_gzip_stop(w);
	if (w->slots != NULL) {
		for (i = 0; i < w->depth; i++) {
			free(w->slots[i].in);
			free(w->slots[i].out);
		}
		free(w->slots);
	}
	free(w->tids);
	pthread_cond_destroy(&w->cv_free);
	pthread_cond_destroy(&w->cv_work);
	pthread_mutex_destroy(&w->mtx);
	ZSTD_freeCCtx(w->zc);
	free(w->zout);
	free(w->buf);
	age_enc_free(w->age);
	EVP_MD_CTX_free(w->md);
	if (w->fd != -1)
		close(w->fd);
	free(w->name);
	free(w->partial);
	free(w);
}

/* CPUs this process may run on (taskset, cpusets, containers): a system
 * call, so it works in a sandbox without /sys; else online CPUs. */
static int
writer_default_threads(void)
{
	cpu_set_t	 set;
	long		 n;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > WRITER_MAX_THREADS ? WRITER_MAX_THREADS :
	    (int)n;
}

static int
writer_check_opts(const struct writer_opts *o, int *level, int *threads,
    size_t *block)
{
	switch (o->compression) {
	case COMPRESS_GZIP:
		*level = o->level == 0 ? 6 : o->level;
		if (*level < 1 || *level > 12)
			return -1;
		break;
	case COMPRESS_ZSTD:
		*level = o->level == 0 ? 3 : o->level;
		if (*level < 1 || *level > ZSTD_maxCLevel())
			return -1;
		break;
	case COMPRESS_NONE:
		*level = 0;
		break;
	default:
		return -1;
	}
	if (o->threads < 0 || o->threads > WRITER_MAX_THREADS)
		return -1;
	if ((*threads = o->threads) == 0)
		*threads = writer_default_threads();
	if (o->block_size > WRITER_MAX_BLOCK)
		return -1;
	*block = o->block_size == 0 ? WRITER_DEFAULT_BLOCK : o->block_size;
	return 0;
}

void
writer_open_culprit(int dirfd, const char *name, int errnum, char *out,
    size_t len)
{
	struct stat	 sb;

	if (errnum == EEXIST && fstatat(dirfd, name, &sb,
	    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT)
		snprintf(out, len, "%s%s%s", WRITER_PARTIAL_PREFIX, name,
		    WRITER_PARTIAL_SUFFIX);
	else
		snprintf(out, len, "%s", name);
}

/*
 * Long (86 lines): set-up in the order writer_abort() undoes it, with a
 * single failure path.
 */
struct writer *
writer_open(int dirfd, const char *name, const struct writer_opts *opts)
{
	static const struct writer_opts	 defaults = { .compression = COMPRESS_GZIP };
	struct writer			*w;
	struct stat			 sb;
	int				 level, threads, saved;
	size_t				 block;

	if (opts == NULL)
		opts = &defaults;
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) + strlen(WRITER_PARTIAL_PREFIX WRITER_PARTIAL_SUFFIX) >
	    NAME_MAX ||
	    writer_check_opts(opts, &level, &threads, &block) == -1) {
		errno = EINVAL;
		return NULL;
	}
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return NULL;
	}
	if (errno != ENOENT)
		return NULL;

	w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->dirfd = dirfd;
	w->kind = opts->compression;
	w->level = level;
	w->nthreads = threads;
	w->block_size = block;
	w->name = xstrdup(name);
	w->partial = xasprintf("%s%s%s", WRITER_PARTIAL_PREFIX, name,
	    WRITER_PARTIAL_SUFFIX);
	pthread_mutex_init(&w->mtx, NULL);
	pthread_cond_init(&w->cv_work, NULL);
	pthread_cond_init(&w->cv_free, NULL);

	if ((w->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
		errno = ENOMEM;
		goto fail;
	}
	w->fd = openat(dirfd, w->partial,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    opts->mode == 0 ? 0600 : opts->mode);
	if (w->fd == -1)
		goto fail;
	/* the mode asked for, whatever the umask */
	if (fchmod(w->fd, opts->mode == 0 ? 0600 : opts->mode) == -1)
		goto fail_unlink;
	/* encrypted: the age header first; then only ciphertext */
	if (opts->nage_recipients > 0 && (w->age = age_enc_new(
	    opts->age_recipients, opts->nage_recipients, writer_age_out,
	    w)) == NULL) {
		if (w->age_errno != 0)
			errno = w->age_errno;
		goto fail_unlink;
	}

	switch (w->kind) {
	case COMPRESS_GZIP:
		if (writer_gzip_start(w) == -1)
			goto fail_unlink;
		break;
	case COMPRESS_ZSTD:
		if (writer_zstd_start(w) == -1)
			goto fail_unlink;
		break;
	case COMPRESS_NONE:
		w->buf = xmalloc(w->block_size);
		break;
	}
	return w;

fail_unlink:
	saved = errno;
	(void)unlinkat(dirfd, w->partial, 0);
	errno = saved;
fail:
	saved = errno;
	writer_free(w);
	errno = saved;
	return NULL;
}

static int
writer_failed(struct writer *w)
{
	int	 failed;

	pthread_mutex_lock(&w->mtx);
	failed = w->failed;
	if (failed)
		errno = w->fail_errno != 0 ? w->fail_errno : EIO;
	pthread_mutex_unlock(&w->mtx);
	return failed;
}

int
writer_write(struct writer *w, const void *p, size_t len)
{
	int	 rc = 0;

	/* no lock per call: callers may write one row at a time */
	if (atomic_load_explicit(&w->failed_flag, memory_order_acquire) &&
	    writer_failed(w))
		return -1;
	switch (w->kind) {
	case COMPRESS_GZIP:
		rc = writer_gzip_write(w, p, len);
		break;
	case COMPRESS_ZSTD:
		rc = writer_zstd_push(w, p, len, ZSTD_e_continue);
		break;
	case COMPRESS_NONE:
		rc = writer_none_write(w, p, len);
		break;
	}
	if (rc == -1) {
		(void)writer_failed(w);		/* errno of the sticky error */
		return -1;
	}
	w->raw_bytes += len;
	return 0;
}

/* Flush, fsync, close, rename into place, fsync the folder. */
static int
writer_finish(struct writer *w, struct artifact_info *info)
{
	unsigned int	 mdlen = 0;
	int		 fd, rc = 0;

	switch (w->kind) {
	case COMPRESS_GZIP:
		rc = writer_gzip_finish(w);
		break;
	case COMPRESS_ZSTD:
		rc = writer_zstd_push(w, NULL, 0, ZSTD_e_end);
		break;
	case COMPRESS_NONE:
		rc = writer_none_flush(w);
		break;
	}
	if (rc == -1)
		return -1;
	if (w->age != NULL && age_enc_finish(w->age) == -1) {
		writer_fail_locked(w, w->age_errno != 0 ? w->age_errno : EIO,
		    "writing %s", w->partial);
		return -1;
	}
	if (writer_fault("fsync") || fsync(w->fd) == -1) {
		writer_fail_locked(w, errno, "fsync %s", w->partial);
		return -1;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) == -1) {
		writer_fail_locked(w, errno, "closing %s", w->partial);
		return -1;
	}
	if (EVP_DigestFinal_ex(w->md, info->sha256, &mdlen) != 1 ||
	    mdlen != sizeof(info->sha256)) {
		writer_fail_locked(w, EIO, "sha256 of %s", w->partial);
		return -1;
	}
	util_hex(info->sha256_hex, info->sha256, sizeof(info->sha256));
	info->raw_bytes = w->raw_bytes;
	info->stored_bytes = w->stored_bytes;

	/* never replace a file: RENAME_NOREPLACE, or link+unlink where the
	 * file system cannot do that */
	if (writer_fault("rename"))
		rc = -1;
	else if ((rc = renameat2(w->dirfd, w->partial, w->dirfd, w->name,
	    RENAME_NOREPLACE)) == -1 && errno == EINVAL &&
	    (rc = linkat(w->dirfd, w->partial, w->dirfd, w->name, 0)) == 0)
		(void)unlinkat(w->dirfd, w->partial, 0);
	if (rc == -1) {
		writer_fail_locked(w, errno, "renaming %s to %s", w->partial,
		    w->name);
		return -1;
	}
	if (writer_fault("dirsync") || fsync(w->dirfd) == -1) {
		writer_fail_locked(w, errno, "fsync of the folder of %s",
		    w->name);
		/* the rename may not last: take the artifact back */
		(void)unlinkat(w->dirfd, w->name, 0);
		return -1;
	}
	return 0;
}

int
writer_commit(struct writer *w, struct artifact_info *info, char *err,
    size_t errlen)
{
	struct artifact_info	 tmp;
	int			 rc, saved;

	if (info == NULL)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	if ((rc = writer_failed(w) ? -1 : writer_finish(w, info)) == -1) {
		writer_gzip_stop(w);
		saved = w->fail_errno != 0 ? w->fail_errno : EIO;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", writer_error(w));
		(void)unlinkat(w->dirfd, w->partial, 0);
		memset(info, 0, sizeof(*info));
		writer_free(w);
		errno = saved;
		return -1;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	writer_free(w);
	return 0;
}

void
writer_abort(struct writer *w)
{
	int	 saved = errno;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mtx);
	writer_fail_locked(w, ECANCELED, "%s", "aborted");
	pthread_mutex_unlock(&w->mtx);
	writer_gzip_stop(w);
	(void)unlinkat(w->dirfd, w->partial, 0);
	writer_free(w);
	errno = saved;
}
