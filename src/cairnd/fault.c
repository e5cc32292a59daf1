/*
 * fault.c -- CAIRN_FAULT: which misbehaviour a test build asks of a job's
 * worker (fault-injection builds only; the stub answers "none").
 */
#include "config.h"


#include <stdlib.h>
#include <string.h>

#include "cairn/util.h"
#include "sup_int.h"

/* -- fault injection --------------------------------------------------- */

#ifdef CAIRN_FAULT_INJECTION
/*
 * CAIRN_FAULT="job=mode[@n],..." makes the named job's workers misbehave
 * on their first n attempts (default 1, 0: every attempt).  Test builds only.
 */
uint32_t
sup_fault_for(const char *job, unsigned attempt)
{
	const char	*env = getenv("CAIRN_FAULT");
	char		*copy, *item, *save, *eq, *at;
	uint32_t	 fault = FAULT_NONE;
	long		 n;
	int		 f;

	if (env == NULL)
		return FAULT_NONE;
	copy = xstrdup(env);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL)
			continue;
		*eq++ = '\0';
		n = 1;
		if ((at = strchr(eq, '@')) != NULL) {
			*at++ = '\0';
			n = strtol(at, NULL, 10);
		}
		if (strcmp(item, job) != 0 || (f = frame_fault_parse(eq)) < 0)
			continue;
		if (n == 0 || attempt <= (unsigned long)n)
			fault = (uint32_t)f;
	}
	free(copy);
	return fault;
}
#else
uint32_t
sup_fault_for(const char *job, unsigned attempt)
{
	return FAULT_NONE;
}
#endif
