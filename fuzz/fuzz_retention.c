/*
 * fuzz_retention -- libFuzzer target for the prune planner (retention.h):
 * retention_parse_name(), retention_plan() and retention_stale() on fuzzed
 * names, times and rules.
 *
 * Input: a header of 16 bytes, then items.
 *   header: now (8 bytes, little endian; bit 63 of byte 7 clear: now is
 *           2026-01-01 plus the low 32 bits, so most runs plan in a sane
 *           clock), days, keep_min, keep_daily, keep_weekly, keep_monthly,
 *           future_tolerance (1 byte each), min_age (2 bytes)
 *   item:   a flags byte (bits 0-1 verify state, bit 2: the job is given,
 *           bit 3: the time is given in the next 8 bytes), then the name up
 *           to a NUL byte or the end.
 *
 * Checks (a failure traps, which libFuzzer reports as a crash):
 *   - a name that parses names the job before its last "_backup_" and a
 *     UTC time whose stamp is the one in the name;
 *   - every item is decided, kept ones with a reason, deleted ones
 *     "expired"; a hold keeps everything;
 *   - never delete the newest verified artifact of a job, an artifact of
 *     unknown time, or every artifact of a job;
 *   - retention_stale() only marks old temporary files.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/retention.h"

#define MAX_ITEMS	64
#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t
le64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
check_name(const char *name)
{
	char		 job[32], stamp[32];
	const char	*last = NULL, *p;
	struct tm	 tm;
	time_t		 t;

	if (retention_parse_name(name, job, sizeof(job), &t) == -1) {
		CHECK(errno == EINVAL);
		return;
	}
	for (p = name; (p = strstr(p, "_backup_")) != NULL; p++)
		last = p;
	CHECK(last != NULL && last > name);
	CHECK(strlen(job) == (size_t)(last - name) &&
	    memcmp(job, name, strlen(job)) == 0);
	CHECK(gmtime_r(&t, &tm) != NULL);
	CHECK(strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm) == 15);
	CHECK(memcmp(stamp, last + 8, 15) == 0 && last[8 + 15] == '.');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct retention_item	 items[MAX_ITEMS];
	struct retention_dirent	 ents[MAX_ITEMS];
	struct retention_conf	 rc;
	struct retention_opts	 opts;
	struct retention_plan	 plan;
	char			 names[MAX_ITEMS][160], jobs[MAX_ITEMS][4];
	const char		*in_use[2];
	time_t			 now;
	uint64_t		 raw;
	size_t			 n = 0, i, j, k, nkeep = 0;
	int			 min_age;

	if (len < 16)
		return 0;
	raw = le64(data);
	if ((raw & (UINT64_C(1) << 63)) == 0)
		now = (time_t)1767225600 + (time_t)(raw & 0xffffffff);
	else
		now = (time_t)raw;
	memset(&rc, 0, sizeof(rc));
	rc.days = data[8];
	rc.keep_min = data[9] % 8;
	rc.keep_daily = data[10] % 16;
	rc.keep_weekly = data[11] % 16;
	rc.keep_monthly = data[12] % 16;
	memset(&opts, 0, sizeof(opts));
	opts.future_tolerance = data[13] * 60;
	min_age = data[14] | data[15] << 8;
	data += 16;
	len -= 16;

	memset(items, 0, sizeof(items));
	while (len > 0 && n < MAX_ITEMS) {
		uint8_t		 fl = data[0];
		size_t		 nl;

		data++;
		len--;
		items[n].verify = (enum retention_verify)(fl & 3) %
		    RETENTION_VERIFY_MAX;
		items[n].time = (time_t)-1;
		if ((fl & 8) && len >= 8) {
			items[n].time = (time_t)le64(data);
			data += 8;
			len -= 8;
		}
		for (nl = 0; nl < len && data[nl] != '\0'; nl++)
			;
		if (nl >= sizeof(names[n]))
			nl = sizeof(names[n]) - 1;
		memcpy(names[n], data, nl);
		names[n][nl] = '\0';
		data += nl < len ? nl + 1 : nl;
		len -= nl < len ? nl + 1 : nl;
		items[n].name = names[n];
		/* the given job: the name's first 3 bytes (jobs mix) */
		snprintf(jobs[n], sizeof(jobs[n]), "%s", names[n]);
		items[n].job = (fl & 4) ? jobs[n] : NULL;
		check_name(names[n]);
		n++;
	}

	CHECK(retention_plan(items, n, now, &rc, &opts, &plan) == 0);
	CHECK(plan.nkeep + plan.ndelete == n);
	for (i = 0; i < n; i++) {
		if (items[i].keep) {
			nkeep++;
			CHECK(items[i].reason[0] != '\0');
		} else
			CHECK(strcmp(items[i].reason, "expired") == 0);
		if (plan.hold || items[i].time == (time_t)-1)
			CHECK(items[i].keep);
	}
	CHECK(nkeep == plan.nkeep);

	/* per job: the newest verified one stays, and not all go */
	for (i = 0; i < n; i++) {
		time_t	 newest = (time_t)-1;
		int	 have = 0, kept_newest = 0, any_kept = 0;

		for (j = 0; j < i; j++)
			if (strcmp(items[j].job_parsed,
			    items[i].job_parsed) == 0)
				break;
		if (j < i)
			continue;	/* job seen already */
		for (k = i; k < n; k++) {
			if (strcmp(items[k].job_parsed, items[i].job_parsed))
				continue;
			any_kept |= items[k].keep;
			if (items[k].verify != RETENTION_VERIFIED ||
			    items[k].time == (time_t)-1)
				continue;
			if (!have || items[k].time > newest) {
				newest = items[k].time;
				kept_newest = 0;
			}
			have = 1;
			if (items[k].time == newest && items[k].keep)
				kept_newest = 1;
		}
		CHECK(any_kept);
		CHECK(!have || kept_newest);
	}

	/* the same names as a folder listing, dated by the item times */
	for (i = 0; i < n; i++) {
		ents[i].name = names[i];
		ents[i].mtime = items[i].time;
		ents[i].remove = true;
	}
	in_use[0] = n > 0 ? names[0] : NULL;
	in_use[1] = NULL;
	k = retention_stale(ents, n, now, min_age, in_use, 2);
	for (i = 0, j = 0; i < n; i++) {
		if (!ents[i].remove)
			continue;
		j++;
		CHECK(retention_is_temp(ents[i].name));
		CHECK(ents[i].mtime <= now);
		CHECK(i != 0 && strcmp(ents[i].name, names[0]) != 0);
	}
	CHECK(j == k);
	return 0;
}
