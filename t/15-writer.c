/* t/15-writer.c -- the artifact writer: round trips, sha256, atomicity */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>
#include <zlib.h>

#include "cairn/age.h"
#include "cairn/util.h"
#include "cairn/writer.h"
#include "tap.h"

#define BLOCK	4096		/* small blocks: many members, valgrind-sized */

static char	*dir;
static int	 dfd;

/* Deterministic input: mysqldump-like text, or incompressible bytes. */
static unsigned char *
make_input(size_t len, int text)
{
	static const char	 row[] = "INSERT INTO `film` VALUES "
	    "(1,'ACADEMY DINOSAUR','A Epic Drama',2006,1,NULL,6,'0.99');\n";
	unsigned char		*p = xmalloc(len + 1);
	unsigned long		 x = 88172645463325252UL;
	size_t			 i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = text ? (unsigned char)row[(i + (x & 3)) % (sizeof(row) - 1)]
		    : (unsigned char)(x >> 24);
	}
	return p;
}

static void
sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char	 md[32];
	unsigned int	 n;

	if (EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) != 1)
		bail("EVP_Digest failed");
	util_hex(out, md, sizeof(md));
}

/* The whole output of a shell command; NULL if it failed. */
static unsigned char *
run(const char *cmd, size_t *lenp)
{
	FILE		*f;
	unsigned char	*buf = NULL;
	size_t		 len = 0, cap = 0, n;

	if ((f = popen(cmd, "r")) == NULL)
		bail("popen %s: %s", cmd, strerror(errno));
	for (;;) {
		if (cap - len < 65536)
			buf = xreallocarray(buf, cap = cap * 2 + 65536, 1);
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (pclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

static int
same(const unsigned char *got, size_t gotlen, const unsigned char *want,
    size_t wantlen)
{
	return got != NULL && gotlen == wantlen &&
	    (wantlen == 0 || memcmp(got, want, wantlen) == 0);
}

static unsigned char *
slurp(const char *path, size_t *lenp)
{
	unsigned char	*buf;
	struct stat	 sb;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1)
		bail("%s: %s", path, strerror(errno));
	buf = xmalloc(sb.st_size + 1);
	if (util_read_all(fd, buf, sb.st_size) != sb.st_size)
		bail("%s: short read", path);
	close(fd);
	*lenp = sb.st_size;
	return buf;
}

/* Inflate every gzip member of a file with zlib; -1 on a bad stream. */
static int
inflate_members(const char *path, unsigned char **outp, size_t *outlen)
{
	z_stream	 z;
	unsigned char	*in, *out = NULL;
	size_t		 inlen, cap = 0, len = 0;
	int		 rc, members = 0;

	in = slurp(path, &inlen);
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		bail("inflateInit2");
	z.next_in = in;
	z.avail_in = inlen;
	for (;;) {
		if (cap - len < 65536)
			out = xreallocarray(out, cap = cap * 2 + 65536, 1);
		z.next_out = out + len;
		z.avail_out = cap - len;
		rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		if (rc == Z_STREAM_END) {
			members++;
			if (z.avail_in == 0)
				break;
			inflateReset(&z);
		} else if (rc != Z_OK) {
			members = -1;
			break;
		}
	}
	inflateEnd(&z);
	free(in);
	*outp = out;
	*outlen = len;
	return members;
}

static int
gzread_same(const char *path, const unsigned char *want, size_t wantlen)
{
	gzFile		 g;
	unsigned char	*buf = xmalloc(wantlen + 2);
	size_t		 len = 0;
	int		 n, rc;

	if ((g = gzopen(path, "rb")) == NULL)
		bail("gzopen %s", path);
	while ((n = gzread(g, buf + len, wantlen + 2 - len)) > 0)
		len += n;
	rc = n == 0 && same(buf, len, want, wantlen);
	gzclose(g);
	free(buf);
	return rc;
}

/* Only the final name is left in the folder. */
static int
folder_holds_only(const char *name)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0, found = 0;

	if ((d = opendir(dir)) == NULL)
		bail("opendir %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (name != NULL && strcmp(e->d_name, name) == 0)
			found = 1;
	}
	closedir(d);
	return name == NULL ? n == 0 : n == 1 && found;
}

/* Write data through the writer in odd-sized chunks and commit. */
static int
write_artifact(const char *name, enum compress_kind kind, int threads,
    const unsigned char *data, size_t len, struct artifact_info *info)
{
	static const size_t	 chunks[] = { 1, 7, 4093, 333, 10000, 4096 };
	struct writer_opts	 o = { .compression = kind,
	    .threads = threads, .block_size = BLOCK };
	struct writer		*w;
	char			 err[256];
	size_t			 off = 0, n, i = 0;

	if ((w = writer_open(dfd, name, &o)) == NULL) {
		diag("writer_open %s: %s", name, strerror(errno));
		return -1;
	}
	while (off < len) {
		n = chunks[i++ % nitems(chunks)];
		if (n > len - off)
			n = len - off;
		if (writer_write(w, data + off, n) == -1) {
			diag("writer_write: %s", writer_error(w));
			writer_abort(w);
			return -1;
		}
		off += n;
	}
	if (writer_commit(w, info, err, sizeof(err)) == -1) {
		diag("writer_commit: %s", err);
		return -1;
	}
	return 0;
}

/* The checks every artifact gets: 3 tests. */
static void
check_common(const char *desc, const char *path, const char *name,
    const struct artifact_info *info, size_t len)
{
	struct stat	 sb;
	unsigned char	*out;
	char		*cmd;
	size_t		 outlen;

	cmd = xasprintf("sha256sum '%s'", path);
	out = run(cmd, &outlen);
	ok(out != NULL && outlen > 64 &&
	    memcmp(out, info->sha256_hex, 64) == 0,
	    "%s: sha256 is sha256sum's", desc);
	free(out);
	free(cmd);
	ok(stat(path, &sb) == 0 && info->raw_bytes == len &&
	    info->stored_bytes == (uint64_t)sb.st_size &&
	    (sb.st_mode & 07777) == 0600,
	    "%s: sizes %llu/%llu and mode 0600", desc,
	    (unsigned long long)info->raw_bytes,
	    (unsigned long long)info->stored_bytes);
	ok(folder_holds_only(name), "%s: no partial file left", desc);
}

static void
gzip_case(const char *desc, size_t len, int text, int threads)
{
	struct artifact_info	 info;
	unsigned char		*data, *out;
	char			*path, *cmd, hex[65];
	const char		*name = "t.sql.gz";
	size_t			 outlen;
	int			 members;

	data = make_input(len, text);
	path = xasprintf("%s/%s", dir, name);
	if (write_artifact(name, COMPRESS_GZIP, threads, data, len,
	    &info) == -1) {
		skip(7, "%s: the writer failed", desc);
		goto out;
	}
	check_common(desc, path, name, &info, len);

	cmd = xasprintf("gunzip -c < '%s'", path);
	out = run(cmd, &outlen);
	ok(same(out, outlen, data, len), "%s: gunzip reads it back", desc);
	free(out);
	free(cmd);

	ok(gzread_same(path, data, len), "%s: zlib gzread reads it back",
	    desc);

	members = inflate_members(path, &out, &outlen);
	ok(same(out, outlen, data, len) && members ==
	    (len == 0 ? 1 : (int)((len + BLOCK - 1) / BLOCK)),
	    "%s: inflate reads it back, %d gzip member(s)", desc, members);
	free(out);

	sha256_hex(data, len, hex);
	cmd = xasprintf("python3 -c 'import gzip,hashlib,sys; print("
	    "hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())' "
	    "'%s'", path);
	out = run(cmd, &outlen);
	ok(out != NULL && outlen > 64 && memcmp(out, hex, 64) == 0,
	    "%s: python's gzip reads it back", desc);
	free(out);
	free(cmd);
	unlink(path);
out:
	free(path);
	free(data);
}

static void
other_case(const char *desc, enum compress_kind kind, size_t len, int text)
{
	struct artifact_info	 info;
	unsigned char		*data, *out;
	char			*path, *cmd, name[32];
	size_t			 outlen;

	data = make_input(len, text);
	snprintf(name, sizeof(name), "t.sql%s", writer_suffix(kind));
	path = xasprintf("%s/%s", dir, name);
	if (write_artifact(name, kind, 2, data, len, &info) == -1) {
		skip(4, "%s: the writer failed", desc);
		goto out;
	}
	check_common(desc, path, name, &info, len);
	cmd = xasprintf(kind == COMPRESS_ZSTD ? "zstd -q -d -c < '%s'" :
	    "cat '%s'", path);
	out = run(cmd, &outlen);
	ok(same(out, outlen, data, len), "%s: %s reads it back", desc,
	    kind == COMPRESS_ZSTD ? "zstd -d" : "cat");
	free(out);
	free(cmd);
	unlink(path);
out:
	free(path);
	free(data);
}

static void
abort_case(enum compress_kind kind)
{
	struct writer_opts	 o = { .compression = kind, .threads = 2,
	    .block_size = BLOCK };
	struct writer		*w;
	unsigned char		*data = make_input(3 * BLOCK, 1);
	struct stat		 sb;
	int			 partial;

	if ((w = writer_open(dfd, "a.sql", &o)) == NULL)
		bail("writer_open: %s", strerror(errno));
	(void)writer_write(w, data, 3 * BLOCK);
	partial = fstatat(dfd, ".a.sql.partial", &sb, 0) == 0;
	writer_abort(w);
	ok(partial && folder_holds_only(NULL),
	    "abort (%s) removes the partial file and writes nothing",
	    kind == COMPRESS_GZIP ? "gzip" : kind == COMPRESS_ZSTD ? "zstd" :
	    "none");
	free(data);
}

static void
refusal_cases(void)
{
	struct writer_opts	 o = { .compression = COMPRESS_GZIP,
	    .threads = 2, .block_size = BLOCK, .mode = 0640 };
	struct artifact_info	 info;
	struct writer		*w;
	struct stat		 sb;
	char			 err[256], buf[8];
	int			 fd;

	/* an existing final name: refused at open */
	if ((fd = openat(dfd, "x.gz", O_WRONLY | O_CREAT, 0600)) == -1)
		bail("create x.gz: %s", strerror(errno));
	(void)!write(fd, "keep", 4);
	close(fd);
	errno = 0;
	ok(writer_open(dfd, "x.gz", &o) == NULL && errno == EEXIST,
	    "open refuses an existing final name (EEXIST)");

	/* one that appears while writing: refused at commit */
	if ((w = writer_open(dfd, "y.gz", &o)) == NULL)
		bail("writer_open y.gz: %s", strerror(errno));
	(void)writer_write(w, "hello\n", 6);
	errno = 0;
	ok(writer_open(dfd, "y.gz", &o) == NULL && errno == EEXIST,
	    "a second writer for the same name is refused (partial exists)");
	if (renameat(dfd, "x.gz", dfd, "y.gz") == -1)
		bail("rename: %s", strerror(errno));
	ok(writer_commit(w, &info, err, sizeof(err)) == -1 &&
	    errno == EEXIST, "commit refuses to replace a file");
	is_str(err, "renaming .y.gz.partial to y.gz: File exists",
	    "commit says why");
	memset(buf, 0, sizeof(buf));
	fd = openat(dfd, "y.gz", O_RDONLY);
	(void)!read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ok(strcmp(buf, "keep") == 0 && folder_holds_only("y.gz"),
	    "the existing file is untouched and the partial removed");
	unlinkat(dfd, "y.gz", 0);

	/* mode */
	if ((w = writer_open(dfd, "m.gz", &o)) == NULL)
		bail("writer_open m.gz: %s", strerror(errno));
	ok(writer_commit(w, &info, err, sizeof(err)) == 0 &&
	    fstatat(dfd, "m.gz", &sb, 0) == 0 && (sb.st_mode & 07777) == 0640,
	    "the mode asked for is the file's mode");
	unlinkat(dfd, "m.gz", 0);

	/* bad arguments */
	errno = 0;
	ok(writer_open(dfd, "../evil", &o) == NULL && errno == EINVAL,
	    "a name with a slash is refused");
	o.level = 13;
	errno = 0;
	ok(writer_open(dfd, "l.gz", &o) == NULL && errno == EINVAL,
	    "gzip level 13 is refused");
	o.level = 0;
	o.threads = -1;
	errno = 0;
	ok(writer_open(dfd, "l.gz", &o) == NULL && errno == EINVAL,
	    "a negative thread count is refused");
	ok(folder_holds_only(NULL), "refusals leave nothing behind");
}

static void
put_file(const char *path, const void *p, size_t n)
{
	int	 fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || util_write_all(fd, p, n) == -1 || close(fd) == -1)
		bail("%s: %s", path, strerror(errno));
}

static int
buf_out(void *arg, const void *p, size_t n)
{
	struct { unsigned char *p; size_t len; } *b = arg;

	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* Encrypted: the partial file never holds plaintext (an uncompressed,
 * recognisable input, checked while the writer is mid-way), the artifact
 * decrypts to the compressed stream, the info is of the file. */
static void
age_case(enum compress_kind kind, int threads)
{
	struct writer_opts	 o = { .compression = kind, .threads = threads,
	    .block_size = BLOCK };
	struct age_identity	 id;
	unsigned char		 pk[1][32];
	struct artifact_info	 info;
	struct writer		*w;
	struct age_dec		*d;
	struct { unsigned char *p; size_t len; } out;
	size_t			 len = 300000, flen, ilen;
	unsigned char		*in = make_input(len, 1), *f, *inflated;
	char			 path[512], hex[65];
	const char		*name = kind == COMPRESS_NONE ? "e.sql.age" :
	    "e.sql.gz.age";
	int			 leaked = 0;

	randombytes_buf(id.sk, 32);
	crypto_scalarmult_base(id.pk, id.sk);
	memcpy(pk[0], id.pk, 32);
	o.age_recipients = (const unsigned char (*)[32])pk;
	o.nage_recipients = 1;
	if ((w = writer_open(dfd, name, &o)) == NULL)
		bail("writer_open %s: %s", name, strerror(errno));
	for (size_t off = 0; off < len; off += 10000) {
		if (writer_write(w, in + off, len - off < 10000 ? len - off :
		    10000) == -1)
			bail("writer_write: %s", writer_error(w));
		if (off == 200000) {
			snprintf(path, sizeof(path), "%s/.%s.partial", dir, name);
			f = slurp(path, &flen);
			leaked = f != NULL && memmem(f, flen, "ACADEMY DINOSAUR",
			    16) != NULL;
			ok(f != NULL && flen > 0 && memcmp(f,
			    "age-encryption.org/v1\n", 22) == 0 && !leaked,
			    "%s: the partial file is age ciphertext, no "
			    "plaintext row in it", name);
			free(f);
		}
	}
	if (writer_commit(w, &info, NULL, 0) == -1)
		bail("commit %s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = slurp(path, &flen);
	sha256_hex(f, flen, hex);
	ok(info.stored_bytes == flen && strcmp(info.sha256_hex, hex) == 0 &&
	    info.raw_bytes == len, "%s: info is of the encrypted file", name);
	out.p = xmalloc(flen);
	out.len = 0;
	d = age_dec_new(&id, 1, buf_out, &out);
	ok(age_dec_write(d, f, flen) == 0 && age_dec_finish(d) == 0,
	    "%s: decrypts with the identity", name);
	age_dec_free(d);
	if (kind == COMPRESS_NONE)
		ok(same(out.p, out.len, in, len), "%s: to the input", name);
	else {
		snprintf(path, sizeof(path), "%s/e.plain.gz", dir);
		put_file(path, out.p, out.len);
		ok(inflate_members(path, &inflated, &ilen) > 0 &&
		    same(inflated, ilen, in, len), "%s: to gzip members of "
		    "the input", name);
		free(inflated);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	free(out.p);
	free(f);
	free(in);
}

int
main(void)
{
	plan(8 * 7 + 8 * 4 + 3 + 10 + 7 + 2 * 4);

	dir = tap_tmpdir();
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		bail("%s: %s", dir, strerror(errno));

	gzip_case("gzip 0 bytes", 0, 1, 4);
	gzip_case("gzip 1 byte", 1, 1, 1);
	gzip_case("gzip one block", BLOCK, 1, 4);
	gzip_case("gzip one block - 1", BLOCK - 1, 1, 1);
	gzip_case("gzip one block + 1", BLOCK + 1, 1, 4);
	gzip_case("gzip many blocks, 1 thread", 37 * BLOCK + 123, 1, 1);
	gzip_case("gzip many blocks, 4 threads", 37 * BLOCK + 123, 1, 4);
	gzip_case("gzip random bytes", 9 * BLOCK + 5, 0, 2);

	other_case("zstd 0 bytes", COMPRESS_ZSTD, 0, 1);
	other_case("zstd text", COMPRESS_ZSTD, 200000, 1);
	other_case("zstd random bytes", COMPRESS_ZSTD, 50001, 0);
	other_case("zstd 1 byte", COMPRESS_ZSTD, 1, 1);
	other_case("none 0 bytes", COMPRESS_NONE, 0, 1);
	other_case("none 1 byte", COMPRESS_NONE, 1, 1);
	other_case("none text", COMPRESS_NONE, 9 * BLOCK + 1, 1);
	other_case("none random bytes", COMPRESS_NONE, 50001, 0);

	age_case(COMPRESS_GZIP, 2);
	age_case(COMPRESS_NONE, 1);

	abort_case(COMPRESS_GZIP);
	abort_case(COMPRESS_ZSTD);
	abort_case(COMPRESS_NONE);

	refusal_cases();

	ok(writer_is_partial(".x.sql.gz.partial"), "a partial name is one");
	ok(!writer_is_partial("x.sql.gz"), "a final name is not partial");
	ok(!writer_is_partial(".partial"), "a bare suffix is not partial");
	ok(!writer_is_partial("x.sql.gz.partial"), "no dot, not partial");
	is_str(writer_suffix(COMPRESS_GZIP), ".gz", "gzip suffix");
	is_str(writer_suffix(COMPRESS_ZSTD), ".zst", "zstd suffix");
	is_str(writer_suffix(COMPRESS_NONE), "", "none suffix");

	close(dfd);
	if (rmdir(dir) == -1)
		diag("rmdir %s: %s", dir, strerror(errno));
	free(dir);
	return tap_exit();
}
