/*
 * s3 -- a small S3 client over libcurl: single PUT, streaming multipart
 * upload with parts in flight at once, GET, HEAD, DELETE, LIST
 * (docs/offsite.md).
 *
 * Contract
 *   - Requests are signed by libcurl itself (CURLOPT_AWS_SIGV4,
 *     "aws:amz:REGION:s3"); every request carries x-amz-content-sha256
 *     (the payload's SHA-256, or that of the empty string) so the
 *     signature covers the bytes sent.  Each part also carries its
 *     Content-MD5, which S3 checks before it stores the part.
 *   - Memory: s3_upload() holds at most concurrency buffers of part_size
 *     bytes, whatever the object's size.  An object of at most part_size
 *     bytes (an empty one too) goes up in one PUT.
 *   - Retries: a transport error (connection refused, reset, timeout) or
 *     an HTTP 5xx/429 is retried with exponential backoff (0.5 s, 1 s, 2 s
 *     ... at most 30 s) up to retries times per request; a 4xx other than
 *     429 is final.  A multipart upload that fails for good is aborted on
 *     the server (best effort: the answer is logged).
 *   - Every failure returns a CAIRN_E_* code with one line in err: the
 *     HTTP status and the server's <Code>, what it means for this request
 *     (403: the keys; 404 NoSuchBucket: the bucket), or the transport
 *     error (DNS, connection).  Keys never appear in err or in logs.
 *   - s3_global_init() once per process before any other call.  Nothing
 *     here is thread-safe across calls; one call at a time per process.
 */
#ifndef CAIRN_S3_H
#define CAIRN_S3_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define S3_MAX_PARTS	10000

struct s3_params {
	const char	*endpoint;	/* http(s)://host[:port] */
	const char	*region;
	const char	*bucket;
	const char	*access_key;
	const char	*secret_key;
	const char	*storage_class;	/* NULL: the server's default */
	int		 path_style;
	uint64_t	 part_size;	/* bytes, >= 5 MiB */
	int		 concurrency;	/* parts in flight, >= 1 */
	uint64_t	 bandwidth_limit;	/* bytes/s over all parts; 0 none */
	int		 retries;	/* per request; 0 means 5 */
	int		 connect_timeout;	/* seconds; 0 means 10 */
	int		 stall_timeout;	/* seconds below 1 KiB/s; 0 means 60 */
	int		 list_max;	/* keys per listing page; 0 means 500 */
	/* progress: bytes acknowledged by the server so far */
	void		(*progress)(void *arg, uint64_t done, uint64_t total);
	/* alive: called at least every 200 ms while working or waiting */
	void		(*alive)(void *arg);
	void		*progress_arg;	/* of both */
	volatile sig_atomic_t *cancel;	/* set: stop, abort, CAIRN_E_TEMPFAIL */
};

struct s3_head {
	uint64_t	 size;
	char		 etag[128];	/* without its quotes */
	char		 sha256[65];	/* x-amz-meta-sha256; "" if none */
};

int	s3_global_init(void);
void	s3_global_cleanup(void);
/*
 * Uploads size bytes of fd (read with pread from offset 0) as key, with
 * x-amz-meta-sha256: sha256_hex; etag gets the object's ETag.
 */
int	s3_upload(const struct s3_params *, const char *key, int fd,
	    uint64_t size, const char *sha256_hex, char *etag, size_t etaglen,
	    char *err, size_t errlen);
/* CAIRN_E_NOINPUT when there is no such object. */
int	s3_head(const struct s3_params *, const char *key, struct s3_head *,
	    char *err, size_t errlen);
/*
 * Is the bucket there and readable?  A HEAD's 404 has no body, so only
 * this tells a missing object (0 here) from a missing bucket (CONFIG).
 */
/*
 * Downloads key into fd (written from offset 0, truncated again before a
 * retry; -1: read and digest only) with bounded memory: h gets the bytes
 * received, the ETag and the x-amz-meta-sha256 header, sha256_hex the
 * digest of the bytes themselves.  The caller compares them.
 */
int	s3_get(const struct s3_params *, const char *key, int fd,
	    struct s3_head *h, char sha256_hex[65], char *err, size_t errlen);
int	s3_bucket_check(const struct s3_params *, char *err, size_t errlen);
int	s3_delete(const struct s3_params *, const char *key, char *err,
	    size_t errlen);
/*
 * Every object whose key starts with prefix (ListObjects, page after
 * page, in key order): fn(arg, key, size) for each, the key XML-unescaped.
 */
typedef void	(*s3_list_fn)(void *arg, const char *key, uint64_t size);
int	s3_list(const struct s3_params *, const char *prefix, s3_list_fn,
	    void *arg, char *err, size_t errlen);
/* "prefix/a b" -> "prefix/a%20b": every byte but A-Za-z0-9-._~/ encoded. */
char	*s3_key_encode(const char *key);

#endif /* CAIRN_S3_H */
