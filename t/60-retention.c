/*
 * t/60-retention -- the prune planner: a table of scenarios, a 30-day
 * simulation, a 400-day GFS run checked against a brute force written
 * differently, stale temp files and artifact name parsing.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/retention.h"
#include "cairn/util.h"
#include "tap.h"

#define DAY	86400
#define HOUR	3600
#define V	RETENTION_VERIFIED
#define U	RETENTION_UNVERIFIED
#define F	RETENTION_FAILED

/* now for the table: 2026-11-24T06:00:00Z */
#define NOW	((time_t)1795500000)

static void
stamp_name(char *buf, size_t len, const char *job, time_t t)
{
	struct tm	 tm;
	char		 s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y%m%d_%H%M%S", &tm);
	snprintf(buf, len, "%s_backup_%s.sql.gz", job, s);
}

/* ---- scenario table ---- */

struct art {
	const char	*job;
	double		 age_days;	/* negative: in the future */
	int		 verify;
	int		 want_keep;
};

struct scenario {
	const char	*what;
	struct retention_conf rc;
	time_t		 now;
	int		 want_hold;
	int		 want_warning;
	struct art	 arts[8];
};

#define RC(d, km)	{ .days = (d), .keep_min = (km) }

static const struct scenario scenarios[] = {
	{ "fresh artifacts are all kept", RC(7, 1), NOW, 0, 0, {
		{ "app", 0.1, U, 1 }, { "app", 1, V, 1 }, { "app", 3, F, 1 },
		{ "app", 6.9, V, 1 }, { NULL, 0, 0, 0 } } },
	{ "all older than days: only the newest verified stays", RC(7, 1),
	    NOW, 0, 0, {
		{ "app", 8, U, 0 }, { "app", 8.5, V, 1 }, { "app", 9, V, 0 },
		{ "app", 10, F, 0 }, { "app", 30, V, 0 }, { NULL, 0, 0, 0 } } },
	{ "all older than days, keep_min 2", RC(7, 2), NOW, 0, 0, {
		{ "app", 8, U, 0 }, { "app", 8.5, V, 1 }, { "app", 9, V, 1 },
		{ "app", 10, F, 0 }, { "app", 30, V, 0 }, { NULL, 0, 0, 0 } } },
	{ "all old, none verified: held", RC(7, 1), NOW, 0, 1, {
		{ "app", 8, U, 1 }, { "app", 9, F, 1 }, { "app", 20, U, 1 },
		{ NULL, 0, 0, 0 } } },
	{ "clock set back: an artifact in the future holds its job only",
	    RC(7, 1), NOW, 0, 1, {
		{ "app", -0.5, V, 1 }, { "app", 8, V, 1 }, { "app", 9, V, 1 },
		{ "db", 8, V, 1 }, { "db", 9, V, 0 }, { "db", 40, U, 0 },
		{ NULL, 0, 0, 0 } } },
	{ "a future-dated file that failed verification holds nothing",
	    RC(7, 1), NOW, 0, 0, {
		{ "app", -600, F, 1 }, { "app", 8, V, 1 }, { "app", 9, V, 0 },
		{ NULL, 0, 0, 0 } } },
	{ "a few seconds ahead is within tolerance", RC(7, 1), NOW, 0, 0, {
		{ "app", -60.0 / DAY, V, 1 }, { "app", 8, V, 0 },
		{ NULL, 0, 0, 0 } } },
	{ "now before 2020 holds all", RC(7, 1), (time_t)1500000000, 1, 1, {
		{ "app", 8, V, 1 }, { "app", 9, V, 1 }, { NULL, 0, 0, 0 } } },
	{ "keep_min larger than what exists", RC(7, 5), NOW, 0, 0, {
		{ "app", 0.5, U, 1 }, { "app", 8, V, 1 }, { "app", 9, U, 0 },
		{ "app", 10, V, 1 }, { "app", 11, F, 0 }, { "app", 12, V, 1 },
		{ NULL, 0, 0, 0 } } },
	{ "failed-verify newest: the last good one stays", RC(7, 1), NOW, 0, 0,
	    {
		{ "app", 1, F, 1 }, { "app", 10, V, 1 }, { "app", 11, V, 0 },
		{ "app", 12, F, 0 }, { NULL, 0, 0, 0 } } },
	{ "failed-verify newest, old: kept only by age until expiry",
	    RC(7, 1), NOW, 0, 0, {
		{ "app", 8, F, 0 }, { "app", 10, V, 1 }, { NULL, 0, 0, 0 } } },
	{ "mixed jobs are planned apart", RC(7, 1), NOW, 0, 1, {
		{ "a", 8, V, 1 }, { "b", 1, U, 1 }, { "a", 9, V, 0 },
		{ "b", 9, V, 1 }, { "a_backup_x", 9.5, V, 1 },
		{ "c", 20, U, 1 }, { "b", 10, V, 0 }, { NULL, 0, 0, 0 } } },
	{ "days 0: everything but the kept verified goes", RC(0, 2), NOW, 0, 0,
	    {
		{ "app", 0.01, U, 0 }, { "app", 0.02, V, 1 },
		{ "app", 0.03, V, 1 }, { "app", 0.04, V, 0 },
		{ NULL, 0, 0, 0 } } },
};

static void
run_scenario(const struct scenario *s)
{
	struct retention_item	 items[8];
	struct retention_plan	 plan;
	char			 names[8][128], want[1024] = "", got[1024] = "";
	size_t			 n = 0;
	int			 rc;

	memset(items, 0, sizeof(items));
	for (; n < nitems(s->arts) && s->arts[n].job != NULL; n++) {
		time_t	 t = s->now - (time_t)(s->arts[n].age_days * DAY);

		/* keep second resolution: names carry seconds */
		stamp_name(names[n], sizeof(names[n]), s->arts[n].job, t);
		items[n].name = names[n];
		items[n].time = (time_t)-1;
		items[n].verify = s->arts[n].verify;
		if (s->arts[n].want_keep) {
			strcat(want, names[n]);
			strcat(want, " ");
		}
	}
	rc = retention_plan(items, n, s->now, &s->rc, NULL, &plan);
	for (size_t i = 0; i < n; i++) {
		if (items[i].keep) {
			strcat(got, items[i].name);
			strcat(got, " ");
		}
		if (items[i].reason[0] == '\0')
			diag("%s: %s has no reason", s->what, items[i].name);
	}
	ok(rc == 0 && strcmp(want, got) == 0 &&
	    plan.nkeep + plan.ndelete == n, "%s", s->what);
	if (strcmp(want, got) != 0) {
		diag("want: %s", want);
		diag("got:  %s", got);
		for (size_t i = 0; i < n; i++)
			diag("%s %s (%s)", items[i].name,
			    items[i].keep ? "keep" : "delete", items[i].reason);
	}
	ok(plan.hold == (s->want_hold != 0) &&
	    (plan.warning[0] != '\0') == (s->want_warning != 0),
	    "%s: hold %d, warning \"%s\"", s->what, plan.hold, plan.warning);
}

/* ---- a brute force written differently: day numbers, not strftime ---- */

/* civil date from days since 1970-01-01 (proleptic Gregorian) */
static void
civil(int64_t z, int *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t
bucket(time_t t, int rule)
{
	int64_t	 dn = (int64_t)t / DAY;	/* t >= 0 here */
	int	 y, m, d;

	switch (rule) {
	case 0:			/* day */
		return dn;
	case 1:			/* week starting Monday: 1970-01-01 was a Thursday */
		return (dn + 3) / 7;
	default:		/* month */
		civil(dn, &y, &m, &d);
		return (int64_t)y * 12 + (m - 1);
	}
}

struct sim {
	time_t	 t;
	int	 verify;
	int	 alive;
	int	 want;
};

static void
brute(struct sim *a, size_t n, time_t now, const struct retention_conf *rc)
{
	int	 counts[3] = { rc->keep_daily, rc->keep_weekly, rc->keep_monthly };

	for (size_t i = 0; i < n; i++)
		a[i].want = a[i].alive && now - a[i].t <= (time_t)rc->days * DAY;
	/* keep_min and newest verified: fewer than k newer verified ones */
	for (size_t i = 0; i < n; i++) {
		int	 newer = 0;

		if (!a[i].alive || a[i].verify != V)
			continue;
		for (size_t j = 0; j < n; j++)
			if (a[j].alive && a[j].verify == V && a[j].t > a[i].t)
				newer++;
		if (newer < (rc->keep_min > 1 ? rc->keep_min : 1))
			a[i].want = 1;
	}
	for (int r = 0; r < 3; r++) {
		int64_t	 last = INT64_MAX;

		for (int c = 0; c < counts[r]; c++) {
			int64_t	 key = INT64_MIN;
			size_t	 best = n;

			/* the largest bucket below the last one taken */
			for (size_t i = 0; i < n; i++) {
				int64_t	 b;

				if (!a[i].alive || a[i].verify != V)
					continue;
				b = bucket(a[i].t, r);
				if (b < last && b > key)
					key = b;
			}
			if (key == INT64_MIN)
				break;
			for (size_t i = 0; i < n; i++)
				if (a[i].alive && a[i].verify == V &&
				    bucket(a[i].t, r) == key &&
				    (best == n || a[i].t > a[best].t))
					best = i;
			if (!a[best].want)
				a[best].want = 1;
			last = key;
		}
	}
}

/* Plan the alive artifacts of sims; returns how many the plan deletes
 * that the brute force keeps or the reverse (0: agreement). */
static size_t
plan_sims(struct sim *a, size_t n, time_t now, const struct retention_conf *rc,
    int apply, struct retention_plan *plan)
{
	struct retention_item	*items;
	char			(*names)[64];
	size_t			*map, m = 0, diff = 0;

	items = calloc(n, sizeof(*items));
	names = calloc(n, sizeof(*names));
	map = calloc(n, sizeof(*map));
	if (items == NULL || names == NULL || map == NULL)
		bail("out of memory");
	/* in a scrambled order: the planner must not rely on input order */
	for (size_t k = 0; k < n; k++) {
		size_t	 i = (k * 7919) % n;

		if (!a[i].alive)
			continue;
		stamp_name(names[m], sizeof(names[m]), "gfs", a[i].t);
		items[m].name = names[m];
		items[m].time = (k % 2) ? a[i].t : (time_t)-1;
		items[m].verify = a[i].verify;
		map[m++] = i;
	}
	if (retention_plan(items, m, now, rc, NULL, plan) == -1)
		bail("retention_plan: %s", strerror(errno));
	if (!apply)
		brute(a, n, now, rc);
	for (size_t j = 0; j < m; j++) {
		if (!apply && (int)items[j].keep != a[map[j]].want) {
			if (diff++ < 5)
				diag("%s: planner %s (%s), brute force %s",
				    items[j].name, items[j].keep ? "keeps" :
				    "deletes", items[j].reason,
				    a[map[j]].want ? "keeps" : "deletes");
		}
		if (apply && !items[j].keep)
			a[map[j]].alive = 0;
	}
	free(items);
	free(names);
	free(map);
	return diff;
}

static int
sim_verify(size_t i)
{
	if (i % 11 == 5)
		return F;
	if (i % 7 == 3)
		return U;
	return V;
}

static void
test_30_days(void)
{
	struct retention_conf	 rc = RC(7, 1);
	struct retention_plan	 plan;
	struct sim		 a[30 * 4];
	time_t			 t0 = NOW - 30 * DAY, now = t0;
	size_t			 n = 0, alive = 0, wrong_young = 0, bad = 0;
	int			 never_empty = 1;

	/* 4 backups a day, a prune after each one */
	for (int d = 0; d < 30; d++) {
		for (int h = 0; h < 4; h++) {
			now = t0 + (time_t)d * DAY + h * 6 * HOUR;
			a[n].t = now;
			a[n].verify = (n % 9 == 4) ? F : V;
			a[n].alive = 1;
			n++;
			now += 30 * 60;		/* prune runs at :30 */
			plan_sims(a, n, now, &rc, 1, &plan);
			for (size_t i = 0; i < n; i++)
				if (!a[i].alive && now - a[i].t <= 7 * DAY)
					wrong_young++;
			alive = 0;
			for (size_t i = 0; i < n; i++)
				alive += a[i].alive && a[i].verify == V;
			if (alive == 0)
				never_empty = 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (a[i].alive != (now - a[i].t <= 7 * DAY))
			bad++;
	alive = 0;
	for (size_t i = 0; i < n; i++)
		alive += a[i].alive;
	ok(bad == 0 && alive == 28,
	    "30 days x 4 a day, days=7: exactly the last 7 days remain (%zu)",
	    alive);
	ok(wrong_young == 0, "no artifact younger than 7 days was ever deleted");
	ok(never_empty, "a verified artifact remained after every prune");
}

static void
test_gfs_400_days(void)
{
	struct retention_conf	 rc = { .days = 7, .keep_min = 1,
	    .keep_daily = 7, .keep_weekly = 4, .keep_monthly = 12 };
	struct retention_plan	 plan;
	size_t			 n = 400 * 4, diff, kept = 0, bad = 0;
	struct sim		*a = calloc(n, sizeof(*a));
	time_t			 t0 = NOW - 400 * DAY, now;

	if (a == NULL)
		bail("out of memory");
	for (size_t i = 0; i < n; i++) {
		/* 4 a day at irregular minutes, some unverified or failed */
		a[i].t = t0 + (time_t)(i / 4) * DAY +
		    (time_t)(i % 4) * 6 * HOUR + (time_t)(i % 13) * 60;
		a[i].verify = sim_verify(i);
		a[i].alive = 1;
	}
	now = a[n - 1].t + 30 * 60;
	diff = plan_sims(a, n, now, &rc, 0, &plan);
	for (size_t i = 0; i < n; i++)
		kept += a[i].want;
	ok(diff == 0, "gfs 7/4/12 over 400 days: planner agrees with the "
	    "brute force (%zu kept, %zu differ)", kept, diff);
	ok(kept > 28 && kept < 28 + 7 + 4 + 12 + 2,
	    "gfs keeps a plausible number (%zu)", kept);

	/* the same history pruned after each backup ends the same */
	for (size_t i = 0; i < n; i++)
		a[i].alive = 0;
	for (size_t i = 0; i < n; i++) {
		a[i].alive = 1;
		if (i % 4 == 3 || i == n - 1)	/* a prune every day */
			plan_sims(a, i + 1, a[i].t + 30 * 60, &rc, 1, &plan);
	}
	for (size_t i = 0; i < n; i++) {
		a[i].want = 0;
		if (a[i].alive)
			a[i].want = 1;
	}
	{
		struct sim	*b = calloc(n, sizeof(*b));

		if (b == NULL)
			bail("out of memory");
		memcpy(b, a, n * sizeof(*b));
		for (size_t i = 0; i < n; i++)
			b[i].alive = 1;
		brute(b, n, now, &rc);
		for (size_t i = 0; i < n; i++)
			if (b[i].want != a[i].alive)
				bad++;
		free(b);
	}
	ok(bad == 0, "daily prunes over 400 days end where one prune does "
	    "(%zu differ)", bad);
	free(a);
}

/* The example in docs/verify-and-prune.md, checked. */
static void
test_docs_example(void)
{
	struct retention_conf	 rc = { .days = 7, .keep_min = 1,
	    .keep_daily = 7, .keep_weekly = 4, .keep_monthly = 12 };
	struct retention_item	*it;
	struct retention_plan	 plan;
	char			(*names)[64];
	size_t			 n = 0, bad = 0, old_kept = 0;
	time_t			 now = NOW + 30 * 60, t;
	static const char *const want_old[] = {
		"20261115_180000", "20261108_180000", "20261031_180000",
		"20260930_180000", "20260831_180000", "20260731_180000",
		"20260630_180000", "20260531_180000", "20260430_180000",
		"20260331_180000", "20260228_180000", "20260131_180000",
		"20251231_180000",
	};

	it = calloc(400 * 4 + 2, sizeof(*it));
	names = calloc(400 * 4 + 2, sizeof(*names));
	if (it == NULL || names == NULL)
		bail("out of memory");
	for (t = NOW - 400 * DAY; t <= NOW; t += 6 * HOUR, n++) {
		stamp_name(names[n], sizeof(names[n]), "doc", t);
		it[n].name = names[n];
		it[n].time = t;
		it[n].verify = V;
	}
	retention_plan(it, n, now, &rc, NULL, &plan);
	for (size_t i = 0; i < n; i++) {
		int	 listed = 0;

		if (now - it[i].time <= 7 * DAY) {
			bad += !it[i].keep;
			continue;
		}
		for (size_t k = 0; k < nitems(want_old); k++)
			if (strstr(it[i].name, want_old[k]) != NULL)
				listed = 1;
		if (it[i].keep != listed) {
			diag("%s: %s (%s)", it[i].name, it[i].keep ? "kept" :
			    "deleted", it[i].reason);
			bad++;
		}
		old_kept += it[i].keep;
	}
	ok(bad == 0 && old_kept == nitems(want_old),
	    "the documented example keeps exactly what the docs say");
	free(it);
	free(names);
}

static void
test_reasons(void)
{
	struct retention_conf	 rc = { .days = 1, .keep_min = 1,
	    .keep_daily = 3, .keep_weekly = 2, .keep_monthly = 2 };
	struct retention_item	 it[4];
	struct retention_plan	 plan;
	const char		*names[4] = {
		"x_backup_20261124_050000.sql.gz",	/* within */
		"x_backup_20261120_230000.db.gz",	/* daily 2026-11-20 */
		"x_backup_20261120_010000.db.gz",	/* older same day */
		"x_backup_20261031_120000.db.gz",	/* monthly, weekly */
	};

	memset(it, 0, sizeof(it));
	for (int i = 0; i < 4; i++) {
		it[i].name = names[i];
		it[i].time = (time_t)-1;
		it[i].verify = i == 0 ? U : V;
	}
	retention_plan(it, 4, NOW, &rc, NULL, &plan);
	is_str(it[0].reason, "within 1 day", "reason for a fresh one");
	is_str(it[1].reason, "newest verified", "reason for the last good one");
	is_str(it[2].reason, "expired", "reason for a deleted one");
	is_str(it[3].reason, "daily 2026-10-31", "reason for a gfs day");
	ok(!it[2].keep && it[3].keep, "gfs keeps one per day, the newest");
	rc.keep_daily = 1;
	retention_plan(it, 4, NOW, &rc, NULL, &plan);
	is_str(it[3].reason, "weekly 2026-W44", "reason for a gfs week");
	rc.keep_weekly = 1;
	retention_plan(it, 4, NOW, &rc, NULL, &plan);
	is_str(it[3].reason, "monthly 2026-10", "reason for a gfs month");
	rc.keep_monthly = 1;
	retention_plan(it, 4, NOW, &rc, NULL, &plan);
	ok(!it[3].keep, "outside every gfs window: %s", it[3].reason);
	/* unknown time is never deleted */
	it[3].name = "strange-file.sql.gz";
	it[3].time = (time_t)-1;
	retention_plan(it, 4, NOW, &rc, NULL, &plan);
	ok(it[3].keep && strcmp(it[3].reason, "unknown time") == 0,
	    "an undatable artifact is kept");
	/* errors */
	rc.days = -1;
	ok(retention_plan(it, 4, NOW, &rc, NULL, &plan) == -1 &&
	    errno == EINVAL, "negative days rejected");
	rc.days = 7;
	it[0].name = NULL;
	ok(retention_plan(it, 4, NOW, &rc, NULL, &plan) == -1 &&
	    errno == EINVAL, "a NULL name rejected");
	ok(retention_plan(NULL, 0, NOW, &rc, NULL, &plan) == 0 &&
	    plan.nkeep == 0 && plan.ndelete == 0, "an empty job is fine");
}

static void
test_parse(void)
{
	char	 job[64];
	time_t	 t;

	ok(retention_parse_name("app_backup_20261124_060001.sql.gz", job,
	    sizeof(job), &t) == 0 && strcmp(job, "app") == 0 &&
	    t == NOW + 1, "parse a name");
	ok(retention_parse_name("my_backup_job_backup_20200101_000000.db.gz",
	    job, sizeof(job), &t) == 0 && strcmp(job, "my_backup_job") == 0 &&
	    t == RETENTION_EPOCH_MIN, "the last _backup_ wins");
	ok(retention_parse_name("app_backup_20260230_000000.db.gz", job,
	    sizeof(job), &t) == -1 && errno == EINVAL, "feb 30 rejected");
	ok(retention_parse_name("app_backup_20261124_060001", job,
	    sizeof(job), &t) == -1, "no extension rejected");
	ok(retention_parse_name("_backup_20261124_060001.db.gz", job,
	    sizeof(job), &t) == -1, "no job rejected");
	ok(retention_parse_name("app_backup_2026112_060001.db.gz", job,
	    sizeof(job), &t) == -1, "short date rejected");
	ok(retention_parse_name("app_backup_20261124_250001.db.gz", job,
	    sizeof(job), &t) == -1, "hour 25 rejected");
	ok(retention_parse_name("app_backup_20261124_060001.db.gz", job, 3,
	    &t) == -1, "too long a job for the buffer rejected");
	/* found by fuzz/fuzz_retention: timegm() carried these over */
	ok(retention_parse_name("app_backup_20261124_060060.db.gz", job,
	    sizeof(job), &t) == -1 && errno == EINVAL, "second 60 rejected");
	ok(retention_parse_name("app_backup_09991124_060000.db.gz", job,
	    sizeof(job), &t) == -1, "a year before 1000 rejected (the writer "
	    "never names one so)");
}

static void
test_stale(void)
{
	struct retention_dirent	 e[] = {
		{ ".app_backup_20261124_000000.sql.gz.partial", NOW - 2 * HOUR, 0 },
		{ ".app_backup_20261124_050000.sql.gz.partial", NOW - 2 * HOUR, 0 },
		{ ".app_backup_20261124_055000.sql.gz.partial", NOW - 600, 0 },
		{ ".cairn-verify.Ab12Cd", NOW - 2 * HOUR, 0 },
		{ "app.snapshot.tmp", NOW - 5 * DAY, 0 },
		{ "app_backup_20261101_000000.sql.gz", NOW - 20 * DAY, 0 },
		{ "catalog.db-wal", NOW - 20 * DAY, 0 },
		{ ".partial", NOW - 20 * DAY, 0 },
		{ ".app_backup_20261124_000001.sql.gz.partial", NOW + DAY, 0 },
		{ ".cairn-verify.in-use", NOW - 2 * HOUR, 0 },
	};
	const char		*in_use[] = {
		"app_backup_20261124_050000.sql.gz",	/* its partial file */
		".cairn-verify.in-use",			/* itself */
	};
	int			 want[] = { 1, 0, 0, 1, 1, 0, 0, 0, 0, 0 };
	size_t			 marked, bad = 0;

	marked = retention_stale(e, nitems(e), NOW, 0, in_use, nitems(in_use));
	for (size_t i = 0; i < nitems(e); i++)
		if (e[i].remove != want[i]) {
			diag("%s: remove %d, want %d", e[i].name, e[i].remove,
			    want[i]);
			bad++;
		}
	ok(bad == 0 && marked == 3, "stale temp files: old, not in use, "
	    "ours only (%zu marked)", marked);
	marked = retention_stale(e, nitems(e), NOW, 300, NULL, 0);
	ok(marked == 6 && e[2].remove && e[1].remove && e[9].remove,
	    "a shorter age and no running worker mark more (%zu)", marked);
	ok(retention_is_temp(".x.partial") && !retention_is_temp("x.partial") &&
	    !retention_is_temp(".cairn-verify.") &&
	    !retention_is_temp("x_backup_20261124_000000.db.gz"),
	    "retention_is_temp");
}

/* found by fuzz/fuzz_retention: now - time overflowed for extreme times */
static void
test_extreme_times(void)
{
	struct retention_item	 it[3];
	struct retention_plan	 plan;
	struct retention_conf	 rc = { .days = 7, .keep_min = 1 };
	struct retention_dirent	 e[] = {
		{ ".cairn-verify.old", INT64_MIN, 0 },
		{ ".cairn-verify.new", INT64_MAX, 0 },
	};

	memset(it, 0, sizeof(it));
	it[0].name = "a_backup_20261124_000000.db";
	it[0].time = (time_t)-1;
	it[0].verify = RETENTION_VERIFIED;
	it[1].name = "a_backup_20261123_000000.db";
	it[1].job = "a";
	it[1].time = INT64_MIN;
	it[1].verify = RETENTION_VERIFIED;
	it[2].name = "b_backup_20261123_000000.db";
	it[2].job = "b";
	it[2].time = INT64_MIN + 1;
	ok(retention_plan(it, 2, NOW, &rc, NULL, &plan) == 0 && !plan.hold &&
	    it[0].keep && !it[1].keep && strcmp(it[1].reason, "expired") == 0,
	    "an artifact dated INT64_MIN is old, not new (%s)", it[1].reason);
	it[2].time = INT64_MAX;
	ok(retention_plan(it, 3, INT64_MIN + 5, &rc, NULL, &plan) == 0 &&
	    plan.hold && plan.nkeep == 3, "a clock at INT64_MIN holds: %s",
	    plan.warning);
	ok(retention_stale(e, 2, NOW, 0, NULL, 0) == 1 && e[0].remove &&
	    !e[1].remove, "a temp file dated INT64_MIN is stale, INT64_MAX "
	    "is not");
}

int
main(void)
{
	plan((int)nitems(scenarios) * 2 + 3 + 3 + 1 + 12 + 10 + 3 + 3);
	for (size_t i = 0; i < nitems(scenarios); i++)
		run_scenario(&scenarios[i]);
	test_30_days();
	test_gfs_400_days();
	test_docs_example();
	test_reasons();
	test_parse();
	test_stale();
	test_extreme_times();
	return tap_exit();
}
