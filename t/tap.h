/*
 * tap -- a small Test Anything Protocol library for cairn's C tests.
 *
 * Contract
 *   - plan(n) first; every ok()/is_*() prints one "ok N - desc" or
 *     "not ok N - desc" line on stdout; diagnostics go to stderr as "# ...".
 *   - check_*() macros report the failing expression and file:line.
 *   - tap_exit() returns 0 only if every planned test ran and passed:
 *     return it from main().
 *   - bail() prints "Bail out!" and exits 1: for a broken environment,
 *     not for a failed assertion.
 */
#ifndef CAIRN_T_TAP_H
#define CAIRN_T_TAP_H

#include <stddef.h>

void	plan(int);
void	plan_lazy(void);
int	ok_at(int, const char *, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
int	is_int_at(long long, long long, const char *, int, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
int	is_str_at(const char *, const char *, const char *, int,
	    const char *, ...) __attribute__((format(printf, 5, 6)));
void	skip(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	diag(const char *, ...) __attribute__((format(printf, 1, 2)));
void	bail(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
int	tap_exit(void);

/* A fresh private directory for this test (removed by the caller). */
char	*tap_tmpdir(void);

/*
 * The first line of a password file, for helpers that must keep passwords
 * out of argv; a static buffer.  Exits 64 if the file cannot be read.
 */
char	*tap_read_password(const char *path);

#define ok(cond, ...)		ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)	is_int_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...)	is_str_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#endif /* CAIRN_T_TAP_H */
