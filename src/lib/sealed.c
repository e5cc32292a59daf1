/*
 * sealed -- temporary SQLite files encrypted under a key held in memory
 * (see include/cairn/sealed.h; the choice is in docs/encryption.md).
 *
 * A block of BLK bytes at index i, written for the g-th time, is stored
 * as plaintext XOR ChaCha20(key, nonce = le64(i) || le32(g)).  The
 * generations live in memory (gen[i], 0: never written, reads as zeros),
 * so every write takes a nonce never used before with this key.  Writes
 * are whole blocks on disk: a partial one reads, patches and re-seals its
 * block.  The logical size is kept here too (the disk holds whole blocks).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "cairn/sealed.h"

#define BLK		4096
#define RUN_BLOCKS	64	/* blocks per system call at most */

struct sealed {
	struct sealed	*next;		/* the live seals */
	dev_t		 dev;
	ino_t		 ino;
	unsigned char	 key[crypto_stream_chacha20_ietf_KEYBYTES];
	uint32_t	*gen;		/* per block */
	size_t		 ngen;
	uint64_t	 size;		/* logical */
};

static pthread_mutex_t	 seals_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sealed	*seals;

/* ---- the disk side: an fd or SQLite's own file ---- */

struct io {
	int		 fd;		/* -1: use f */
	sqlite3_file	*f;
};

/* Reads n bytes at off; past the end of the file reads zeros. */
static int
io_read(const struct io *io, unsigned char *buf, size_t n, uint64_t off)
{
	size_t	 got = 0;

	if (io->fd == -1) {
		int	 rc = io->f->pMethods->xRead(io->f, buf, (int)n,
		    (sqlite3_int64)off);

		return rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ ? 0 :
		    -1;
	}
	while (got < n) {
		ssize_t	 r = pread(io->fd, buf + got, n - got,
		    (off_t)(off + got));

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	memset(buf + got, 0, n - got);
	return 0;
}

static int
io_write(const struct io *io, const unsigned char *buf, size_t n,
    uint64_t off)
{
	size_t	 put = 0;

	if (io->fd == -1)
		return io->f->pMethods->xWrite(io->f, buf, (int)n,
		    (sqlite3_int64)off) == SQLITE_OK ? 0 : -1;
	while (put < n) {
		ssize_t	 w = pwrite(io->fd, buf + put, n - put,
		    (off_t)(off + put));

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		put += (size_t)w;
	}
	return 0;
}

/* ---- blocks ---- */

static void
block_xor(const struct sealed *s, unsigned char *b, uint64_t idx,
    uint32_t gen)
{
	unsigned char	 nonce[crypto_stream_chacha20_ietf_NONCEBYTES];

	for (int i = 0; i < 8; i++)
		nonce[i] = (unsigned char)(idx >> (8 * i));
	for (int i = 0; i < 4; i++)
		nonce[8 + i] = (unsigned char)(gen >> (8 * i));
	crypto_stream_chacha20_ietf_xor(b, b, BLK, nonce, s->key);
}

static uint32_t
block_gen(const struct sealed *s, uint64_t idx)
{
	return idx < s->ngen ? s->gen[idx] : 0;
}

/* The next generation of block idx, made room for; 0 on failure. */
static uint32_t
block_bump(struct sealed *s, uint64_t idx)
{
	if (idx >= s->ngen) {
		size_t		 n = s->ngen ? s->ngen : 1024;
		uint32_t	*g;

		while (n <= idx)
			n *= 2;
		if ((g = reallocarray(s->gen, n, sizeof(*g))) == NULL)
			return 0;
		memset(g + s->ngen, 0, (n - s->ngen) * sizeof(*g));
		s->gen = g;
		s->ngen = n;
	}
	if (s->gen[idx] == UINT32_MAX) {
		errno = EOVERFLOW;
		return 0;
	}
	return ++s->gen[idx];
}

/* k whole blocks from idx, plaintext into b (zeros where never written) */
static int
blocks_read(const struct sealed *s, const struct io *io, unsigned char *b,
    uint64_t idx, size_t k)
{
	if (io_read(io, b, k * BLK, idx * BLK) == -1)
		return -1;
	for (size_t j = 0; j < k; j++) {
		uint32_t	 g = block_gen(s, idx + j);

		if (g == 0)
			memset(b + j * BLK, 0, BLK);
		else
			block_xor(s, b + j * BLK, idx + j, g);
	}
	return 0;
}

static ssize_t
seal_read(const struct sealed *s, const struct io *io, void *buf, size_t n,
    uint64_t off)
{
	unsigned char	*b, *out = buf;
	size_t		 done = 0;

	if (off >= s->size)
		return 0;
	if (n > s->size - off)
		n = (size_t)(s->size - off);
	if ((b = malloc(BLK * (n / BLK + 2 < RUN_BLOCKS ? n / BLK + 2 :
	    RUN_BLOCKS))) == NULL)
		return -1;
	while (done < n) {
		uint64_t	 idx = (off + done) / BLK;
		size_t		 o = (size_t)((off + done) % BLK);
		size_t		 k = (o + (n - done) + BLK - 1) / BLK, c;

		if (k > RUN_BLOCKS)
			k = RUN_BLOCKS;
		if (blocks_read(s, io, b, idx, k) == -1) {
			free(b);
			return -1;
		}
		c = k * BLK - o < n - done ? k * BLK - o : n - done;
		memcpy(out + done, b + o, c);
		done += c;
	}
	free(b);
	return (ssize_t)n;
}

static int
seal_write(struct sealed *s, const struct io *io, const void *buf, size_t n,
    uint64_t off)
{
	const unsigned char	*in = buf;
	unsigned char		*b;
	size_t			 done = 0, cap;
	int			 rc = -1;

	cap = BLK * (n / BLK + 1 < RUN_BLOCKS ? n / BLK + 1 : RUN_BLOCKS);
	if ((b = malloc(cap)) == NULL)
		return -1;
	while (done < n) {
		uint64_t	 idx = (off + done) / BLK;
		size_t		 o = (size_t)((off + done) % BLK), k, c;

		if (o == 0 && n - done >= BLK) {
			/* whole blocks: no need to read them first */
			k = (n - done) / BLK < RUN_BLOCKS ? (n - done) / BLK :
			    RUN_BLOCKS;
			c = k * BLK;
			memcpy(b, in + done, c);
		} else {
			k = 1;
			c = BLK - o < n - done ? BLK - o : n - done;
			if (blocks_read(s, io, b, idx, 1) == -1)
				goto out;
			memcpy(b + o, in + done, c);
		}
		for (size_t j = 0; j < k; j++) {
			uint32_t	 g = block_bump(s, idx + j);

			if (g == 0)
				goto out;
			block_xor(s, b + j * BLK, idx + j, g);
		}
		if (io_write(io, b, k * BLK, idx * BLK) == -1)
			goto out;
		done += c;
		if (off + done > s->size)
			s->size = off + done;
	}
	rc = 0;
out:
	sodium_memzero(b, cap);	/* plaintext, on a failure */
	free(b);
	return rc;
}

/* ---- the public side ---- */

struct sealed *
sealed_new(int fd)
{
	struct sealed	*s;
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (!S_ISREG(st.st_mode) || st.st_size != 0) {
		errno = EINVAL;		/* only an empty file is sealed */
		return NULL;
	}
	if (sodium_init() < 0 || (s = calloc(1, sizeof(*s))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	crypto_stream_chacha20_ietf_keygen(s->key);
	pthread_mutex_lock(&seals_lock);
	s->next = seals;
	seals = s;
	pthread_mutex_unlock(&seals_lock);
	return s;
}

void
sealed_free(struct sealed *s)
{
	struct sealed	**pp;

	if (s == NULL)
		return;
	pthread_mutex_lock(&seals_lock);
	for (pp = &seals; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	pthread_mutex_unlock(&seals_lock);
	sodium_memzero(s->key, sizeof(s->key));
	free(s->gen);
	free(s);
}

int
sealed_pwrite(struct sealed *s, int fd, const void *buf, size_t n,
    uint64_t off)
{
	struct io	 io = { fd, NULL };

	return seal_write(s, &io, buf, n, off);
}

ssize_t
sealed_pread(struct sealed *s, int fd, void *buf, size_t n, uint64_t off)
{
	struct io	 io = { fd, NULL };

	return seal_read(s, &io, buf, n, off);
}

uint64_t
sealed_size(const struct sealed *s)
{
	return s->size;
}

/* ---- the SQLite VFS ---- */

struct sfile {
	sqlite3_file	 base;
	struct sealed	*s;
	sqlite3_file	*real;		/* the default VFS's, right after */
};

#define REAL(f)	(((struct sfile *)(f))->real)

static int
sf_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
sf_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	struct sfile	*sf = (struct sfile *)f;
	struct io	 io = { -1, sf->real };
	ssize_t		 n;

	n = seal_read(sf->s, &io, buf, (size_t)amt, (uint64_t)off);
	if (n == -1)
		return SQLITE_IOERR_READ;
	if (n < amt) {
		memset((char *)buf + n, 0, (size_t)(amt - n));
		return SQLITE_IOERR_SHORT_READ;
	}
	return SQLITE_OK;
}

static int
sf_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct sfile	*sf = (struct sfile *)f;
	struct io	 io = { -1, sf->real };

	return seal_write(sf->s, &io, buf, (size_t)amt, (uint64_t)off) == -1 ?
	    SQLITE_IOERR_WRITE : SQLITE_OK;
}

static int
sf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct sfile	*sf = (struct sfile *)f;
	uint64_t	 keep = ((uint64_t)size + BLK - 1) / BLK;
	int		 rc;

	rc = sf->real->pMethods->xTruncate(sf->real,
	    (sqlite3_int64)(keep * BLK));
	if (rc != SQLITE_OK)
		return rc;
	for (uint64_t i = keep; i < sf->s->ngen; i++)
		sf->s->gen[i] = 0;	/* gone: reads as zeros again */
	sf->s->size = (uint64_t)size;
	return SQLITE_OK;
}

static int
sf_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
sf_size(sqlite3_file *f, sqlite3_int64 *size)
{
	*size = (sqlite3_int64)((struct sfile *)f)->s->size;
	return SQLITE_OK;
}

static int
sf_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int
sf_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int
sf_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
sf_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
sf_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
sf_devchar(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/* version 1: no shared memory (no WAL), no xFetch (no memory mapping) */
static const sqlite3_io_methods sf_methods = {
	1, sf_close, sf_read, sf_write, sf_truncate, sf_sync, sf_size,
	sf_lock, sf_unlock, sf_reserved, sf_fcntl, sf_sector, sf_devchar,
	NULL, NULL, NULL, NULL, NULL, NULL,
};

static struct sealed *
seal_find(const char *name)
{
	struct sealed	*s;
	struct stat	 st;

	if (name == NULL || stat(name, &st) == -1)
		return NULL;
	pthread_mutex_lock(&seals_lock);
	for (s = seals; s != NULL; s = s->next)
		if (s->dev == st.st_dev && s->ino == st.st_ino)
			break;
	pthread_mutex_unlock(&seals_lock);
	return s;
}

static int
sf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *outflags)
{
	sqlite3_vfs	*orig = vfs->pAppData;
	struct sfile	*sf = (struct sfile *)f;
	int		 rc;

	sf->base.pMethods = NULL;
	/* a journal or a temporary file would hold plaintext: refused */
	if (!(flags & SQLITE_OPEN_MAIN_DB) ||
	    (sf->s = seal_find(name)) == NULL)
		return SQLITE_CANTOPEN;
	sf->real = (sqlite3_file *)(sf + 1);
	rc = orig->xOpen(orig, name, sf->real, flags, outflags);
	if (rc != SQLITE_OK)
		return rc;
	sf->base.pMethods = &sf_methods;
	return SQLITE_OK;
}

static sqlite3_vfs	 sealed_vfs;

static void
sealed_vfs_init(void)
{
	sqlite3_vfs	*orig = sqlite3_vfs_find(NULL);

	if (orig == NULL)
		return;
	sealed_vfs = *orig;
	sealed_vfs.pNext = NULL;
	sealed_vfs.zName = SEALED_VFS_NAME;
	sealed_vfs.pAppData = orig;
	sealed_vfs.szOsFile = (int)sizeof(struct sfile) + orig->szOsFile;
	sealed_vfs.xOpen = sf_open;
	(void)sqlite3_vfs_register(&sealed_vfs, 0);
}

int
sealed_vfs_register(void)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;

	pthread_once(&once, sealed_vfs_init);
	return sqlite3_vfs_find(SEALED_VFS_NAME) != NULL ? 0 : -1;
}
