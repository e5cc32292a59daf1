/* tap.c -- see tap.h */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static int	planned = -1;
static int	ran;
static int	failed;
static int	lazy;

void
plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

void
plan_lazy(void)
{
	lazy = 1;
}

static void
vresult(int pass, const char *fmt, va_list ap)
{
	ran++;
	if (!pass)
		failed++;
	printf("%sok %d - ", pass ? "" : "not ", ran);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

int
ok_at(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("failed at %s:%d", file, line);
	return pass;
}

int
is_int_at(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 pass = got == want;

	va_start(ap, fmt);
	vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("failed at %s:%d: got %lld, want %lld", file, line, got,
		    want);
	return pass;
}

int
is_str_at(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 pass;

	pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_start(ap, fmt);
	vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("failed at %s:%d: got \"%s\", want \"%s\"", file, line,
		    got ? got : "(null)", want ? want : "(null)");
	return pass;
}

void
skip(int n, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[256];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	while (n-- > 0)
		printf("ok %d # SKIP %s\n", ++ran, why);
	fflush(stdout);
}

void
diag(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fprintf(stderr, "# ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void
bail(const char *fmt, ...)
{
	va_list	 ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

int
tap_exit(void)
{
	if (lazy) {
		printf("1..%d\n", ran);
		planned = ran;
	}
	if (ran != planned) {
		diag("planned %d tests but ran %d", planned, ran);
		return 1;
	}
	return failed ? 1 : 0;
}

char *
tap_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/cairn-test.XXXXXX", base) == -1)
		bail("asprintf: %s", strerror(errno));
	if (mkdtemp(path) == NULL)
		bail("mkdtemp %s: %s", path, strerror(errno));
	return path;
}

char *
tap_read_password(const char *path)
{
	static char	 buf[256];
	FILE		*fp;
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		exit(64);
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}
