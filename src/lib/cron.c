/* cron.c -- see cron.h; the DST rule is explained in docs/schedules.md */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/cron.h"
#include "cairn/util.h"

#define HORIZON_YEARS	9		/* Feb 29 recurs at least every 8 years */
#define DAY		86400
#define ALL_HOURS	0xffffffu

struct cron_field {
	const char		*name;
	int			 lo, hi;	/* accepted values */
	int			 star_hi;	/* "*" means lo..star_hi */
	const char *const	*names;		/* NULL: numbers only */
	int			 name_base;	/* value of names[0] */
	const char		*what;		/* "1-12 or jan-dec" */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct cron_field fields[5] = {
	{ "minute", 0, 59, 59, NULL, 0, "0-59" },
	{ "hour", 0, 23, 23, NULL, 0, "0-23" },
	{ "day-of-month", 1, 31, 31, NULL, 0, "1-31" },
	{ "month", 1, 12, 12, month_names, 1, "1-12 or jan-dec" },
	{ "day-of-week", 0, 7, 6, day_names, 0, "0-7 or sun-sat" },
};

static const struct {
	const char	*name;
	const char	*expr;
} shorthands[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int	 set_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

/*
 * Parsing.  A field is a comma-separated list of items; an item is "*",
 * a value or a range "a-b", optionally followed by "/step".  A lone value
 * with a step ("5/10") runs to the field's end.
 */

static int
is_sep(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A number or (where the field has them) a name.  On success *pp moves
 * past it. */
static int
parse_value(const struct cron_field *f, int idx, const char **pp,
    const char *end, int *v, char *err, size_t errlen)
{
	const char	*p = *pp, *s = p;
	long		 n = 0;
	int		 i;

	if (p < end && isdigit((unsigned char)*p)) {
		while (p < end && isdigit((unsigned char)*p)) {
			if (n < 100000)
				n = n * 10 + (*p - '0');
			p++;
		}
		if (n < f->lo || n > f->hi)
			return set_err(err, errlen,
			    "field %d (%s): %.*s is out of range %d-%d", idx + 1,
			    f->name, (int)(p - s > 12 ? 12 : p - s), s, f->lo,
			    f->hi);
		*v = (int)n;
		*pp = p;
		return 0;
	}
	while (p < end && isalpha((unsigned char)*p))
		p++;
	if (p > s && f->names != NULL && p - s == 3)
		for (i = 0; f->names[i] != NULL; i++)
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*v = f->name_base + i;
				*pp = p;
				return 0;
			}
	if (p == s) {
		if (s == end)
			return set_err(err, errlen,
			    "field %d (%s): value missing (expected %s)",
			    idx + 1, f->name, f->what);
		return set_err(err, errlen,
		    "field %d (%s): unexpected \"%c\" (expected %s)", idx + 1,
		    f->name, *s, f->what);
	}
	return set_err(err, errlen,
	    "field %d (%s): \"%.*s\" is not a %s (expected %s)", idx + 1,
	    f->name, (int)(p - s > 16 ? 16 : p - s), s,
	    f->names != NULL ? "number or name" : "number", f->what);
}

/* One item in [p, end).  Sets its values in *bits; *star tells whether it
 * was "*" or "*\/1". */
static int
parse_item(const struct cron_field *f, int idx, const char *p,
    const char *end, uint64_t *bits, bool *star, char *err, size_t errlen)
{
	const char	*s = p;
	int		 lo, hi, step = 1, v, span, is_star = 0, single = 0;
	long		 n;

	if (p == end)
		return set_err(err, errlen,
		    "field %d (%s): empty list item (expected %s)", idx + 1,
		    f->name, f->what);
	if (*p == '*') {
		is_star = 1;
		lo = f->lo;
		hi = f->star_hi;
		p++;
	} else {
		if (parse_value(f, idx, &p, end, &lo, err, errlen) == -1)
			return -1;
		hi = lo;
		single = 1;
		if (p < end && *p == '-') {
			p++;
			if (parse_value(f, idx, &p, end, &hi, err, errlen) == -1)
				return -1;
			single = 0;
			if (hi < lo)
				return set_err(err, errlen,
				    "field %d (%s): range %.*s is backwards "
				    "(expected low-high)", idx + 1, f->name,
				    (int)(p - s > 24 ? 24 : p - s), s);
		}
	}
	if (p < end && *p == '/') {
		p++;
		span = f->star_hi - f->lo + 1;
		if (p == end || !isdigit((unsigned char)*p))
			return set_err(err, errlen,
			    "field %d (%s): step missing after \"/\" "
			    "(expected 1-%d)", idx + 1, f->name, span);
		for (n = 0; p < end && isdigit((unsigned char)*p); p++)
			if (n < 100000)
				n = n * 10 + (*p - '0');
		if (n < 1 || n > span)
			return set_err(err, errlen,
			    "field %d (%s): step %ld is out of range 1-%d",
			    idx + 1, f->name, n, span);
		step = (int)n;
		if (single)
			hi = f->star_hi < lo ? lo : f->star_hi;
	}
	if (p != end)
		return set_err(err, errlen,
		    "field %d (%s): unexpected \"%c\" in \"%.*s\" "
		    "(expected %s, a range a-b, \"*\" or a step /n)", idx + 1,
		    f->name, *p, (int)(end - s > 24 ? 24 : end - s), s, f->what);
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	*star = is_star && step == 1;
	return 0;
}

static int
parse_field(const struct cron_field *f, int idx, const char *p,
    const char *end, uint64_t *bits, bool *star, char *err, size_t errlen)
{
	const char	*q;
	bool		 item_star = false;
	int		 items = 0;

	*bits = 0;
	*star = false;
	for (;;) {
		for (q = p; q < end && *q != ','; q++)
			;
		if (parse_item(f, idx, p, q, bits, &item_star, err,
		    errlen) == -1)
			return -1;
		items++;
		if (q == end)
			break;
		p = q + 1;
	}
	*star = items == 1 && item_star;
	return 0;
}

int
cron_parse(struct cron_expr *e, const char *expr, char *err, size_t errlen)
{
	const char	*p, *start[5], *end[5];
	uint64_t	 bits[5];
	bool		 star[5];
	size_t		 i;
	int		 n = 0;

	if (expr == NULL)
		return set_err(err, errlen, "no expression");
	for (p = expr; is_sep(*p); p++)
		;
	if (*p == '@') {
		for (start[0] = p; *p != '\0' && !is_sep(*p); p++)
			;
		end[0] = p;
		for (; is_sep(*p); p++)
			;
		for (i = 0; i < nitems(shorthands); i++)
			if (strlen(shorthands[i].name) ==
			    (size_t)(end[0] - start[0]) &&
			    strncasecmp(start[0], shorthands[i].name,
			    end[0] - start[0]) == 0)
				break;
		if (i == nitems(shorthands)) {
			if (end[0] - start[0] == 7 &&
			    strncasecmp(start[0], "@reboot", 7) == 0)
				return set_err(err, errlen, "@reboot is not "
				    "supported (use run_at_start)");
			return set_err(err, errlen, "unknown shorthand "
			    "\"%.*s\" (expected @yearly, @annually, @monthly, "
			    "@weekly, @daily, @midnight or @hourly)",
			    (int)(end[0] - start[0] > 16 ? 16 :
			    end[0] - start[0]), start[0]);
		}
		if (*p != '\0')
			return set_err(err, errlen, "unexpected text after %s",
			    shorthands[i].name);
		return cron_parse(e, shorthands[i].expr, err, errlen);
	}
	while (*p != '\0') {
		if (n == 5) {
			for (n = 5; *p != '\0'; n++) {
				while (*p != '\0' && !is_sep(*p))
					p++;
				while (is_sep(*p))
					p++;
			}
			return set_err(err, errlen, "%d fields, expected 5 "
			    "(minute hour day-of-month month day-of-week)", n);
		}
		start[n] = p;
		while (*p != '\0' && !is_sep(*p))
			p++;
		end[n++] = p;
		while (is_sep(*p))
			p++;
	}
	if (n < 5)
		return set_err(err, errlen, "%s%d field%s, expected 5 "
		    "(minute hour day-of-month month day-of-week)",
		    n == 0 ? "empty expression: " : "", n, n == 1 ? "" : "s");
	for (i = 0; i < 5; i++)
		if (parse_field(&fields[i], (int)i, start[i], end[i], &bits[i],
		    &star[i], err, errlen) == -1)
			return -1;
	memset(e, 0, sizeof(*e));
	e->minutes = bits[0];
	e->hours = (uint32_t)bits[1];
	e->mdays = (uint32_t)bits[2];
	e->months = (uint16_t)bits[3];
	/* 7 is Sunday too */
	e->wdays = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f);
	e->mday_star = star[2];
	e->wday_star = star[4];
	return 0;
}

/*
 * Calendar arithmetic on "naive" seconds: a wall-clock time written as if
 * it were UTC.  Days are counted from 1970-01-01 (a Thursday) in the
 * proleptic Gregorian calendar; eras of 400 years (146097 days) repeat.
 */

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy;

	if (m <= 2)
		y--;			/* years start in March */
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, int m)
{
	static const int	 dim[13] = {
		0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dim[m];
}

static int
weekday(int64_t days)
{
	return (int)((days % 7 + 11) % 7);	/* day 0 was a Thursday (4) */
}

static bool
day_matches(const struct cron_expr *e, int mday, int wday)
{
	bool	 dm = (e->mdays >> mday) & 1, wm = (e->wdays >> wday) & 1;

	if (e->mday_star)
		return wm;
	if (e->wday_star)
		return dm;
	return dm || wm;
}

/* The first set bit at or above `from`, or -1. */
static int
next_bit(uint64_t bits, int from, int limit)
{
	for (; from < limit; from++)
		if ((bits >> from) & 1)
			return from;
	return -1;
}

static bool
expr_empty(const struct cron_expr *e)
{
	return (e->minutes & 0x0fffffffffffffffULL) == 0 ||
	    (e->hours & ALL_HOURS) == 0 || (e->months & 0x1ffe) == 0 ||
	    (!e->mday_star && (e->mdays & 0xfffffffe) == 0 &&
	    (e->wday_star || (e->wdays & 0x7f) == 0)) ||
	    (e->mday_star && (e->wdays & 0x7f) == 0);
}

/*
 * The first matching minute start at or after naive time w, or -1 if none
 * within HORIZON_YEARS calendar years.  Jumps a month, a day or an hour at
 * a time, so the loop runs at most a few thousand times.
 */
static int64_t
naive_next(const struct cron_expr *e, int64_t w)
{
	int64_t	 days, y, ylimit, mins;
	int	 m, d, hour, min, h, mm;

	days = floor_div(w, DAY);
	mins = (w - days * DAY + 59) / 60;	/* round up to a minute */
	if (mins == 24 * 60) {
		days++;
		mins = 0;
	}
	hour = (int)(mins / 60);
	min = (int)(mins % 60);
	civil_from_days(days, &y, &m, &d);
	ylimit = y + HORIZON_YEARS;
	for (;;) {
		if (y > ylimit)
			return -1;
		if (!((e->months >> m) & 1) || d > days_in_month(y, m)) {
			if (++m > 12) {
				m = 1;
				y++;
			}
			d = 1;
			hour = min = 0;
			continue;
		}
		days = days_from_civil(y, m, d);
		if (!day_matches(e, d, weekday(days))) {
			d++;
			hour = min = 0;
			continue;
		}
		if ((h = next_bit(e->hours, hour, 24)) == -1) {
			d++;
			hour = min = 0;
			continue;
		}
		if (h != hour) {
			hour = h;
			min = 0;
		}
		if ((mm = next_bit(e->minutes, min, 60)) == -1) {
			min = 0;
			if (++hour == 24) {
				d++;
				hour = 0;
			}
			continue;
		}
		return days * DAY + hour * 3600 + mm * 60;
	}
}

static bool
naive_matches(const struct cron_expr *e, int64_t w)
{
	int64_t	 days, y, sod;
	int	 m, d;

	days = floor_div(w, DAY);
	sod = w - days * DAY;
	civil_from_days(days, &y, &m, &d);
	return ((e->minutes >> (sod / 60 % 60)) & 1) &&
	    ((e->hours >> (sod / 3600)) & 1) && ((e->months >> m) & 1) &&
	    day_matches(e, d, weekday(days));
}

/*
 * Time zones: TZ is set for the duration of one call and restored.
 */

struct tz_save {
	int	 active;	/* TZ was changed */
	int	 had;		/* TZ was set before */
	char	 old[256];
};

static int
is_utc(const char *tz)
{
	return tz == NULL || *tz == '\0' || strcmp(tz, "UTC") == 0;
}

static int
tz_enter(struct tz_save *s, const char *tz)
{
	const char	*old = getenv("TZ");

	s->active = 0;
	s->had = old != NULL;
	if (old != NULL && strcmp(old, tz) == 0)
		return 0;
	if (old != NULL && strlen(old) >= sizeof(s->old)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (old != NULL)
		strcpy(s->old, old);
	if (setenv("TZ", tz, 1) == -1)
		return -1;
	s->active = 1;
	tzset();
	return 0;
}

static void
tz_leave(struct tz_save *s)
{
	int	 saved_errno = errno;

	if (!s->active)
		return;
	if (s->had)
		(void)setenv("TZ", s->old, 1);
	else
		(void)unsetenv("TZ");
	tzset();
	errno = saved_errno;
}

/* The zone's UTC offset at t, in seconds east. */
static int
zone_offset(int64_t t, long *off)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL)
		return -1;
	*off = tm.tm_gmtoff;
	return 0;
}

/*
 * The first instant in (t, until] whose offset differs from off, or 0 if
 * there is none (an error counts as none: the caller's result then only
 * assumes a constant offset).  Probes once a day, then bisects.
 */
static int64_t
zone_change(int64_t t, long off, int64_t until)
{
	int64_t	 lo = t, hi, mid;
	long	 o;

	while (lo < until) {
		hi = until - lo > DAY ? lo + DAY : until;
		if (zone_offset(hi, &o) == 0 && o != off) {
			while (hi - lo > 1) {
				mid = lo + (hi - lo) / 2;
				if (zone_offset(mid, &o) == 0 && o != off)
					hi = mid;
				else
					lo = mid;
			}
			return hi;
		}
		lo = hi;
	}
	return 0;
}

/*
 * Has wall time w, shown at instant `at` with offset off, been shown
 * before?  Only just after a backward change (the repeated hour): then
 * returns the instant at which the repeated interval ends, else 0.
 */
static int64_t
wall_repeated(int64_t w, int64_t at, long off)
{
	int64_t	 from = at - DAY, s, last = 0;
	long	 o, before = 0, prev;

	if (zone_offset(from, &o) == -1)
		return 0;
	while ((s = zone_change(from, o, at)) != 0) {
		prev = o;
		if (zone_offset(s, &o) == -1)
			return 0;
		last = s;
		before = prev;
		from = s;
	}
	if (last != 0 && before > off && w < last + before)
		return last + (before - off);
	return 0;
}

static time_t
zoned_next(const struct cron_expr *e, int64_t after)
{
	bool	 every_hour = (e->hours & ALL_HOURS) == ALL_HOURS;
	int64_t	 t = after + 1, limit, w, cand, change, end;
	long	 off, off2, prev;

	limit = after + (int64_t)(HORIZON_YEARS + 1) * 366 * DAY;
	if (zone_offset(t, &off) == -1 || zone_offset(t - 1, &prev) == -1)
		return -1;
	/* t itself is the instant after a forward jump: its skipped times */
	if (!every_hour && prev < off && (w = naive_next(e, t + prev)) != -1 &&
	    w < t + off)
		return (time_t)t;
	for (;;) {
		if ((w = naive_next(e, t + off)) == -1)
			return -1;
		cand = w - off;
		if (cand > limit)
			return -1;
		if ((change = zone_change(t, off, cand)) == 0) {
			if (every_hour ||
			    (end = wall_repeated(w, cand, off)) == 0)
				return (time_t)cand;
			/* second pass of a repeated hour: skip the rest of it */
			t = end > cand ? end : cand + 1;
			continue;
		}
		if (zone_offset(change, &off2) == -1)
			return -1;
		/* a forward jump over a wall time that matches: run now */
		if (!every_hour && off2 > off && w < change + off2)
			return (time_t)change;
		t = change;
		off = off2;
	}
}

time_t
cron_next(const struct cron_expr *e, time_t after, const char *tz)
{
	struct tz_save	 s;
	int64_t		 w;
	time_t		 r;

	if (after < 0 || after > CRON_TIME_MAX || expr_empty(e)) {
		errno = EINVAL;
		return -1;
	}
	if (is_utc(tz)) {
		w = naive_next(e, (int64_t)after + 1);
		return w == -1 ? (time_t)-1 : (time_t)w;
	}
	if (tz_enter(&s, tz) == -1)
		return -1;
	r = zoned_next(e, (int64_t)after);
	tz_leave(&s);
	return r;
}

bool
cron_matches(const struct cron_expr *e, time_t t, const char *tz)
{
	struct tz_save	 s;
	long		 off = 0;
	bool		 r;

	if (is_utc(tz))
		return naive_matches(e, (int64_t)t);
	if (tz_enter(&s, tz) == -1)
		return false;
	r = zone_offset((int64_t)t, &off) == 0 &&
	    naive_matches(e, (int64_t)t + off);
	tz_leave(&s);
	return r;
}

int
cron_tz_check(const char *tz, char *err, size_t errlen)
{
	const char	*dir, *p;
	char		 path[1024], magic[4];
	int		 fd, bad = 0;
	ssize_t		 n;

	if (tz == NULL || strcmp(tz, "UTC") == 0)
		return 0;
	if (*tz == '\0' || *tz == '/' || *tz == ':' || strlen(tz) > 128)
		bad = 1;
	for (p = tz; *p != '\0' && !bad; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			bad = 1;
	if (!bad && (strstr(tz, "..") != NULL || strstr(tz, "//") != NULL))
		bad = 1;
	if (bad)
		return set_err(err, errlen, "\"%.32s\" is not a time zone name "
		    "(expected UTC or a name like Europe/Berlin)", tz);
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, tz) >=
	    sizeof(path))
		return set_err(err, errlen, "time zone name too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		set_err(err, errlen, "unknown time zone \"%s\": %s: %s "
		    "(is tzdata installed?)", tz, path, strerror(errno));
		errno = ENOENT;
		return -1;
	}
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
		return set_err(err, errlen, "unknown time zone \"%s\": %s is "
		    "not a tzdata file", tz, path);
	return 0;
}
