/* util.c -- see util.h */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/log.h"
#include "cairn/util.h"

void *
xmalloc(size_t len)
{
	void	*p;

	if ((p = malloc(len == 0 ? 1 : len)) == NULL)
		fatal("malloc %zu", len);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("calloc %zu x %zu", n, size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if ((p = reallocarray(old, n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("reallocarray %zu x %zu", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("vasprintf");
	return p;
}

void
util_utc_stamp(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
util_file_stamp(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%d_%H%M%S", &tm);
}

int64_t
util_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ssize_t
util_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		n = write(fd, p + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += n;
	}
	return done;
}

ssize_t
util_read_all(int fd, void *buf, size_t len)
{
	char	*p = buf;
	size_t	 done = 0;
	ssize_t	 n;

	while (done < len) {
		n = read(fd, p + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

void
util_hex(char *out, const unsigned char *in, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
util_fail(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		n = strlen(err);
		if (errnum != 0 && n < errlen)
			snprintf(err + n, errlen - n, ": %s", strerror(errnum));
	}
	errno = errnum != 0 ? errnum : EPERM;
	return -1;
}

int
util_proc_status(const char *name, char *buf, size_t len)
{
	FILE		*f;
	char		 line[256], *v;
	size_t		 nlen = strlen(name);
	int		 rc = -1;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ':') {
			v = line + nlen + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			if (len > 0)
				snprintf(buf, len, "%s", v);
			rc = 0;
			break;
		}
	fclose(f);
	if (rc == -1)
		errno = ENOENT;
	return rc;
}

size_t
util_vis(char *dst, size_t dstlen, const char *src)
{
	const unsigned char	*u = (const unsigned char *)src;
	size_t			 o = 0;
	char			 esc[5];
	size_t			 n;

	for (; *u != '\0'; u++) {
		if (*u >= 0x20 && *u != 0x7f) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)*u;
			continue;
		}
		n = (size_t)snprintf(esc, sizeof(esc), *u == '\n' ? "\\n" :
		    *u == '\r' ? "\\r" : *u == '\t' ? "\\t" : "\\x%02x", *u);
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}
