/*
 * retention -- the prune job's planner (see include/cairn/retention.h and
 * docs/verify-and-prune.md).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/retention.h"
#include "cairn/util.h"
#include "cairn/writer.h"

#define DAY	86400

static int
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
num(const char *s, size_t n)
{
	int	 v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int
retention_parse_name(const char *name, char *job, size_t joblen, time_t *t)
{
	const char	*p, *s, *last = NULL;
	struct tm	 tm;
	time_t		 v;
	size_t		 jl;
	char		 back[32];

	if (name == NULL)
		goto bad;
	for (p = name; (p = strstr(p, "_backup_")) != NULL; p++)
		last = p;
	if (last == NULL || last == name)
		goto bad;
	s = last + strlen("_backup_");
	/* YYYYMMDD_HHMMSS followed by '.' and at least one more character */
	if (strlen(s) < 17 || !digits(s, 8) || s[8] != '_' ||
	    !digits(s + 9, 6) || s[15] != '.' || s[16] == '\0')
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = num(s, 4) - 1900;
	tm.tm_mon = num(s + 4, 2) - 1;
	tm.tm_mday = num(s + 6, 2);
	tm.tm_hour = num(s + 9, 2);
	tm.tm_min = num(s + 11, 2);
	tm.tm_sec = num(s + 13, 2);
	/* the stamp must be the one the writer makes of that time: no Feb 30,
	 * no second 60, no month 13 that timegm() would carry over */
	if ((v = timegm(&tm)) == (time_t)-1)
		goto bad;
	util_file_stamp(back, sizeof(back), v);
	if (strlen(back) != 15 || memcmp(back, s, 15) != 0)
		goto bad;
	jl = (size_t)(last - name);
	if (job != NULL) {
		if (jl >= joblen)
			goto bad;
		memcpy(job, name, jl);
		job[jl] = '\0';
	}
	if (t != NULL)
		*t = v;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/*
 * now - t in seconds, saturated: the times come from the catalog and from
 * a folder listing, and a damaged one may be anything.
 */
static int64_t
age_of(time_t now, time_t t)
{
	int64_t	 d;

	if (__builtin_sub_overflow((int64_t)now, (int64_t)t, &d))
		return (int64_t)t < 0 ? INT64_MAX : INT64_MIN;
	return d;
}

/* job ascending; within a job: known times newest first, unknown last */
static int
cmp_items(const void *a, const void *b, void *arg)
{
	const struct retention_item	*items = arg;
	const struct retention_item	*x = &items[*(const size_t *)a];
	const struct retention_item	*y = &items[*(const size_t *)b];
	int				 c;

	if ((c = strcmp(x->job_parsed, y->job_parsed)) != 0)
		return c;
	if ((x->time == (time_t)-1) != (y->time == (time_t)-1))
		return x->time == (time_t)-1 ? 1 : -1;
	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	return -strcmp(x->name, y->name);
}

static void __attribute__((format(printf, 2, 3)))
warn_add(struct retention_plan *plan, const char *fmt, ...)
{
	char	 buf[192];
	size_t	 len = strlen(plan->warning);
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len > 0 && len + 2 < sizeof(plan->warning)) {
		strcat(plan->warning, "; ");
		len += 2;
	}
	if (len < sizeof(plan->warning) - 1)
		snprintf(plan->warning + len, sizeof(plan->warning) - len,
		    "%s", buf);
}

static void
keep(struct retention_item *it, const char *reason)
{
	if (it->keep)
		return;		/* the first (strongest) reason stays */
	it->keep = true;
	snprintf(it->reason, sizeof(it->reason), "%s", reason);
}

/* One GFS rule over one job's items (idx newest first). */
static void
gfs_rule(struct retention_item *items, const size_t *idx, size_t n, int count,
    const char *label, const char *fmt)
{
	char	 prev[32] = "", key[32], reason[48];
	int	 got = 0;
	struct tm tm;

	for (size_t i = 0; i < n && got < count; i++) {
		struct retention_item	*it = &items[idx[i]];

		if (it->verify != RETENTION_VERIFIED || it->time == (time_t)-1)
			continue;
		if (gmtime_r(&it->time, &tm) == NULL)
			continue;
		strftime(key, sizeof(key), fmt, &tm);
		if (strcmp(key, prev) == 0)
			continue;	/* an older one of a period already seen */
		snprintf(prev, sizeof(prev), "%s", key);
		snprintf(reason, sizeof(reason), "%s %s", label, key);
		keep(it, reason);
		got++;
	}
}

/*
 * Clock sanity for one job: an artifact dated more than tol after now,
 * unless it failed verification (a planted or damaged file proves nothing
 * about the clock), holds that job: all its artifacts are kept.
 */
static bool
hold_job(struct retention_item *items, const size_t *idx, size_t n,
    time_t now, int tol, struct retention_plan *plan)
{
	struct retention_item	*bad = NULL;

	for (size_t i = 0; i < n && bad == NULL; i++) {
		struct retention_item	*it = &items[idx[i]];

		if (it->verify != RETENTION_FAILED &&
		    it->time != (time_t)-1 &&
		    age_of(now, it->time) < -(int64_t)tol)
			bad = it;
	}
	if (bad == NULL)
		return false;
	bad->future = true;
	for (size_t i = 0; i < n; i++)
		keep(&items[idx[i]], "hold: clock looks wrong");
	plan->nheld_clock++;
	warn_add(plan, "job %s: clock looks wrong: %s is dated in the future: "
	    "deleting nothing of this job", bad->job_parsed, bad->name);
	return true;
}

static void
plan_job(struct retention_item *items, const size_t *idx, size_t n,
    time_t now, const struct retention_conf *rc, struct retention_plan *plan)
{
	char	 reason[48];
	int	 nverified = 0;
	size_t	 ndel = 0;

	for (size_t i = 0; i < n; i++) {
		struct retention_item	*it = &items[idx[i]];

		if (it->time == (time_t)-1) {
			keep(it, "unknown time");
			continue;
		}
		if (it->verify != RETENTION_VERIFIED)
			continue;
		if (nverified == 0)
			keep(it, "newest verified");
		if (nverified < rc->keep_min)
			keep(it, "keep_min");
		nverified++;
	}
	snprintf(reason, sizeof(reason), "within %d day%s", rc->days,
	    rc->days == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		struct retention_item	*it = &items[idx[i]];

		if (it->time != (time_t)-1 &&
		    age_of(now, it->time) <= (int64_t)rc->days * DAY)
			keep(it, reason);
	}
	gfs_rule(items, idx, n, rc->keep_daily, "daily", "%Y-%m-%d");
	gfs_rule(items, idx, n, rc->keep_weekly, "weekly", "%G-W%V");
	gfs_rule(items, idx, n, rc->keep_monthly, "monthly", "%Y-%m");

	for (size_t i = 0; i < n; i++)
		if (!items[idx[i]].keep)
			ndel++;
	if (n > 0 && ndel == n) {
		for (size_t i = 0; i < n; i++)
			keep(&items[idx[i]], "hold: would delete all");
		plan->nheld_jobs++;
		warn_add(plan, "job %s: every artifact is expired and none "
		    "is verified: keeping all (clock wrong?)",
		    items[idx[0]].job_parsed);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!items[idx[i]].keep)
			snprintf(items[idx[i]].reason,
			    sizeof(items[idx[i]].reason), "expired");
}

/*
 * Long (90 lines): checks, clock sanity, then the per-day grouping over one
 * sorted index; the rules themselves are in helpers.
 */
int
retention_plan(struct retention_item *items, size_t n, time_t now,
    const struct retention_conf *rc, const struct retention_opts *opts,
    struct retention_plan *plan)
{
	time_t	 epoch_min = RETENTION_EPOCH_MIN;
	int	 tol = RETENTION_FUTURE_TOLERANCE;
	size_t	*idx, start;
	char	 stamp[32];
	struct tm tm;

	memset(plan, 0, sizeof(*plan));
	if (rc == NULL || rc->days < 0 || rc->keep_min < 0 ||
	    rc->keep_daily < 0 || rc->keep_weekly < 0 ||
	    rc->keep_monthly < 0 || (n > 0 && items == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (opts != NULL && opts->epoch_min != 0)
		epoch_min = opts->epoch_min;
	if (opts != NULL && opts->future_tolerance > 0)
		tol = opts->future_tolerance;

	for (size_t i = 0; i < n; i++) {
		struct retention_item	*it = &items[i];
		time_t			 t;

		if (it->name == NULL) {
			errno = EINVAL;
			return -1;
		}
		it->keep = false;
		it->future = false;
		it->reason[0] = '\0';
		it->job_parsed[0] = '\0';
		if (retention_parse_name(it->name, it->job_parsed,
		    sizeof(it->job_parsed), &t) == -1)
			t = (time_t)-1;
		if (it->job != NULL)
			snprintf(it->job_parsed, sizeof(it->job_parsed), "%s",
			    it->job);
		if (it->time == (time_t)-1)
			it->time = t;
	}

	/* clock sanity, over everything: a wrong clock is wrong for all */
	if (now < epoch_min) {
		if (gmtime_r(&now, &tm) == NULL)
			snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
		else
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ",
			    &tm);
		plan->hold = true;
		warn_add(plan, "clock looks wrong: now is %s: deleting nothing",
		    stamp);
	}
	if (plan->hold) {
		for (size_t i = 0; i < n; i++)
			keep(&items[i], "hold: clock looks wrong");
		plan->nkeep = n;
		return 0;
	}
	if (n == 0)
		return 0;

	if ((idx = calloc(n, sizeof(*idx))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_items, items);	/* reentrant */

	for (start = 0; start < n; ) {
		size_t	 end = start + 1;

		while (end < n && strcmp(items[idx[end]].job_parsed,
		    items[idx[start]].job_parsed) == 0)
			end++;
		if (!hold_job(items, idx + start, end - start, now, tol, plan))
			plan_job(items, idx + start, end - start, now, rc,
			    plan);
		start = end;
	}
	free(idx);
	for (size_t i = 0; i < n; i++) {
		if (items[i].keep)
			plan->nkeep++;
		else
			plan->ndelete++;
	}
	return 0;
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t	 ls = strlen(s), lf = strlen(suf);

	return ls > lf && strcmp(s + ls - lf, suf) == 0;
}

bool
retention_is_temp(const char *name)
{
	size_t	 lp = strlen(WRITER_PARTIAL_PREFIX);

	if (name == NULL)
		return false;
	if (strncmp(name, WRITER_PARTIAL_PREFIX, lp) == 0 &&
	    has_suffix(name + lp, WRITER_PARTIAL_SUFFIX))
		return true;
	if (has_suffix(name, RETENTION_SNAPSHOT_TMP_SUFFIX))
		return true;
	if (strncmp(name, RETENTION_VERIFY_TMP_PREFIX,
	    strlen(RETENTION_VERIFY_TMP_PREFIX)) == 0 &&
	    name[strlen(RETENTION_VERIFY_TMP_PREFIX)] != '\0')
		return true;
	return false;
}

/* Is name, or the final name its partial file stands for, in use? */
static bool
in_use_by(const char *name, const char *const *in_use, size_t n)
{
	size_t	 lp = strlen(WRITER_PARTIAL_PREFIX);
	size_t	 ls = strlen(WRITER_PARTIAL_SUFFIX);
	size_t	 len = strlen(name);

	for (size_t i = 0; i < n; i++) {
		const char	*u = in_use[i];

		if (u == NULL)
			continue;
		if (strcmp(name, u) == 0)
			return true;
		if (len > lp + ls && strncmp(name, WRITER_PARTIAL_PREFIX,
		    lp) == 0 && has_suffix(name, WRITER_PARTIAL_SUFFIX) &&
		    strlen(u) == len - lp - ls &&
		    strncmp(name + lp, u, len - lp - ls) == 0)
			return true;
	}
	return false;
}

size_t
retention_stale(struct retention_dirent *ents, size_t n, time_t now,
    int min_age, const char *const *in_use, size_t nin_use)
{
	size_t	 marked = 0;

	if (min_age <= 0)
		min_age = RETENTION_STALE_AGE;
	for (size_t i = 0; i < n; i++) {
		struct retention_dirent	*e = &ents[i];

		e->remove = false;
		if (!retention_is_temp(e->name))
			continue;
		if (e->mtime > now ||
		    age_of(now, e->mtime) < min_age)
			continue;
		if (in_use_by(e->name, in_use, nin_use))
			continue;
		e->remove = true;
		marked++;
	}
	return marked;
}
