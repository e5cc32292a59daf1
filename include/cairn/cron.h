/*
 * cron -- five-field cron expressions and their next fire time.
 *
 * Contract
 *   - cron_parse() accepts "min hour mday month wday" with lists, ranges,
 *     steps, "*", month names (jan..dec) and day names (sun..sat, 0 and 7
 *     both Sunday).  When both mday and wday are restricted, a time matches
 *     if either does (the usual Vixie-cron OR rule).
 *   - cron_next() returns the first matching minute strictly after `after`,
 *     evaluated in time zone `tz` (NULL or "UTC": UTC).  DST is handled as
 *     documented in docs/schedules.md.  Returns (time_t)-1 if none exists
 *     within the search horizon (e.g. "0 0 31 2 *").
 *   - Pure functions; no allocation; cron_next() may call tzset().
 */
#ifndef CAIRN_CRON_H
#define CAIRN_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cron_expr {
	uint64_t	minutes;	/* bit n: minute n (0-59) */
	uint32_t	hours;		/* bit n: hour n (0-23) */
	uint32_t	mdays;		/* bit n: day n (1-31) */
	uint16_t	months;		/* bit n: month n (1-12) */
	uint8_t		wdays;		/* bit n: weekday n (0-6, 0 Sunday) */
	bool		mday_star;	/* field was "*" (or "*\/1"): no restriction */
	bool		wday_star;
};

/* 0 on success; -1 with a message in err ("field 2 (hour): 24 is out of
 * range 0-23") on error. */
int	 cron_parse(struct cron_expr *, const char *expr, char *err,
	    size_t errlen);
time_t	 cron_next(const struct cron_expr *, time_t after, const char *tz);
/* Does the minute starting at t (in tz) match? */
bool	 cron_matches(const struct cron_expr *, time_t t, const char *tz);

#endif /* CAIRN_CRON_H */
