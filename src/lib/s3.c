/* s3.c -- see s3.h and docs/offsite.md */
#include "config.h"

#include <openssl/evp.h>

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* libcurl's own names, called through the dlopen()ed table */
#define CURL_DL_MACROS
#include "cairn/buf.h"
#include "cairn/curl_dl.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/s3.h"
#include "cairn/util.h"

#define S3_BODY_MAX	(256 * 1024)	/* of a response we keep */
#define S3_BACKOFF_MS	500
#define S3_COMPLETE_TIMEOUT	1800	/* s: CompleteMultipartUpload's wait */
#define S3_BACKOFF_MAX	30000
/* SHA-256 of nothing: the payload hash of a request without a body */
#define S3_EMPTY_SHA256	\
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One request: what goes out, what comes back. */
struct s3_req {
	CURL		*h;
	struct curl_slist *hdrs;
	char		*url;
	const unsigned char *body;	/* borrowed; NULL: none */
	size_t		 blen, boff;
	struct buf	 resp;		/* owns; at most S3_BODY_MAX kept */
	long		 status;
	CURLcode	 cc;
	char		 cerr[CURL_ERROR_SIZE];
	char		 etag[128];
	char		 sha256[65];
	uint64_t	 clen;
	int		 have_clen;
	/* before each attempt (a download starts again); -1: give up */
	int		(*on_attempt)(void *);
	void		*attempt_arg;
};

int
s3_global_init(void)
{
	char	 err[256];

	if (curl_dl_load(err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int
s3_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
s3_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

char *
s3_key_encode(const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	char	*out = xmalloc(strlen(key) * 3 + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* endpoint + bucket + key (+ "?query"), path or virtual-hosted style. */
static char *
s3_url(const struct s3_params *p, const char *key, const char *query)
{
	const char	*host = strstr(p->endpoint, "://") + 3;
	char		*k = s3_key_encode(key != NULL ? key : ""), *u;

	if (p->path_style)
		u = xasprintf("%s/%s/%s%s%s", p->endpoint, p->bucket, k,
		    query != NULL ? "?" : "", query != NULL ? query : "");
	else
		u = xasprintf("%.*s%s.%s/%s%s%s", (int)(host - p->endpoint),
		    p->endpoint, p->bucket, host, k, query != NULL ? "?" : "",
		    query != NULL ? query : "");
	free(k);
	return u;
}

static size_t
s3_on_body(char *data, size_t sz, size_t n, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 len = sz * n;

	buf_add_max(&r->resp, data, len, S3_BODY_MAX);
	return len;
}

/* value of "Name: value\r\n" into out, without quotes and blanks */
static void
s3_hdr_value(const char *line, size_t len, size_t nlen, char *out,
    size_t outlen)
{
	const char	*v = line + nlen, *e = line + len;

	while (v < e && (*v == ' ' || *v == '"'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' ||
	    e[-1] == '"'))
		e--;
	snprintf(out, outlen, "%.*s", (int)(e - v), v);
}

static size_t
s3_on_header(char *line, size_t sz, size_t n, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 len = sz * n;
	char		 num[32];

	if (len > 5 && strncasecmp(line, "ETag:", 5) == 0)
		s3_hdr_value(line, len, 5, r->etag, sizeof(r->etag));
	else if (len > 18 && strncasecmp(line, "x-amz-meta-sha256:", 18) == 0)
		s3_hdr_value(line, len, 18, r->sha256, sizeof(r->sha256));
	else if (len > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
		s3_hdr_value(line, len, 15, num, sizeof(num));
		r->clen = strtoull(num, NULL, 10);
		r->have_clen = 1;
	}
	return len;
}

static size_t
s3_on_read(char *buf, size_t sz, size_t n, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 k = sz * n;

	if (k > r->blen - r->boff)
		k = r->blen - r->boff;
	memcpy(buf, r->body + r->boff, k);
	r->boff += k;
	return k;
}

static int
s3_seek(void *arg, curl_off_t off, int origin)
{
	struct s3_req	*r = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > r->blen)
		return CURL_SEEKFUNC_FAIL;
	r->boff = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static int
s3_on_xfer(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	const struct s3_params	*p = arg;

	(void)dt; (void)dn; (void)ut; (void)un;
	if (p->alive != NULL)
		p->alive(p->progress_arg);
	return p->cancel != NULL && *p->cancel;	/* non-zero: abort */
}

static void
s3_req_reset(struct s3_req *r)
{
	buf_free(&r->resp);
	r->boff = 0;
	r->status = 0;
	r->cc = CURLE_OK;
	r->cerr[0] = r->etag[0] = r->sha256[0] = '\0';
	r->clen = 0;
	r->have_clen = 0;
}

static void
s3_req_free(struct s3_req *r)
{
	if (r->h != NULL)
		curl_easy_cleanup(r->h);
	curl_slist_free_all(r->hdrs);
	free(r->url);
	buf_free(&r->resp);
	memset(r, 0, sizeof(*r));
}

static void
s3_add_hdr(struct s3_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s3_add_hdr(struct s3_req *r, const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->hdrs = curl_slist_append(r->hdrs, line);
}

/*
 * A signed request, ready to perform: method, URL, body (PUT/POST),
 * x-amz-content-sha256 of it, and the callbacks.  hdrs already set by the
 * caller are kept.
 */
static void
s3_req_setup(struct s3_req *r, const struct s3_params *p, const char *method,
    const char *key, const char *query, const unsigned char *body,
    size_t blen, const char *body_sha256, uint64_t speed)
{
	char	 sig[128];

	r->h = curl_easy_init();
	if (r->h == NULL)
		fatalx("curl_easy_init: out of memory");
	r->url = s3_url(p, key, query);
	r->body = body;
	r->blen = blen;
	s3_add_hdr(r, "x-amz-content-sha256: %s",
	    body_sha256 != NULL ? body_sha256 : S3_EMPTY_SHA256);
	snprintf(sig, sizeof(sig), "aws:amz:%s:s3", p->region);
	curl_easy_setopt(r->h, CURLOPT_URL, r->url);
	curl_easy_setopt(r->h, CURLOPT_AWS_SIGV4, sig);
	curl_easy_setopt(r->h, CURLOPT_USERNAME, p->access_key);
	curl_easy_setopt(r->h, CURLOPT_PASSWORD, p->secret_key);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->cerr);
	curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT,
	    (long)(p->connect_timeout > 0 ? p->connect_timeout : 10));
	curl_easy_setopt(r->h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(r->h, CURLOPT_LOW_SPEED_TIME,
	    (long)(p->stall_timeout > 0 ? p->stall_timeout : 60));
	curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, s3_on_body);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_HEADERFUNCTION, s3_on_header);
	curl_easy_setopt(r->h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(r->h, CURLOPT_XFERINFOFUNCTION, s3_on_xfer);
	curl_easy_setopt(r->h, CURLOPT_XFERINFODATA, p);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(r->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(r->h, CURLOPT_READFUNCTION, s3_on_read);
		curl_easy_setopt(r->h, CURLOPT_READDATA, r);
		curl_easy_setopt(r->h, CURLOPT_SEEKFUNCTION, s3_seek);
		curl_easy_setopt(r->h, CURLOPT_SEEKDATA, r);
		curl_easy_setopt(r->h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)blen);
		/* no "Expect: 100-continue" round trip per part */
		r->hdrs = curl_slist_append(r->hdrs, "Expect:");
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(r->h, CURLOPT_POST, 1L);
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, body != NULL ?
		    (const char *)body : "");
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)blen);
	} else if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(r->h, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, method);
	if (speed > 0)
		curl_easy_setopt(r->h, CURLOPT_MAX_SEND_SPEED_LARGE,
		    (curl_off_t)speed);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
}

/* Worth another try: the server or the way to it, not the request. */
static int
s3_retryable(const struct s3_req *r)
{
	if (r->cc != CURLE_OK)
		return r->cc != CURLE_URL_MALFORMAT &&
		    r->cc != CURLE_UNSUPPORTED_PROTOCOL &&
		    r->cc != CURLE_COULDNT_RESOLVE_HOST &&
		    r->cc != CURLE_ABORTED_BY_CALLBACK &&
		    r->cc != CURLE_OUT_OF_MEMORY;
	return r->status >= 500 || r->status == 429;
}

/* <Tag>value</Tag> of an XML answer into out; 0 if found. */
static int
s3_xml(const char *xml, const char *tag, char *out, size_t outlen)
{
	char		 open[64], close[64];
	const char	*a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	out[0] = '\0';
	if (xml == NULL || (a = strstr(xml, open)) == NULL ||
	    (b = strstr(a, close)) == NULL)
		return -1;
	a += strlen(open);
	snprintf(out, outlen, "%.*s", (int)(b - a), a);
	return 0;
}

void
s3_global_cleanup(void)
{
	curl_global_cleanup();
}

/* One line for a failed request; returns the CAIRN_E_* code. */
static int
s3_explain(const struct s3_params *p, const struct s3_req *r,
    const char *what, char *err, size_t errlen)
{
	char	 code[64], msg[160];

	if (r->cc != CURLE_OK) {
		if (r->cc == CURLE_COULDNT_RESOLVE_HOST)
			return s3_fail(err, errlen, CAIRN_E_UNAVAILABLE,
			    "%s: cannot resolve the endpoint's host (%s): %s",
			    what, p->endpoint, r->cerr[0] ? r->cerr :
			    curl_easy_strerror(r->cc));
		if (r->cc == CURLE_COULDNT_CONNECT)
			return s3_fail(err, errlen, CAIRN_E_UNAVAILABLE,
			    "%s: cannot connect to %s: %s", what,
			    p->endpoint, r->cerr[0] ? r->cerr :
			    curl_easy_strerror(r->cc));
		return s3_fail(err, errlen, CAIRN_E_TEMPFAIL, "%s: %s: %s",
		    what, p->endpoint, r->cerr[0] ? r->cerr :
		    curl_easy_strerror(r->cc));
	}
	s3_xml(r->resp.p, "Code", code, sizeof(code));
	s3_xml(r->resp.p, "Message", msg, sizeof(msg));
	for (char *t = msg; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20)
			*t = ' ';
	if (r->status == 403 || r->status == 401)
		return s3_fail(err, errlen, CAIRN_E_NOPERM, "%s: access denied "
		    "(HTTP %ld %s%s%s): check access_key_file and "
		    "secret_key_file", what, r->status, code[0] ? code :
		    "Forbidden", msg[0] ? ": " : "", msg);
	if (r->status == 404 && strcmp(code, "NoSuchBucket") == 0)
		return s3_fail(err, errlen, CAIRN_E_CONFIG, "%s: bucket %s does "
		    "not exist at %s (HTTP 404 NoSuchBucket)", what, p->bucket,
		    p->endpoint);
	if (r->status == 404)
		return s3_fail(err, errlen, CAIRN_E_NOINPUT, "%s: not found "
		    "(HTTP 404%s%s)", what, code[0] ? " " : "", code);
	return s3_fail(err, errlen, r->status >= 500 || r->status == 429 ?
	    CAIRN_E_TEMPFAIL : CAIRN_E_UNAVAILABLE, "%s: HTTP %ld%s%s%s%s",
	    what, r->status, code[0] ? " " : "", code, msg[0] ? ": " : "",
	    msg);
}

static int64_t
s3_backoff_ms(int attempt)
{
	int64_t	 ms = S3_BACKOFF_MS;

	while (attempt-- > 1 && ms < S3_BACKOFF_MAX)
		ms *= 2;
	return ms > S3_BACKOFF_MAX ? S3_BACKOFF_MAX : ms;
}

static int
s3_cancelled(const struct s3_params *p)
{
	return p->cancel != NULL && *p->cancel;
}

/* Sleeps ms unless cancelled; returns -1 when cancelled. */
static int
s3_nap(const struct s3_params *p, int64_t ms)
{
	for (; ms > 0; ms -= 100) {
		if (s3_cancelled(p))
			return -1;
		if (p->alive != NULL)
			p->alive(p->progress_arg);
		usleep(100000);
	}
	return s3_cancelled(p) ? -1 : 0;
}

/* Performs r (set up) with retries; 0 on a 2xx, else the failure's code. */
static int
s3_perform(const struct s3_params *p, struct s3_req *r, const char *what,
    char *err, size_t errlen)
{
	int	 tries = p->retries > 0 ? p->retries : 5, code;

	for (int attempt = 1;; attempt++) {
		s3_req_reset(r);
		if (r->on_attempt != NULL && r->on_attempt(r->attempt_arg) == -1)
			return s3_fail(err, errlen, CAIRN_E_IOERR, "%s: cannot "
			    "start again: %s", what, strerror(errno));
		r->cc = curl_easy_perform(r->h);
		curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->status);
		if (r->cc == CURLE_OK && r->status >= 200 && r->status < 300)
			return CAIRN_E_OK;
		code = s3_explain(p, r, what, err, errlen);
		if (!s3_retryable(r) || attempt > tries)
			return code;
		log_info("%s (try %d of %d, again in %" PRId64 " ms)", err,
		    attempt, tries + 1, s3_backoff_ms(attempt));
		if (s3_nap(p, s3_backoff_ms(attempt)) == -1)
			return s3_fail(err, errlen, CAIRN_E_TEMPFAIL,
			    "%s: cancelled", what);
	}
}

/* -- digests ----------------------------------------------------------- */

static void
s3_digests(const unsigned char *buf, size_t len, char md5_b64[32],
    char sha_hex[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;

	EVP_Digest(buf, len, md, &mdlen, EVP_md5(), NULL);
	EVP_EncodeBlock((unsigned char *)md5_b64, md, (int)mdlen);
	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(sha_hex + 2 * i, 3, "%02x", md[i]);
}

/* Reads exactly len bytes at off; -1 with err set on a short read. */
static int
s3_pread(int fd, unsigned char *buf, size_t len, uint64_t off, char *err,
    size_t errlen)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "read at %" PRIu64 ": %s",
			    off + got, n == 0 ? "file shrank" : strerror(errno));
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* -- single requests --------------------------------------------------- */

static int
s3_put_one(const struct s3_params *p, const char *key, int fd, uint64_t size,
    const char *sha256_hex, char *etag, size_t etaglen, char *err,
    size_t errlen)
{
	struct s3_req	 r;
	unsigned char	*buf = xmalloc(size > 0 ? size : 1);
	char		 md5[32], sha[65];
	int		 code;

	memset(&r, 0, sizeof(r));
	if (s3_pread(fd, buf, size, 0, err, errlen) == -1) {
		free(buf);
		return CAIRN_E_IOERR;
	}
	s3_digests(buf, size, md5, sha);
	s3_add_hdr(&r, "Content-MD5: %s", md5);
	s3_add_hdr(&r, "x-amz-meta-sha256: %s", sha256_hex);
	if (p->storage_class != NULL)
		s3_add_hdr(&r, "x-amz-storage-class: %s", p->storage_class);
	s3_req_setup(&r, p, "PUT", key, NULL, buf, size, sha,
	    p->bandwidth_limit);
	code = s3_perform(p, &r, "PUT", err, errlen);
	if (code == CAIRN_E_OK) {
		snprintf(etag, etaglen, "%s", r.etag);
		if (p->progress != NULL)
			p->progress(p->progress_arg, size, size);
	}
	s3_req_free(&r);
	free(buf);
	return code;
}

int
s3_head(const struct s3_params *p, const char *key, struct s3_head *h,
    char *err, size_t errlen)
{
	struct s3_req	 r;
	int		 code;

	memset(&r, 0, sizeof(r));
	memset(h, 0, sizeof(*h));
	s3_req_setup(&r, p, "HEAD", key, NULL, NULL, 0, NULL, 0);
	code = s3_perform(p, &r, "HEAD", err, errlen);
	if (code == CAIRN_E_NOINPUT)
		snprintf(err, errlen, "HEAD: no object %s in bucket %s "
		    "(HTTP 404)", key, p->bucket);
	if (code == CAIRN_E_OK) {
		h->size = r.clen;
		snprintf(h->etag, sizeof(h->etag), "%s", r.etag);
		snprintf(h->sha256, sizeof(h->sha256), "%s", r.sha256);
	}
	s3_req_free(&r);
	return code;
}

int
s3_bucket_check(const struct s3_params *p, char *err, size_t errlen)
{
	struct s3_req	 r;
	int		 code;

	memset(&r, 0, sizeof(r));
	s3_req_setup(&r, p, "GET", "", "max-keys=1", NULL, 0,
	    NULL, 0);
	code = s3_perform(p, &r, "ListObjectsV2", err, errlen);
	s3_req_free(&r);
	return code;
}

int
s3_delete(const struct s3_params *p, const char *key, char *err,
    size_t errlen)
{
	struct s3_req	 r;
	int		 code;

	memset(&r, 0, sizeof(r));
	s3_req_setup(&r, p, "DELETE", key, NULL, NULL, 0, NULL, 0);
	code = s3_perform(p, &r, "DELETE", err, errlen);
	s3_req_free(&r);
	return code;
}

/* "a/b c" -> "a%2Fb%20c": a query value, every byte but A-Za-z0-9-._~. */
static char *
s3_query_encode(const char *v)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*out = xmalloc(strlen(v) * 3 + 1), *w = out;

	for (const unsigned char *u = (const unsigned char *)v; *u; u++)
		if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
		    (*u >= '0' && *u <= '9') || strchr("-._~", *u) != NULL)
			*w++ = (char)*u;
		else {
			*w++ = '%';
			*w++ = hex[*u >> 4];
			*w++ = hex[*u & 15];
		}
	*w = '\0';
	return out;
}

/* XML text in place: the five predefined entities and &#N; / &#xN;. */
static void
s3_xml_unescape(char *s)
{
	static const char *const ent[][2] = { { "&amp;", "&" },
	    { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
	    { "&apos;", "'" } };
	char	*r = s, *w = s, *end;
	size_t	 i;

	while (*r != '\0') {
		if (*r != '&') {
			*w++ = *r++;
			continue;
		}
		for (i = 0; i < sizeof(ent) / sizeof(ent[0]); i++)
			if (strncmp(r, ent[i][0], strlen(ent[i][0])) == 0)
				break;
		if (i < sizeof(ent) / sizeof(ent[0])) {
			*w++ = ent[i][1][0];
			r += strlen(ent[i][0]);
		} else if (r[1] == '#') {
			unsigned long	 c = r[2] == 'x' ?
			    strtoul(r + 3, &end, 16) : strtoul(r + 2, &end, 10);

			/* a byte outside 1-255 stays as it was */
			if (*end == ';' && c > 0 && c < 256) {
				*w++ = (char)c;
				r = end + 1;
			} else
				*w++ = *r++;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

/* One page's <Contents>: fn for each; last gets the last key. */
static void
s3_list_page(const char *xml, s3_list_fn fn, void *arg, char *last,
    size_t lastlen)
{
	const char	*a = xml, *b;
	char		*c, key[1100], size[32];

	while ((a = strstr(a, "<Contents>")) != NULL &&
	    (b = strstr(a, "</Contents>")) != NULL) {
		c = xasprintf("%.*s", (int)(b - a), a);
		if (s3_xml(c, "Key", key, sizeof(key)) == 0 &&
		    s3_xml(c, "Size", size, sizeof(size)) == 0) {
			s3_xml_unescape(key);
			fn(arg, key, strtoull(size, NULL, 10));
			snprintf(last, lastlen, "%s", key);
		}
		free(c);
		a = b;
	}
}

/*
 * ListObjects (version 1) with marker = the last key seen: every server
 * has it, and s3rver 3.7.1 answers a truncated ListObjectsV2 page with
 * HTTP 500 (its issue #814).
 */
int
s3_list(const struct s3_params *p, const char *prefix, s3_list_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct s3_req	 r;
	char		*pre = s3_query_encode(prefix), *mark, *q;
	char		 last[1100] = "", trunc[16];
	int		 code, more, max = p->list_max > 0 ? p->list_max : 500;

	do {
		/* in the order of the canonical request */
		mark = s3_query_encode(last);
		q = last[0] != '\0' ? xasprintf("marker=%s&max-keys=%d&"
		    "prefix=%s", mark, max, pre) :
		    xasprintf("max-keys=%d&prefix=%s", max, pre);
		free(mark);
		memset(&r, 0, sizeof(r));
		s3_req_setup(&r, p, "GET", "", q, NULL, 0, NULL, 0);
		free(q);
		code = s3_perform(p, &r, "ListObjects", err, errlen);
		if (code == CAIRN_E_OK && (r.resp.p == NULL ||
		    r.resp.cut || strstr(r.resp.p,
		    "<ListBucketResult") == NULL))
			code = s3_fail(err, errlen, CAIRN_E_PROTOCOL,
			    "ListObjects: not a listing (%zu bytes)",
			    r.resp.len);
		more = 0;
		if (code == CAIRN_E_OK) {
			char	 before[sizeof(last)];

			snprintf(before, sizeof(before), "%s", last);
			s3_list_page(r.resp.p, fn, arg, last, sizeof(last));
			more = s3_xml(r.resp.p, "IsTruncated", trunc,
			    sizeof(trunc)) == 0 && strcmp(trunc, "true") == 0;
			if (more && strcmp(before, last) == 0)
				code = s3_fail(err, errlen, CAIRN_E_PROTOCOL,
				    "ListObjects: a truncated page without "
				    "a key");
		}
		s3_req_free(&r);
	} while (code == CAIRN_E_OK && more);
	free(pre);
	return code;
}

/* -- download ---------------------------------------------------------- */

struct s3_dl {
	struct s3_req	*r;
	const struct s3_params *p;
	int		 fd;		/* -1: digest only */
	EVP_MD_CTX	*md;
	uint64_t	 n;
	int		 werr;		/* errno of a failed write */
};

static int
s3_dl_attempt(void *arg)
{
	struct s3_dl	*d = arg;

	d->n = 0;
	d->werr = 0;
	if (EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1) {
		errno = ENOMEM;
		return -1;
	}
	if (d->fd != -1 && (ftruncate(d->fd, 0) == -1 ||
	    lseek(d->fd, 0, SEEK_SET) == -1))
		return -1;
	return 0;
}

/* The object's bytes to the file and the digest; an error's to r. */
static size_t
s3_on_get(char *data, size_t sz, size_t n, void *arg)
{
	struct s3_dl	*d = arg;
	size_t		 len = sz * n;
	long		 status = 0;

	curl_easy_getinfo(d->r->h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300)
		return s3_on_body(data, sz, n, d->r);
	if (d->fd != -1 && util_write_all(d->fd, data, len) == -1) {
		d->werr = errno;
		return 0;	/* curl stops: CURLE_WRITE_ERROR */
	}
	EVP_DigestUpdate(d->md, data, len);
	d->n += len;
	if (d->p->progress != NULL)
		d->p->progress(d->p->progress_arg, d->n, d->r->clen);
	return len;
}

int
s3_get(const struct s3_params *p, const char *key, int fd, struct s3_head *h,
    char sha256_hex[65], char *err, size_t errlen)
{
	struct s3_req	 r;
	struct s3_dl	 d;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 code;

	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	memset(h, 0, sizeof(*h));
	sha256_hex[0] = '\0';
	d.r = &r;
	d.p = p;
	d.fd = fd;
	if ((d.md = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new: out of memory");
	s3_req_setup(&r, p, "GET", key, NULL, NULL, 0, NULL, 0);
	curl_easy_setopt(r.h, CURLOPT_WRITEFUNCTION, s3_on_get);
	curl_easy_setopt(r.h, CURLOPT_WRITEDATA, &d);
	r.on_attempt = s3_dl_attempt;
	r.attempt_arg = &d;
	code = s3_perform(p, &r, "GET", err, errlen);
	if (d.werr != 0)
		code = s3_fail(err, errlen, CAIRN_E_IOERR, "GET %s: writing "
		    "the download: %s", key, strerror(d.werr));
	else if (code == CAIRN_E_NOINPUT)
		snprintf(err, errlen, "GET: no object %s in bucket %s "
		    "(HTTP 404)", key, p->bucket);
	else if (code == CAIRN_E_OK && r.have_clen && r.clen != d.n)
		code = s3_fail(err, errlen, CAIRN_E_PROTOCOL, "GET %s: %"
		    PRIu64 " bytes of the %" PRIu64 " announced", key, d.n,
		    r.clen);
	if (code == CAIRN_E_OK) {
		EVP_DigestFinal_ex(d.md, md, &mdlen);
		util_hex(sha256_hex, md, mdlen);
		h->size = d.n;
		snprintf(h->etag, sizeof(h->etag), "%s", r.etag);
		snprintf(h->sha256, sizeof(h->sha256), "%s", r.sha256);
	}
	EVP_MD_CTX_free(d.md);
	s3_req_free(&r);
	return code;
}

/* -- multipart --------------------------------------------------------- */

struct s3_part {
	struct s3_req	 r;
	unsigned char	*buf;		/* part_size bytes, kept for reuse */
	uint32_t	 number;	/* 1..; 0: slot free */
	int		 attempt;
	int64_t		 retry_at;	/* ms; 0: in flight */
};

struct s3_mp {
	const struct s3_params *p;
	const char	*key;
	char		 upload_id[256];
	char		 (*etags)[128];	/* per part, owns */
	uint32_t	 nparts;
	uint64_t	 part_size;
	uint64_t	 size, done;
	int		 fd;
};

static int
s3_mp_create(struct s3_mp *m, const char *sha256_hex, char *err,
    size_t errlen)
{
	struct s3_req	 r;
	int		 code;

	memset(&r, 0, sizeof(r));
	s3_add_hdr(&r, "x-amz-meta-sha256: %s", sha256_hex);
	if (m->p->storage_class != NULL)
		s3_add_hdr(&r, "x-amz-storage-class: %s",
		    m->p->storage_class);
	s3_req_setup(&r, m->p, "POST", m->key, "uploads", NULL, 0, NULL, 0);
	code = s3_perform(m->p, &r, "CreateMultipartUpload", err, errlen);
	if (code == CAIRN_E_OK && s3_xml(r.resp.p, "UploadId", m->upload_id,
	    sizeof(m->upload_id)) == -1)
		code = s3_fail(err, errlen, CAIRN_E_PROTOCOL,
		    "CreateMultipartUpload: no UploadId in the answer");
	s3_req_free(&r);
	return code;
}

static void
s3_mp_abort(struct s3_mp *m)
{
	struct s3_req	 r;
	struct s3_params p = *m->p;
	char		*q, err[300];

	p.cancel = NULL;	/* abort even when cancelled */
	p.retries = 2;
	memset(&r, 0, sizeof(r));
	q = xasprintf("uploadId=%s", m->upload_id);
	s3_req_setup(&r, &p, "DELETE", m->key, q, NULL, 0, NULL, 0);
	if (s3_perform(&p, &r, "AbortMultipartUpload", err, sizeof(err)) ==
	    CAIRN_E_OK)
		log_info("multipart upload of %s aborted", m->key);
	else
		log_warnx("%s (the server may keep the parts until its own "
		    "lifecycle rule removes them)", err);
	free(q);
	s3_req_free(&r);
}

static int
s3_mp_complete(struct s3_mp *m, char *etag, size_t etaglen, char *err,
    size_t errlen)
{
	struct s3_req	 r;
	size_t		 cap = 64 + (size_t)m->nparts * 200, len;
	char		*xml = xmalloc(cap), *q, md5[32], sha[65];
	int		 code;

	len = (size_t)snprintf(xml, cap, "<CompleteMultipartUpload>");
	for (uint32_t i = 0; i < m->nparts; i++)
		len += (size_t)snprintf(xml + len, cap - len, "<Part>"
		    "<PartNumber>%u</PartNumber><ETag>\"%s\"</ETag></Part>",
		    i + 1, m->etags[i]);
	len += (size_t)snprintf(xml + len, cap - len,
	    "</CompleteMultipartUpload>");
	memset(&r, 0, sizeof(r));
	s3_digests((unsigned char *)xml, len, md5, sha);
	s3_add_hdr(&r, "Content-Type: application/xml");
	q = xasprintf("uploadId=%s", m->upload_id);
	s3_req_setup(&r, m->p, "POST", m->key, q, (unsigned char *)xml, len,
	    sha, 0);
	/*
	 * The server assembles the object before it answers: minutes for a
	 * large one (S3 sends blanks meanwhile, s3rver nothing), so the
	 * stall limit of a transfer does not apply; alive() still runs.
	 */
	curl_easy_setopt(r.h, CURLOPT_LOW_SPEED_TIME,
	    (long)S3_COMPLETE_TIMEOUT);
	code = s3_perform(m->p, &r, "CompleteMultipartUpload", err, errlen);
	/* S3 may answer 200 with an <Error> inside */
	if (code == CAIRN_E_OK && r.resp.p != NULL &&
	    strstr(r.resp.p, "<Error>") != NULL) {
		r.status = 500;
		code = s3_explain(m->p, &r, "CompleteMultipartUpload", err,
		    errlen);
	} else if (code == CAIRN_E_OK)
		s3_xml(r.resp.p, "ETag", etag, etaglen);
	/* the ETag comes quoted, maybe as &quot; */
	if (code == CAIRN_E_OK) {
		char	*e = etag, *w = etag;

		for (; *e != '\0'; e++)
			if (strncmp(e, "&quot;", 6) == 0)
				e += 5;
			else if (*e != '"')
				*w++ = *e;
		*w = '\0';
	}
	free(q);
	free(xml);
	s3_req_free(&r);
	return code;
}

/* Reads part number n into slot s and starts it on the multi handle. */
static int
s3_part_start(struct s3_mp *m, CURLM *multi, struct s3_part *s, uint32_t n,
    char *err, size_t errlen)
{
	uint64_t	 off = (uint64_t)(n - 1) * m->part_size;
	size_t		 len = (size_t)(m->size - off < m->part_size ?
			    m->size - off : m->part_size);
	char		 md5[32], sha[65], *q;
	uint64_t	 speed = 0;

	if (s->buf == NULL)
		s->buf = xmalloc(m->part_size);
	if (s->number != n) {
		if (s3_pread(m->fd, s->buf, len, off, err, errlen) == -1)
			return CAIRN_E_IOERR;
		s->number = n;
		s->attempt = 0;
	}
	s3_req_free(&s->r);
	s3_digests(s->buf, len, md5, sha);
	s3_add_hdr(&s->r, "Content-MD5: %s", md5);
	q = xasprintf("partNumber=%u&uploadId=%s", n, m->upload_id);
	if (m->p->bandwidth_limit > 0)
		speed = m->p->bandwidth_limit / (uint64_t)m->p->concurrency;
	s3_req_setup(&s->r, m->p, "PUT", m->key, q, s->buf, len, sha, speed);
	free(q);
	curl_easy_setopt(s->r.h, CURLOPT_PRIVATE, s);
	s3_req_reset(&s->r);
	s->attempt++;
	s->retry_at = 0;
	curl_multi_add_handle(multi, s->r.h);
	return CAIRN_E_OK;
}

/* A finished part: keep its ETag, schedule a retry, or fail. */
static int
s3_part_done(struct s3_mp *m, CURLM *multi, struct s3_part *s, CURLcode cc,
    char *err, size_t errlen)
{
	int	 tries = m->p->retries > 0 ? m->p->retries : 5, code;
	char	 what[64];

	s->r.cc = cc;
	curl_easy_getinfo(s->r.h, CURLINFO_RESPONSE_CODE, &s->r.status);
	curl_multi_remove_handle(multi, s->r.h);
	if (cc == CURLE_OK && s->r.status >= 200 && s->r.status < 300 &&
	    s->r.etag[0] != '\0') {
		snprintf(m->etags[s->number - 1], sizeof(m->etags[0]), "%s",
		    s->r.etag);
		m->done += s->r.blen;
		if (m->p->progress != NULL)
			m->p->progress(m->p->progress_arg, m->done, m->size);
		s->number = 0;
		return CAIRN_E_OK;
	}
	snprintf(what, sizeof(what), "part %u", s->number);
	code = s3_explain(m->p, &s->r, what, err, errlen);
	if (cc == CURLE_OK && s->r.status / 100 == 2)
		code = s3_fail(err, errlen, CAIRN_E_PROTOCOL, "%s: no ETag in "
		    "the answer", what);
	else if (s3_retryable(&s->r) && s->attempt <= tries) {
		log_info("%s (try %d of %d, again in %" PRId64 " ms)", err,
		    s->attempt, tries + 1, s3_backoff_ms(s->attempt));
		s->retry_at = util_now_ms() + s3_backoff_ms(s->attempt);
		return CAIRN_E_OK;
	}
	return code;
}

/* The parts: at most concurrency in flight, each buffer reused. */
static int
s3_mp_parts(struct s3_mp *m, char *err, size_t errlen)
{
	int		 nslots = m->p->concurrency > 0 ? m->p->concurrency : 1;
	struct s3_part	*slot = xcalloc((size_t)nslots, sizeof(*slot));
	CURLM		*multi = curl_multi_init();
	CURLMsg		*msg;
	uint32_t	 next = 1, left = m->nparts;
	int		 running, nq, code = CAIRN_E_OK, busy;

	while (left > 0 && code == CAIRN_E_OK) {
		if (s3_cancelled(m->p)) {
			code = s3_fail(err, errlen, CAIRN_E_TEMPFAIL,
			    "cancelled after %" PRIu64 " of %" PRIu64 " bytes",
			    m->done, m->size);
			break;
		}
		busy = 0;
		for (int i = 0; i < nslots && code == CAIRN_E_OK; i++) {
			struct s3_part	*s = &slot[i];

			if (s->number != 0 && s->retry_at != 0 &&
			    util_now_ms() >= s->retry_at)
				code = s3_part_start(m, multi, s, s->number,
				    err, errlen);
			else if (s->number == 0 && next <= m->nparts)
				code = s3_part_start(m, multi, s, next++,
				    err, errlen);
			busy += s->number != 0 && s->retry_at == 0;
		}
		if (code != CAIRN_E_OK)
			break;
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &nq)) != NULL) {
			struct s3_part	*s;
			char		*pv = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    &pv);
			s = (struct s3_part *)(void *)pv;
			if ((code = s3_part_done(m, multi, s, msg->data.result,
			    err, errlen)) != CAIRN_E_OK)
				break;
			if (s->number == 0)
				left--;
		}
		if (m->p->alive != NULL)
			m->p->alive(m->p->progress_arg);
		if (code == CAIRN_E_OK && left > 0)
			curl_multi_poll(multi, NULL, 0, busy > 0 ? 200 : 100,
			    NULL);
	}
	for (int i = 0; i < nslots; i++) {
		if (slot[i].r.h != NULL)
			curl_multi_remove_handle(multi, slot[i].r.h);
		s3_req_free(&slot[i].r);
		free(slot[i].buf);
	}
	free(slot);
	curl_multi_cleanup(multi);
	return code;
}

int
s3_upload(const struct s3_params *p, const char *key, int fd, uint64_t size,
    const char *sha256_hex, char *etag, size_t etaglen, char *err,
    size_t errlen)
{
	struct s3_mp	 m;
	int		 code;

	etag[0] = '\0';
	if (size <= p->part_size)
		return s3_put_one(p, key, fd, size, sha256_hex, etag, etaglen,
		    err, errlen);
	memset(&m, 0, sizeof(m));
	m.p = p;
	m.key = key;
	m.fd = fd;
	m.size = size;
	m.part_size = p->part_size;
	/* S3 takes at most 10000 parts: grow them for a huge object */
	while ((size + m.part_size - 1) / m.part_size > S3_MAX_PARTS)
		m.part_size *= 2;
	m.nparts = (uint32_t)((size + m.part_size - 1) / m.part_size);
	if ((code = s3_mp_create(&m, sha256_hex, err, errlen)) != CAIRN_E_OK)
		return code;
	m.etags = xcalloc(m.nparts, sizeof(*m.etags));
	code = s3_mp_parts(&m, err, errlen);
	if (code == CAIRN_E_OK)
		code = s3_mp_complete(&m, etag, etaglen, err, errlen);
	if (code != CAIRN_E_OK)
		s3_mp_abort(&m);
	free(m.etags);
	return code;
}
