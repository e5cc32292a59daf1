/* t/88-alert.c -- the alert document: names, severities, and its JSON */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/alert.h"
#include "tap.h"

int
main(void)
{
	struct alert	 a;
	char		*j;
	int		 all = 1;

	plan(10);
	for (int e = 0; e < ALERT_EVENT_MAX; e++)
		if (alert_event_parse(alert_event_name(e)) != e)
			all = 0;
	ok(all, "every event name parses back to its event");
	is_int(alert_event_parse("nosuch"), -1, "an unknown name is -1");
	is_str(alert_severity(ALERT_STALE), "critical", "stale is critical");
	is_str(alert_severity(ALERT_RECOVERED), "info", "recovered is info");

	alert_init(&a, ALERT_JOB_FAILED, "shop");
	a.id = 7;
	a.time = 1790000000;
	snprintf(a.host, sizeof(a.host), "db1");
	snprintf(a.message, sizeof(a.message), "say \"no\"\n\\ \x01 done");
	a.counts.failures = 2;
	j = alert_json(&a);
	is_str(j, "{\"version\":1,\"id\":7,\"event\":\"job_failed\","
	    "\"severity\":\"critical\",\"job\":\"shop\",\"host\":\"db1\","
	    "\"time\":\"2026-09-21T14:13:20Z\",\"artifact\":null,"
	    "\"problem\":null,\"message\":\"say \\\"no\\\"\\n\\\\ \\u0001 "
	    "done\",\"repeat\":0,\"counts\":{\"failures\":2,"
	    "\"verify_failures\":0,\"bytes\":null,\"previous_bytes\":null,"
	    "\"age_seconds\":null,\"dropped\":0}}",
	    "the document: fixed key order, escapes, unknowns are null");
	ok(strchr(j, '\n') == NULL, "one line");
	free(j);

	alert_init(&a, ALERT_RECOVERED, NULL);
	snprintf(a.problem, sizeof(a.problem), "size_drop");
	snprintf(a.artifact, sizeof(a.artifact), "a_backup_1.db.gz");
	a.counts.bytes = 0;
	a.counts.previous_bytes = 4096;
	a.counts.age = 60;
	a.repeat = 3;
	j = alert_json(&a);
	ok(strstr(j, "\"job\":null,") != NULL, "a daemon event has job null");
	ok(strstr(j, "\"artifact\":\"a_backup_1.db.gz\",\"problem\":"
	    "\"size_drop\"") != NULL, "artifact and problem are strings");
	ok(strstr(j, "\"repeat\":3,") != NULL, "the repeat count");
	ok(strstr(j, "\"bytes\":0,\"previous_bytes\":4096,\"age_seconds\":60")
	    != NULL, "known counts are numbers, 0 included");
	free(j);
	return tap_exit();
}
