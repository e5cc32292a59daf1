/*
 * cron -- five-field cron expressions and their next fire time.
 *
 * Contract
 *   - cron_parse() accepts "min hour mday month wday" with lists, ranges,
 *     steps ("*\/15", "1-30/5", "5/10": 5 to the field's end), "*", month
 *     names (jan..dec) and day names (sun..sat, case-insensitive; 0 and 7
 *     both Sunday), and the shorthands @yearly @annually @monthly @weekly
 *     @daily @midnight @hourly.  When both mday and wday are restricted, a
 *     day matches if either does (the usual Vixie-cron OR rule); when one
 *     of them is "*" (or "*\/1"), only the other counts.
 *   - cron_next() returns the first fire time strictly after `after`,
 *     evaluated in time zone `tz` (NULL or "UTC": UTC; otherwise a tzdata
 *     name such as "Europe/Berlin").  DST is handled as documented in
 *     docs/schedules.md: a job whose hour field is not every hour runs once
 *     right after a jump over its time and once, not twice, in a repeated
 *     hour; a job that runs every hour follows the wall clock.  Returns
 *     (time_t)-1 if no fire time exists within the search horizon (9 years,
 *     so "0 0 29 2 *" is found and "0 0 30 2 *" is not), or if `after` is
 *     outside 0 .. CRON_TIME_MAX.
 *   - It never steps minute by minute: it jumps over non-matching months,
 *     days and hours, and over time zone segments.
 *   - No allocation.  cron_next()/cron_matches() with a zone set TZ for
 *     the call, call tzset() and restore TZ before returning: not
 *     thread-safe (cairnd is single-threaded).  Zone changes are assumed to
 *     be at least a day apart (true of every zone since 1900).
 */
#ifndef CAIRN_CRON_H
#define CAIRN_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* 9000-01-01T00:00:00Z: later `after` values are refused */
#define CRON_TIME_MAX	((time_t)221845392000LL)

struct cron_expr {
	uint64_t	minutes;	/* bit n: minute n (0-59) */
	uint32_t	hours;		/* bit n: hour n (0-23) */
	uint32_t	mdays;		/* bit n: day n (1-31) */
	uint16_t	months;		/* bit n: month n (1-12) */
	uint8_t		wdays;		/* bit n: weekday n (0-6, 0 Sunday) */
	bool		mday_star;	/* field was "*" (or "*\/1"): no restriction */
	bool		wday_star;
};

/* 0 on success; -1 with errno EINVAL and a message in err ("field 2
 * (hour): 24 is out of range 0-23") on error.  The message does not repeat
 * the expression.  err may be NULL. */
int	 cron_parse(struct cron_expr *, const char *expr, char *err,
	    size_t errlen);
time_t	 cron_next(const struct cron_expr *, time_t after, const char *tz);
/* Does the wall-clock minute that contains t (in tz) match?  This is the
 * plain field test; it ignores the DST rules of cron_next(). */
bool	 cron_matches(const struct cron_expr *, time_t t, const char *tz);
/* 0 if tz is "UTC" or a zone name found in the tz database (TZDIR or
 * /usr/share/zoneinfo); -1 with errno and a message in err otherwise. */
int	 cron_tz_check(const char *tz, char *err, size_t errlen);

#endif /* CAIRN_CRON_H */
