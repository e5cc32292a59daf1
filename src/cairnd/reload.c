/*
 * reload.c -- SIGHUP and cairnctl reload: a new conf replaces the running
 * one only when it loads cleanly; the audit log is reopened.
 */
#include "config.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/audit.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "sup_int.h"

/* -- reload ------------------------------------------------------------ */

/* SIGHUP: a rotated audit log is continued in a new file, chain intact. */
void
sup_audit_reopen(struct sup *s)
{
	char	 err[512];
	int	 r;

	if (s->boot->audit == NULL)
		return;
	if ((r = audit_reopen(s->boot->audit, err, sizeof(err))) == -1)
		log_warnx("audit log: %s", err);
	else if (r == 1)
		log_info("audit log reopened: continued from seq %llu",
		    (unsigned long long)audit_seq(s->boot->audit) - 1);
}

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* 0, or -1 with the running conf kept; the outcome in out (may be NULL). */
int
sup_reload(struct sup *s, char *out, size_t outlen)
{
	struct conf	*nc, *oc = s->cur->conf;
	struct conf_ref	*ref;
	char		*errs = NULL, *line, *save;
	size_t		 errlen = 0;
	FILE		*fp;
	const char	*fixed = NULL;

	log_info("reloading %s", s->conf_path);
	if ((fp = open_memstream(&errs, &errlen)) == NULL)
		fatal("open_memstream");
	nc = conf_load_held(s->conf_path, fp, sup_secret_held, s->boot);
	fclose(fp);
	if (nc != NULL) {
		/* what start-up opened as root cannot change now */
		if (str_differs(nc->backup_dir, oc->backup_dir))
			fixed = "backup_dir";
		else if (str_differs(nc->user, oc->user))
			fixed = "user";
		else if (str_differs(nc->group, oc->group))
			fixed = "group";
		else if (str_differs(nc->audit_log, oc->audit_log))
			fixed = "audit_log";
		else if (str_differs(nc->log_file, oc->log_file))
			fixed = "log_file";
		if (fixed != NULL) {
			free(errs);
			errs = xasprintf("%s: %s cannot change on reload "
			    "(restart cairnd)", s->conf_path, fixed);
			conf_free(nc);
			nc = NULL;
		}
	}
	if (nc == NULL) {
		for (line = strtok_r(errs, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("reload: %s", line);
		log_warnx("reload failed, keeping the running configuration");
		sup_audit(s, "reload-failed", AF_STR("config", s->conf_path),
		    AF_STR("error", errs != NULL && errs[0] != '\0' ? errs :
		    "unknown error"));
		if (out != NULL)
			snprintf(out, outlen, "reload failed, running "
			    "configuration kept: %s", errs != NULL &&
			    errs[0] != '\0' ? errs : "unknown error");
		free(errs);
		return -1;
	}
	free(errs);
	ref = xcalloc(1, sizeof(*ref));
	ref->conf = nc;
	ref->refs = 1;
	conf_ref_drop(s->cur);
	s->cur = ref;
	sup_slots_sync(s, time(NULL), 0);
	log_info("reloaded %s: %zu jobs", s->conf_path, nc->njobs);
	sup_audit(s, "reload", AF_STR("config", s->conf_path),
	    AF_UINT("jobs", nc->njobs));
	sup_status(s);
	sup_ctl_metrics(s->ctl);
	if (out != NULL)
		snprintf(out, outlen, "reloaded %s: %zu job%s", s->conf_path,
		    nc->njobs, nc->njobs == 1 ? "" : "s");
	return 0;
}
