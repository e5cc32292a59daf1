/*
 * fuzz_cron -- libFuzzer target for cron_parse() and cron_next().
 *
 * Input: one byte choosing the time zone, four bytes of `after` (little
 * endian seconds since the epoch), then the expression.  A parsed
 * expression must give fire times after `after`, on minute starts, that
 * match it; anything else aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/cron.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const zones[] = {
	NULL, "UTC", "Europe/Berlin", "Australia/Sydney",
	"Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu",
	"Nowhere/Invalid",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cron_expr	 e;
	const char		*tz;
	char			 expr[256], err[128];
	time_t			 after, t;
	int			 i;

	if (len < 5 || len - 5 >= sizeof(expr))
		return 0;
	tz = zones[data[0] % (sizeof(zones) / sizeof(zones[0]))];
	after = (time_t)((uint32_t)data[1] | (uint32_t)data[2] << 8 |
	    (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24);
	memcpy(expr, data + 5, len - 5);
	expr[len - 5] = '\0';

	if (cron_parse(&e, expr, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || strlen(err) >= sizeof(err))
			abort();
		return 0;
	}
	for (i = 0, t = after; i < 3; i++) {
		time_t	 next = cron_next(&e, t, tz);

		if (next == (time_t)-1)
			break;
		if (next <= t)
			abort();
		if (tz == NULL) {
			/* UTC has no DST: every fire time matches */
			if (next % 60 != 0 || !cron_matches(&e, next, NULL))
				abort();
		}
		t = next;
	}
	return 0;
}
