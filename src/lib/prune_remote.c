/* prune_remote.c -- see prune_remote.h */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/prune_remote.h"
#include "cairn/retention.h"
#include "cairn/util.h"

/* One job's copies on its remote, planned on their own. */
static int
remote_plan_job(struct catalog *cat, const struct job_conf *j,
    const struct s3_conf *r, time_t now, struct remote_plan *p, char *err,
    size_t errlen)
{
	struct remote_copy	*rc = NULL;
	struct retention_item	*items;
	struct retention_conf	 rconf;
	struct retention_plan	 rp;
	size_t			 n = 0, first = p->n, k;
	size_t			 plen = strlen(j->name);

	if (catalog_remote_list(cat, j->name, &rc, &n) == -1) {
		snprintf(err, errlen, "remote prune: %s", catalog_error(cat));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct remote_entry	*e;

		if (strcmp(rc[i].remote, r->name) != 0 ||
		    strncmp(rc[i].path, j->name, plen) != 0 ||
		    rc[i].path[plen] != '/')
			continue;
		p->entries = xreallocarray(p->entries, p->n + 1,
		    sizeof(*p->entries));
		e = &p->entries[p->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->remote, sizeof(e->remote), "%s", r->name);
		snprintf(e->job, sizeof(e->job), "%s", j->name);
		snprintf(e->name, sizeof(e->name), "%s", rc[i].path + plen + 1);
		snprintf(e->key, sizeof(e->key), "%s", rc[i].key);
		e->id = rc[i].id;
	}
	free(rc);
	if (p->n == first)
		return 0;
	items = xcalloc(p->n - first, sizeof(*items));
	for (k = 0; k < p->n - first; k++) {
		items[k].name = p->entries[first + k].name;
		items[k].job = j->name;
		items[k].time = (time_t)-1;	/* from the name, UTC */
		items[k].verify = RETENTION_VERIFIED;
	}
	memset(&rconf, 0, sizeof(rconf));
	rconf.days = r->retention_days;
	rconf.keep_min = r->retention_keep_min;
	if (retention_plan(items, k, now, &rconf, NULL, &rp) == -1) {
		free(items);
		snprintf(err, errlen, "remote prune: plan: %s",
		    strerror(errno));
		return -1;
	}
	if (rp.warning[0] != '\0' && p->warning[0] == '\0')
		snprintf(p->warning, sizeof(p->warning), "%.60s: %.190s",
		    r->name, rp.warning);
	for (k = 0; k < p->n - first; k++) {
		struct remote_entry	*e = &p->entries[first + k];

		e->remove = !items[k].keep && !rp.hold;
		snprintf(e->reason, sizeof(e->reason), "%s", items[k].reason);
		p->nremove += e->remove;
	}
	free(items);
	return 0;
}

int
remote_plan_build(struct catalog *cat, const struct conf *c, time_t now,
    struct remote_plan *p, char *err, size_t errlen)
{
	const struct s3_conf	*r;

	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	for (size_t j = 0; j < c->njobs; j++) {
		if (c->jobs[j].upload == NULL ||
		    (r = conf_s3_find(c, c->jobs[j].upload)) == NULL ||
		    r->retention_days <= 0)
			continue;
		if (remote_plan_job(cat, &c->jobs[j], r, now, p, err,
		    errlen) == -1) {
			remote_plan_free(p);
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

void
remote_plan_free(struct remote_plan *p)
{
	free(p->entries);
	memset(p, 0, sizeof(*p));
}
