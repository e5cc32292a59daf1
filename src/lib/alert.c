/* alert.c -- see alert.h and docs/alerts.md */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/alert.h"
#include "cairn/ctlproto.h"
#include "cairn/util.h"

static const char *const alert_names[ALERT_EVENT_MAX] = {
	[ALERT_JOB_FAILED] = "job_failed",
	[ALERT_VERIFY_FAILED] = "verify_failed",
	[ALERT_STALE] = "stale",
	[ALERT_SIZE_DROP] = "size_drop",
	[ALERT_UPLOAD_FAILED] = "upload_failed",
	[ALERT_DAEMON_STARTED] = "daemon_started",
	[ALERT_DAEMON_STOPPED] = "daemon_stopped",
	[ALERT_RECOVERED] = "recovered",
	[ALERT_TEST] = "test",
};

const char *
alert_event_name(enum alert_event e)
{
	return (unsigned)e < ALERT_EVENT_MAX ? alert_names[e] : "unknown";
}

int
alert_event_parse(const char *s)
{
	for (int i = 0; i < ALERT_EVENT_MAX; i++)
		if (strcmp(s, alert_names[i]) == 0)
			return i;
	return -1;
}

const char *
alert_severity(enum alert_event e)
{
	switch (e) {
	case ALERT_JOB_FAILED:
	case ALERT_VERIFY_FAILED:
	case ALERT_STALE:
		return "critical";
	case ALERT_SIZE_DROP:
	case ALERT_UPLOAD_FAILED:
	case ALERT_DAEMON_STOPPED:
		return "warning";
	default:
		return "info";
	}
}

void
alert_init(struct alert *a, enum alert_event e, const char *job)
{
	memset(a, 0, sizeof(*a));
	a->event = e;
	snprintf(a->job, sizeof(a->job), "%s", job != NULL ? job : "");
	a->time = time(NULL);
	if (gethostname(a->host, sizeof(a->host) - 1) == -1)
		snprintf(a->host, sizeof(a->host), "localhost");
	a->counts.bytes = -1;
	a->counts.previous_bytes = -1;
	a->counts.age = -1;
}

static void
json_opt_str(struct buf *b, const char *key, const char *v)
{
	ctl_buf_printf(b, ",\"%s\":", key);
	ctl_buf_json_str(b, v[0] != '\0' ? v : NULL);
}

static void
json_opt_int(struct buf *b, const char *key, int64_t v)
{
	if (v < 0)
		ctl_buf_printf(b, ",\"%s\":null", key);
	else
		ctl_buf_printf(b, ",\"%s\":%lld", key, (long long)v);
}

char *
alert_json(const struct alert *a)
{
	struct buf	 b;

	memset(&b, 0, sizeof(b));
	ctl_buf_printf(&b, "{\"version\":%d,\"id\":%llu,\"event\":\"%s\","
	    "\"severity\":\"%s\"", ALERT_VERSION, (unsigned long long)a->id,
	    alert_event_name(a->event), alert_severity(a->event));
	json_opt_str(&b, "job", a->job);
	ctl_buf_printf(&b, ",\"host\":");
	ctl_buf_json_str(&b, a->host);
	ctl_buf_printf(&b, ",\"time\":");
	ctl_buf_json_time(&b, a->time);
	json_opt_str(&b, "artifact", a->artifact);
	json_opt_str(&b, "problem", a->problem);
	ctl_buf_printf(&b, ",\"message\":");
	ctl_buf_json_str(&b, a->message);
	ctl_buf_printf(&b, ",\"repeat\":%u,\"counts\":{\"failures\":%llu,"
	    "\"verify_failures\":%llu", a->repeat,
	    (unsigned long long)a->counts.failures,
	    (unsigned long long)a->counts.verify_failures);
	json_opt_int(&b, "bytes", a->counts.bytes);
	json_opt_int(&b, "previous_bytes", a->counts.previous_bytes);
	json_opt_int(&b, "age_seconds", a->counts.age);
	ctl_buf_printf(&b, ",\"dropped\":%llu}}",
	    (unsigned long long)a->counts.dropped);
	return b.p != NULL ? b.p : xstrdup("{}");
}
