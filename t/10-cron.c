/* t/10-cron.c -- cron expressions: parsing, and cron_next() against
 * brute-force references in UTC and across DST changes */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/cron.h"
#include "cairn/util.h"
#include "tap.h"

#define MIN	60
#define HOUR	3600
#define DAY	86400

static time_t
iso(const char *s)
{
	struct tm	 tm;
	int		 y, mo, d, h = 0, mi = 0;

	if (sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) < 3)
		bail("bad time %s", s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static const char *
fmt(time_t t)
{
	static char	 buf[4][32];
	static int	 i;
	struct tm	 tm;

	if (t == (time_t)-1)
		return "none";
	i = (i + 1) % 4;
	gmtime_r(&t, &tm);
	strftime(buf[i], sizeof(buf[i]), "%Y-%m-%dT%H:%MZ", &tm);
	return buf[i];
}

static struct cron_expr
parse_or_bail(const char *s)
{
	struct cron_expr	 e;
	char			 err[256];

	if (cron_parse(&e, s, err, sizeof(err)) == -1)
		bail("cron_parse \"%s\": %s", s, err);
	return e;
}

/*
 * Parsing
 */

static const struct {
	const char	*expr;
	const char	*msg;
} bad[] = {
	{ "", "empty expression: 0 fields, expected 5 (minute hour "
	    "day-of-month month day-of-week)" },
	{ "* * * *", "4 fields, expected 5 (minute hour day-of-month month "
	    "day-of-week)" },
	{ "0 * * * * *", "6 fields, expected 5 (minute hour day-of-month "
	    "month day-of-week)" },
	{ "60 * * * *", "field 1 (minute): 60 is out of range 0-59" },
	{ "* 24 * * *", "field 2 (hour): 24 is out of range 0-23" },
	{ "* * 0 * *", "field 3 (day-of-month): 0 is out of range 1-31" },
	{ "* * 32 * *", "field 3 (day-of-month): 32 is out of range 1-31" },
	{ "* * * 13 *", "field 4 (month): 13 is out of range 1-12" },
	{ "* * * 0 *", "field 4 (month): 0 is out of range 1-12" },
	{ "* * * * 8", "field 5 (day-of-week): 8 is out of range 0-7" },
	{ "* * * foo *", "field 4 (month): \"foo\" is not a number or name "
	    "(expected 1-12 or jan-dec)" },
	{ "* * * * monday", "field 5 (day-of-week): \"monday\" is not a "
	    "number or name (expected 0-7 or sun-sat)" },
	{ "* * * * jan", "field 5 (day-of-week): \"jan\" is not a number or "
	    "name (expected 0-7 or sun-sat)" },
	{ "mon * * * *", "field 1 (minute): \"mon\" is not a number "
	    "(expected 0-59)" },
	{ "*/0 * * * *", "field 1 (minute): step 0 is out of range 1-60" },
	{ "* */25 * * *", "field 2 (hour): step 25 is out of range 1-24" },
	{ "*/ * * * *", "field 1 (minute): step missing after \"/\" "
	    "(expected 1-60)" },
	{ "5-1 * * * *", "field 1 (minute): range 5-1 is backwards "
	    "(expected low-high)" },
	{ "* * * * fri-mon", "field 5 (day-of-week): range fri-mon is "
	    "backwards (expected low-high)" },
	{ "1,,2 * * * *", "field 1 (minute): empty list item "
	    "(expected 0-59)" },
	{ "* 1, * * *", "field 2 (hour): empty list item (expected 0-23)" },
	{ "1-2-3 * * * *", "field 1 (minute): unexpected \"-\" in \"1-2-3\" "
	    "(expected 0-59, a range a-b, \"*\" or a step /n)" },
	{ "*/5/2 * * * *", "field 1 (minute): unexpected \"/\" in \"*/5/2\" "
	    "(expected 0-59, a range a-b, \"*\" or a step /n)" },
	{ "1-* * * * *", "field 1 (minute): unexpected \"*\" "
	    "(expected 0-59)" },
	{ "* * * jan- *", "field 4 (month): value missing "
	    "(expected 1-12 or jan-dec)" },
	{ "99999999999999999999 * * * *", "field 1 (minute): 999999999999 "
	    "is out of range 0-59" },
	{ "@reboot", "@reboot is not supported (use run_at_start)" },
	{ "@often", "unknown shorthand \"@often\" (expected @yearly, "
	    "@annually, @monthly, @weekly, @daily, @midnight or @hourly)" },
	{ "@daily 5", "unexpected text after @daily" },
};

static void
test_parse_bad(void)
{
	struct cron_expr	 e;
	char			 err[256];
	size_t			 i;
	int			 r;

	for (i = 0; i < nitems(bad); i++) {
		strcpy(err, "(no message)");
		errno = 0;
		r = cron_parse(&e, bad[i].expr, err, sizeof(err));
		if (!ok(r == -1 && errno == EINVAL &&
		    strcmp(err, bad[i].msg) == 0, "rejects \"%s\"",
		    bad[i].expr))
			diag("got %d \"%s\", want \"%s\"", r, err, bad[i].msg);
	}
	ok(cron_parse(&e, "61 * * * *", NULL, 0) == -1,
	    "a NULL message buffer is fine");
	ok(cron_parse(&e, "* 99 * * *", err, 12) == -1 &&
	    strcmp(err, "field 2 (ho") == 0,
	    "a short message buffer is truncated");
}

#define B(n)	((uint64_t)1 << (n))

static void
test_parse_good(void)
{
	struct cron_expr	 e, f;

	e = parse_or_bail("*/15 * * * *");
	is_int((long long)e.minutes, (long long)(B(0) | B(15) | B(30) | B(45)),
	    "*/15 minutes");
	e = parse_or_bail("5/10 * * * *");
	is_int((long long)e.minutes, (long long)(B(5) | B(15) | B(25) |
	    B(35) | B(45) | B(55)), "5/10 runs from 5 to the field's end");
	e = parse_or_bail("1-30/5 * * * *");
	is_int((long long)e.minutes, (long long)(B(1) | B(6) | B(11) |
	    B(16) | B(21) | B(26)), "1-30/5");
	e = parse_or_bail("0,59 0,23 1,31 1,12 *");
	ok(e.minutes == (B(0) | B(59)) && e.hours == (B(0) | B(23)) &&
	    e.mdays == (B(1) | B(31)) && e.months == (B(1) | B(12)),
	    "lists take each field's extremes");
	e = parse_or_bail("0 0 * * *");
	ok(e.mday_star && e.wday_star && e.wdays == 0x7f &&
	    e.mdays == 0xfffffffe && e.months == 0x1ffe &&
	    e.hours == B(0) && e.minutes == B(0), "* fills every field");
	e = parse_or_bail("* * * * 7");
	ok(e.wdays == B(0) && !e.wday_star, "7 is Sunday, and restricted");
	e = parse_or_bail("* * * * 0-7");
	ok(e.wdays == 0x7f && !e.wday_star, "0-7 is every day, restricted");
	e = parse_or_bail("* * * * 5-7");
	is_int(e.wdays, B(0) | B(5) | B(6), "5-7 is fri, sat, sun");
	e = parse_or_bail("* * * * 0-7/7");
	is_int(e.wdays, B(0), "0-7/7 is Sunday");
	e = parse_or_bail("* * */1 * */1");
	ok(e.mday_star && e.wday_star, "*/1 counts as *");
	e = parse_or_bail("* * */2 * */2");
	ok(!e.mday_star && !e.wday_star && e.wdays == (B(0) | B(2) | B(4) |
	    B(6)) && (e.mdays & B(1)) && !(e.mdays & B(2)),
	    "*/2 is a restriction");
	e = parse_or_bail("* * * JAN,Dec Mon-FRI");
	ok(e.months == (B(1) | B(12)) && e.wdays == 0x3e,
	    "names are case-insensitive, in lists and ranges");
	e = parse_or_bail("* * * jan-dec/3 sun,sat");
	ok(e.months == (B(1) | B(4) | B(7) | B(10)) &&
	    e.wdays == (B(0) | B(6)), "name ranges take steps");
	e = parse_or_bail("  0\t0  * * *  ");
	f = parse_or_bail("@daily");
	ok(memcmp(&e, &f, sizeof(e)) == 0,
	    "blanks around fields; @daily is 0 0 * * *");
	e = parse_or_bail("@WEEKLY");
	ok(e.wdays == B(0) && e.mday_star && !e.wday_star &&
	    e.hours == B(0), "@weekly is Sunday midnight");
	e = parse_or_bail("1/59 * * * *");
	is_int((long long)e.minutes, (long long)B(1), "1/59 is minute 1");
}

/*
 * UTC: the full sequence of fire times over a span, against a reference
 * that tests every minute of every day with gmtime_r()'s broken-down time.
 */

static const char *const exprs[] = {
	"* * * * *", "0 * * * *", "*/15 * * * *", "5/10 * * * *",
	"1-30/5 * * * *", "0,30 * * * *", "59 23 * * *", "0 0 * * *",
	"30 2 * * *", "0 */6 * * *", "15 3 * * *", "30 */6 * * *",
	"0 9-17 * * 1-5", "0 9-17/2 * * mon-fri", "*/5 9-10 * * *",
	"0 0 1 * *", "0 0 31 * *", "0 0 30 * *", "0 0 29 2 *", "0 0 28 2 *",
	"0 0 1 1 *", "0 0 * * 0", "0 0 * * 7", "0 0 * * sun",
	"0 0 * * SAT,sun", "0 12 * * 1,3,5", "0 12 * * 5-7", "0 12 1,15 * *",
	"0 12 1,15 * mon", "0 12 13 * fri", "0 12 */2 * *", "0 12 * * */2",
	"0 12 */2 * 1", "0 0 1-7 * 1", "0 0 1 */3 *",
	"0 0 1 jan,apr,jul,oct *", "0 0 1 Jan-Mar *", "0 6 * feb *",
	"0 6 29 * *", "0 6 31 jan-dec/2 *", "0 0 31 4,6,9,11 *",
	"0 0 30 2 *", "*/7 * * * *", "*/13 */5 * * *", "1/59 * * * *",
	"0 22 * * 1-5", "45 23 31 12 *", "0 0 1 1 1", "0 0 * 2 mon",
	"0 4 8-14 * 3", "30 4 1,15 * 5",
	"2-58/7 1-23/3 2-30/4 1-12/5 1-6/2", "0 0 */10 * *", "0 0 5/10 * *",
	"0 0 1-31/7 * *", "0 0 * * 1-7", "0 0 13 * */1", "0 0 13 * 0-6",
	"0 0 13 */1 *", "0 0 */1 * 5", "0 0 1-31 * 5",
	"0,15,30,45 0-23/4 * * *", "59 * * * *", "0 0 29 feb mon",
	"0 0,12 1 */2 *", "23 0-20/2 * * *", "0 0 29 * *", "0 0 * 12 fri",
	"10-20/3 * * * 6", "@hourly", "@weekly", "@monthly", "@yearly",
	"0 0 31 dec *", "0 0 1 mar *", "0 3 28-31 * *",
};

static int
ref_day(const struct cron_expr *e, const struct tm *tm)
{
	int	 dm = (e->mdays >> tm->tm_mday) & 1;
	int	 wm = (e->wdays >> tm->tm_wday) & 1;

	if (!((e->months >> (tm->tm_mon + 1)) & 1))
		return 0;
	if (e->mday_star && e->wday_star)
		return 1;
	if (e->mday_star)
		return wm;
	if (e->wday_star)
		return dm;
	return dm || wm;
}

static int
ref_match(const struct cron_expr *e, time_t t)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	return ref_day(e, &tm) && ((e->hours >> tm.tm_hour) & 1) &&
	    ((e->minutes >> tm.tm_min) & 1);
}

/* Every fire time in [from, to), from at midnight UTC. */
static size_t
ref_fires_utc(const struct cron_expr *e, time_t from, time_t to,
    time_t *out)
{
	struct tm	 tm;
	time_t		 day;
	size_t		 n = 0;
	int		 h, m;

	for (day = from; day < to; day += DAY) {
		gmtime_r(&day, &tm);
		if (!ref_day(e, &tm))
			continue;
		for (h = 0; h < 24; h++)
			for (m = 0; m < 60; m++)
				if (((e->hours >> h) & 1) &&
				    ((e->minutes >> m) & 1))
					out[n++] = day + h * HOUR + m * MIN;
	}
	return n;
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned long long
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Walks cron_next() from `from` and compares with the reference fires.
 * Returns 1 if they agree. */
static int
compare_walk(const struct cron_expr *e, const char *tz, time_t from,
    time_t to, const time_t *ref, size_t n, const char *what)
{
	time_t	 t = from - 1, got;
	size_t	 i;

	for (i = 0; i < n; i++) {
		got = cron_next(e, t, tz);
		if (got != ref[i]) {
			diag("%s: after %s: got %s, want %s (fire %zu of %zu)",
			    what, fmt(t), fmt(got), fmt(ref[i]), i + 1, n);
			return 0;
		}
		t = got;
	}
	got = cron_next(e, t, tz);
	if (got != (time_t)-1 && got < to) {
		diag("%s: after %s: got %s, want nothing before %s", what,
		    fmt(t), fmt(got), fmt(to));
		return 0;
	}
	return 1;
}

static int
under_valgrind(void)
{
	const char	*p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static void
test_utc_bruteforce(void)
{
	struct cron_expr	 e;
	time_t			 from = iso("2024-01-01"), to, *ref, after,
				 want, got;
	size_t			 i, n, lo, hi, mid;
	int			 k, good;

	/* 4 years (a leap year, three common ones) unless under valgrind */
	to = under_valgrind() ? iso("2025-01-01") : iso("2028-01-01");
	ref = xreallocarray(NULL, (size_t)(to - from) / MIN + 1,
	    sizeof(*ref));
	for (i = 0; i < nitems(exprs); i++) {
		e = parse_or_bail(exprs[i]);
		n = ref_fires_utc(&e, from, to, ref);
		ok(compare_walk(&e, NULL, from, to, ref, n, exprs[i]),
		    "\"%s\": %zu fire times agree with the reference",
		    exprs[i], n);
		/* from arbitrary seconds, not just fire times */
		good = 1;
		for (k = 0; k < 300 && good; k++) {
			after = from + (time_t)(rnd() % (unsigned long long)
			    (to - from));
			if (k % 3 == 0)
				after -= after % MIN;
			lo = 0;
			hi = n;
			while (lo < hi) {
				mid = lo + (hi - lo) / 2;
				if (ref[mid] <= after)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == n)
				continue;	/* beyond the span */
			want = ref[lo];
			got = cron_next(&e, after, NULL);
			if (got != want ||
			    ref_match(&e, after - after % MIN) !=
			    cron_matches(&e, after, NULL)) {
				diag("\"%s\": after %s+%llds: got %s, want %s",
				    exprs[i], fmt(after - after % MIN),
				    (long long)(after % MIN), fmt(got),
				    fmt(want));
				good = 0;
			}
		}
		ok(good, "\"%s\": from random seconds, and cron_matches()",
		    exprs[i]);
	}
	free(ref);
}

static void
test_horizon(void)
{
	struct cron_expr	 e;

	e = parse_or_bail("0 0 29 2 *");
	is_str(fmt(cron_next(&e, iso("2096-03-01"), NULL)),
	    "2104-02-29T00:00Z", "Feb 29 found 8 years ahead (2100 is not "
	    "a leap year)");
	e = parse_or_bail("0 0 30 2 *");
	ok(cron_next(&e, iso("2025-01-01"), NULL) == (time_t)-1,
	    "Feb 30 never comes");
	ok(cron_next(&e, iso("2025-01-01"), "Europe/Berlin") == (time_t)-1,
	    "Feb 30 never comes in a zone either");
	e = parse_or_bail("* * * * *");
	ok(cron_next(&e, -5, NULL) == (time_t)-1 && errno == EINVAL,
	    "a negative time is refused");
	ok(cron_next(&e, CRON_TIME_MAX + 1, NULL) == (time_t)-1 &&
	    cron_next(&e, CRON_TIME_MAX, NULL) == CRON_TIME_MAX + 60,
	    "times up to CRON_TIME_MAX work");
	memset(&e, 0, sizeof(e));
	ok(cron_next(&e, iso("2025-01-01"), NULL) == (time_t)-1,
	    "an empty expression never fires");
}

/*
 * Time zones.  The rule (docs/schedules.md): a job whose hour field is
 * every hour follows the wall clock; any other job runs each wall time at
 * most once: in a repeated interval only at its first occurrence, and a
 * wall time skipped by a forward jump runs at the first instant after it.
 */

struct dst_case {
	const char	*tz;
	const char	*expr;
	const char	*after;
	const char	*want[4];	/* successive fire times, UTC */
	const char	*why;
};

static const struct dst_case dst_cases[] = {
	{ "Europe/Berlin", "30 2 * * *", "2025-03-29T12:00",
	    { "2025-03-30T01:00Z", "2025-03-31T00:30Z" },
	    "02:30 skipped: runs at 03:00 CEST, then as usual" },
	{ "Europe/Berlin", "15,45 2 * * *", "2025-03-29T12:00",
	    { "2025-03-30T01:00Z", "2025-03-31T00:15Z" },
	    "two skipped times run once after the jump" },
	{ "Europe/Berlin", "0 3 * * *", "2025-03-29T12:00",
	    { "2025-03-30T01:00Z", "2025-03-31T01:00Z" },
	    "03:00 CEST is the first minute after the jump" },
	{ "Europe/Berlin", "30 * * * *", "2025-03-30T00:00",
	    { "2025-03-30T00:30Z", "2025-03-30T01:30Z", "2025-03-30T02:30Z" },
	    "an hourly job skips the missing 02:30" },
	{ "Europe/Berlin", "0 */2 * * *", "2025-03-29T23:30",
	    { "2025-03-30T01:00Z", "2025-03-30T02:00Z" },
	    "every 2 hours: the skipped 02:00 runs at 03:00" },
	{ "Europe/Berlin", "30 2 * * *", "2025-10-25T12:00",
	    { "2025-10-26T00:30Z", "2025-10-27T01:30Z" },
	    "02:30 repeated: runs in CEST only" },
	{ "Europe/Berlin", "*/30 2 * * *", "2025-10-25T23:00",
	    { "2025-10-26T00:00Z", "2025-10-26T00:30Z", "2025-10-27T01:00Z" },
	    "the repeated hour runs once" },
	{ "Europe/Berlin", "30 * * * *", "2025-10-26T00:00",
	    { "2025-10-26T00:30Z", "2025-10-26T01:30Z", "2025-10-26T02:30Z" },
	    "an hourly job runs in both 02:30s" },
	{ "Europe/Berlin", "0 */2 * * *", "2025-10-25T23:00",
	    { "2025-10-26T00:00Z", "2025-10-26T03:00Z" },
	    "every 2 hours: 02:00 once, then 04:00 CET" },
	{ "Europe/Berlin", "0 0 * * *", "2025-10-25T12:00",
	    { "2025-10-25T22:00Z", "2025-10-26T23:00Z" },
	    "midnight moves by the offset" },
	{ "Australia/Sydney", "30 2 * * *", "2025-10-04T00:00",
	    { "2025-10-04T16:00Z", "2025-10-05T15:30Z" },
	    "southern spring: 02:30 skipped, runs at 03:00 AEDT" },
	{ "Australia/Sydney", "30 2 * * *", "2025-04-05T00:00",
	    { "2025-04-05T15:30Z", "2025-04-06T16:30Z" },
	    "southern autumn: 02:30 repeated, runs in AEDT only" },
	{ "Australia/Sydney", "30 * * * *", "2025-04-05T15:00",
	    { "2025-04-05T15:30Z", "2025-04-05T16:30Z", "2025-04-05T17:30Z" },
	    "southern autumn: an hourly job runs in both 02:30s" },
	{ "Australia/Sydney", "0 6 * * *", "2025-04-04T00:00",
	    { "2025-04-04T19:00Z", "2025-04-05T20:00Z" },
	    "06:00 moves by the offset" },
};

static void
test_dst_cases(void)
{
	const struct dst_case	*c;
	struct cron_expr	 e;
	time_t			 t;
	size_t			 i, j;
	char			 got[160];
	char			 want[160];

	for (i = 0; i < nitems(dst_cases); i++) {
		c = &dst_cases[i];
		e = parse_or_bail(c->expr);
		t = iso(c->after);
		got[0] = want[0] = '\0';
		for (j = 0; j < nitems(c->want) && c->want[j] != NULL; j++) {
			t = cron_next(&e, t, c->tz);
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s%s", j ? " " : "", fmt(t));
			snprintf(want + strlen(want),
			    sizeof(want) - strlen(want), "%s%s", j ? " " : "",
			    c->want[j]);
		}
		is_str(got, want, "%s \"%s\": %s", c->tz, c->expr, c->why);
	}
}

static long
offset_at(time_t t)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

/* The rule above, minute by minute over [from, to), TZ already set. */
static size_t
ref_fires_zoned(const struct cron_expr *e, time_t from, time_t to,
    time_t *out)
{
	int	 every_hour = (e->hours & 0xffffff) == 0xffffff, fire;
	time_t	 m, wall, prev, seen, k;
	size_t	 n = 0;

	prev = from - MIN + offset_at(from - MIN);
	seen = prev;
	for (m = from; m < to; m += MIN) {
		wall = m + offset_at(m);
		fire = ref_match(e, wall);
		if (!every_hour && wall <= seen)
			fire = 0;		/* shown before */
		else if (!every_hour)
			for (k = prev + MIN; k < wall && !fire; k += MIN)
				fire = ref_match(e, k);	/* jumped over */
		if (fire)
			out[n++] = m;
		if (wall > seen)
			seen = wall;
		prev = wall;
	}
	return n;
}

static const char *const dst_exprs[] = {
	"30 2 * * *", "15,45 2 * * *", "0 2 * * *", "0 3 * * *",
	"30 * * * *", "*/15 * * * *", "* * * * *", "0 */2 * * *",
	"*/10 1-3 * * *", "0 0 * * *", "59 1 * * *", "* 2 * * *",
	"30 2 * * 0", "0,30 2 * * sat", "45 2-3 * * *", "0 1-4 * * *",
};

static const char *const zones[] = {
	"Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe",
};

static void
test_dst_reference(void)
{
	struct cron_expr	 e;
	time_t			 t, end, changes[16], *ref;
	size_t			 i, j, z, nchanges, n;
	int			 good;
	char			 what[128];
	const char		*old = getenv("TZ");
	char			*saved = old ? xstrdup(old) : NULL;

	ref = xreallocarray(NULL, 5 * DAY / MIN, sizeof(*ref));
	for (z = 0; z < nitems(zones); z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		/* the zone's changes in 2025 and 2026, found hour by hour */
		nchanges = 0;
		end = iso("2027-01-01");
		for (t = iso("2025-01-01"); t < end &&
		    nchanges < nitems(changes); t += HOUR)
			if (offset_at(t) != offset_at(t + HOUR))
				changes[nchanges++] = t;
		if (!ok(nchanges == 4, "%s: 4 offset changes in 2025-2026",
		    zones[z])) {
			for (j = 0; j < nitems(dst_exprs); j++)
				skip(1, "no changes found");
			continue;
		}
		for (j = 0; j < nitems(dst_exprs); j++) {
			e = parse_or_bail(dst_exprs[j]);
			good = 1;
			for (i = 0; i < nchanges && good; i++) {
				t = changes[i] - changes[i] % DAY - 2 * DAY;
				n = ref_fires_zoned(&e, t, t + 5 * DAY, ref);
				snprintf(what, sizeof(what), "%s \"%s\"",
				    zones[z], dst_exprs[j]);
				good = compare_walk(&e, zones[z], t,
				    t + 5 * DAY, ref, n, what);
			}
			ok(good, "%s \"%s\": agrees with the rule around each "
			    "change", zones[z], dst_exprs[j]);
		}
	}
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	free(ref);
}

static void
test_zone_misc(void)
{
	struct cron_expr	 e;
	char			 err[256];
	const char		*old;

	e = parse_or_bail("0 12 * * *");
	ok(cron_matches(&e, iso("2025-06-01T10:00"), "Europe/Berlin") &&
	    !cron_matches(&e, iso("2025-06-01T12:00"), "Europe/Berlin"),
	    "cron_matches() reads the wall clock of the zone");
	setenv("TZ", "America/New_York", 1);
	tzset();
	(void)cron_next(&e, iso("2025-06-01"), "Asia/Tokyo");
	old = getenv("TZ");
	ok(old != NULL && strcmp(old, "America/New_York") == 0,
	    "cron_next() restores TZ");
	unsetenv("TZ");
	tzset();
	(void)cron_next(&e, iso("2025-06-01"), "Asia/Tokyo");
	ok(getenv("TZ") == NULL, "cron_next() leaves an unset TZ unset");
	is_str(fmt(cron_next(&e, iso("2025-06-01"), "Asia/Tokyo")),
	    "2025-06-01T03:00Z", "Asia/Tokyo has no DST");
	is_str(fmt(cron_next(&e, iso("2025-06-01"), "UTC")),
	    "2025-06-01T12:00Z", "\"UTC\" is UTC");

	ok(cron_tz_check("UTC", err, sizeof(err)) == 0 &&
	    cron_tz_check("Europe/Berlin", err, sizeof(err)) == 0 &&
	    cron_tz_check("America/Argentina/Buenos_Aires", err,
	    sizeof(err)) == 0, "zone names from tzdata are accepted");
	ok(cron_tz_check("Mars/Olympus_Mons", err, sizeof(err)) == -1 &&
	    strncmp(err, "unknown time zone \"Mars/Olympus_Mons\"", 37) == 0,
	    "an unknown zone is refused");
	if (!ok(cron_tz_check("../../etc/passwd", err, sizeof(err)) == -1 &&
	    strcmp(err, "\"../../etc/passwd\" is not a time zone name "
	    "(expected UTC or a name like Europe/Berlin)") == 0,
	    "a path is refused"))
		diag("got \"%s\"", err);
	ok(cron_tz_check("Europe", err, sizeof(err)) == -1,
	    "a folder of the tz database is refused");
}

int
main(void)
{
	plan((int)nitems(bad) + 2 + 16 + 2 * (int)nitems(exprs) + 6 +
	    (int)nitems(dst_cases) +
	    (int)nitems(zones) * (1 + (int)nitems(dst_exprs)) + 9);
	test_parse_bad();
	test_parse_good();
	test_utc_bruteforce();
	test_horizon();
	test_dst_cases();
	test_dst_reference();
	test_zone_misc();
	return tap_exit();
}
