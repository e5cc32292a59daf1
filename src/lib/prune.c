/* prune.c -- see prune.h */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/prune.h"
#include "cairn/retention.h"
#include "cairn/util.h"

static int
prune_fail(char *err, size_t errlen, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
prune_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

static struct prune_entry *
prune_push(struct prune_plan *p, const char *job, const char *name,
    enum prune_what what)
{
	struct prune_entry	*e;

	p->entries = xreallocarray(p->entries, p->n + 1, sizeof(*p->entries));
	e = &p->entries[p->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->job, sizeof(e->job), "%s", job);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->what = what;
	e->time = (time_t)-1;
	return e;
}

static enum retention_verify
prune_verify_state(enum artifact_status s)
{
	switch (s) {
	case ART_OK:
		return RETENTION_VERIFIED;
	case ART_FAILED_VERIFY:
		return RETENTION_FAILED;
	default:
		return RETENTION_UNVERIFIED;
	}
}

static void
prune_hold_add(struct prune_plan *p, const char *job, const char *name)
{
	struct prune_hold	*h;

	p->holds = xreallocarray(p->holds, p->nholds + 1, sizeof(*p->holds));
	h = &p->holds[p->nholds++];
	snprintf(h->job, sizeof(h->job), "%s", job);
	snprintf(h->reason, sizeof(h->reason), "clock looks wrong: %.256s is "
	    "dated in the future", name);
}

static bool
prune_held(const struct prune_plan *p, const char *job)
{
	for (size_t i = 0; i < p->nholds; i++)
		if (strcmp(p->holds[i].job, job) == 0)
			return true;
	return false;
}

/* One job: its catalog rows whose file is there, and its temp files. */
/*
 * Long (100 lines): catalog rows, busy temp files and the folder listing go
 * into one plan with one clean-up of the three arrays.
 */
static int
prune_job(struct catalog *cat, int bfd, const char *job, time_t now,
    const struct prune_busy *busy, size_t nbusy, struct prune_plan *p,
    enum retention_verify **vs, size_t *nvs, char *err, size_t errlen)
{
	struct artifact		*arts = NULL;
	struct retention_dirent	*ents = NULL;
	const char		**in_use = NULL;
	struct prune_entry	*e;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	size_t			 narts = 0, nents = 0, nin = 0, first, plen;
	int			 jfd, busy_backup = 0, busy_verify = 0;

	jfd = openat(bfd, job, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (jfd == -1) {
		if (errno == ENOENT)
			return 0;	/* never ran: nothing to prune */
		return prune_fail(err, errlen, errno, "prune: folder %s: %s",
		    job, strerror(errno));
	}
	if (catalog_list(cat, job, &arts, &narts) == -1) {
		close(jfd);
		return prune_fail(err, errlen, errno, "prune: %s",
		    catalog_error(cat));
	}
	plen = strlen(job);
	for (size_t i = 0; i < narts; i++) {
		const char	*name = arts[i].path + plen + 1;

		if (arts[i].status == ART_MISSING ||
		    arts[i].status == ART_DELETED ||
		    strncmp(arts[i].path, job, plen) != 0 ||
		    arts[i].path[plen] != '/' ||
		    fstatat(jfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		e = prune_push(p, job, name, PRUNE_ARTIFACT);
		e->id = arts[i].id;
		*vs = xreallocarray(*vs, *nvs + 1, sizeof(**vs));
		(*vs)[(*nvs)++] = prune_verify_state(arts[i].status);
	}
	free(arts);

	/* temp files: what running workers hold is never stale */
	for (size_t i = 0; i < nbusy; i++) {
		if (strcmp(busy[i].job, job) != 0)
			continue;
		if (busy[i].kind == JOB_VERIFY)
			busy_verify = 1;
		else if (busy[i].kind == JOB_MYSQL ||
		    busy[i].kind == JOB_SQLITE)
			busy_backup = 1;
		if (busy[i].artifact != NULL) {
			in_use = xreallocarray(in_use, nin + 1,
			    sizeof(*in_use));
			in_use[nin++] = busy[i].artifact;
		}
	}
	if ((d = fdopendir(jfd)) == NULL) {
		close(jfd);
		free(in_use);
		return prune_fail(err, errlen, errno, "prune: folder %s: %s",
		    job, strerror(errno));
	}
	first = p->n;
	while ((de = readdir(d)) != NULL) {
		if (!retention_is_temp(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (busy_verify && strncmp(de->d_name,
		    RETENTION_VERIFY_TMP_PREFIX,
		    strlen(RETENTION_VERIFY_TMP_PREFIX)) == 0)
			continue;
		if (busy_backup && strstr(de->d_name,
		    RETENTION_SNAPSHOT_TMP_SUFFIX) != NULL)
			continue;
		e = prune_push(p, job, de->d_name, PRUNE_TEMP);
		e->time = st.st_mtime;
	}
	closedir(d);
	nents = p->n - first;
	ents = xcalloc(nents > 0 ? nents : 1, sizeof(*ents));
	for (size_t i = 0; i < nents; i++) {
		ents[i].name = p->entries[first + i].name;
		ents[i].mtime = p->entries[first + i].time;
	}
	retention_stale(ents, nents, now, 0, in_use, nin);
	for (size_t i = 0; i < nents; i++) {
		e = &p->entries[first + i];
		e->remove = ents[i].remove;
		snprintf(e->reason, sizeof(e->reason), "%s", ents[i].remove ?
		    "stale temp file" : "recent or in use");
	}
	free(ents);
	free(in_use);
	return 0;
}

int
prune_plan_build(struct catalog *cat, int bfd, const struct conf *c,
    time_t now, const struct prune_busy *busy, size_t nbusy,
    struct prune_plan *p, char *err, size_t errlen)
{
	struct retention_item	*items;
	struct retention_plan	 rp;
	enum retention_verify	*vs = NULL;
	size_t			 nvs = 0, k;

	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	for (size_t j = 0; j < c->njobs; j++)
		if (prune_job(cat, bfd, c->jobs[j].name, now, busy, nbusy, p,
		    &vs, &nvs, err, errlen) == -1) {
			free(vs);
			prune_plan_free(p);
			return -1;
		}
	items = xcalloc(nvs > 0 ? nvs : 1, sizeof(*items));
	for (size_t i = k = 0; i < p->n; i++) {
		if (p->entries[i].what != PRUNE_ARTIFACT)
			continue;
		items[k].name = p->entries[i].name;
		items[k].job = p->entries[i].job;
		items[k].time = (time_t)-1;	/* from the name, UTC */
		items[k].verify = vs[k];
		k++;
	}
	if (retention_plan(items, nvs, now, &c->retention, NULL, &rp) == -1) {
		free(items);
		free(vs);
		prune_plan_free(p);
		return prune_fail(err, errlen, errno, "prune: plan: %s",
		    strerror(errno));
	}
	p->hold = rp.hold;
	snprintf(p->warning, sizeof(p->warning), "%s", rp.warning);
	for (size_t i = 0; i < nvs; i++)
		if (items[i].future)
			prune_hold_add(p, items[i].job, items[i].name);
	for (size_t i = k = 0; i < p->n; i++) {
		struct prune_entry	*e = &p->entries[i];

		if (e->what == PRUNE_TEMP && e->remove &&
		    prune_held(p, e->job)) {
			e->remove = false;
			snprintf(e->reason, sizeof(e->reason),
			    "hold: clock looks wrong");
		}
		if (e->what == PRUNE_ARTIFACT) {
			e->remove = !items[k].keep;
			snprintf(e->reason, sizeof(e->reason), "%s",
			    items[k].reason);
			if (retention_parse_name(e->name, NULL, 0,
			    &e->time) == -1)
				e->time = (time_t)-1;
			k++;
		} else if (rp.hold && e->remove) {
			e->remove = false;
			snprintf(e->reason, sizeof(e->reason),
			    "hold: clock looks wrong");
		}
		if (e->remove)
			p->nremove++;
	}
	free(items);
	free(vs);
	return 0;
}

void
prune_plan_free(struct prune_plan *p)
{
	free(p->holds);
	free(p->entries);
	memset(p, 0, sizeof(*p));
}

void
prune_plan_print(const struct prune_plan *p, FILE *fp)
{
	if (p->warning[0] != '\0')
		fprintf(fp, "warning: %s\n", p->warning);
	for (size_t i = 0; i < p->n; i++)
		fprintf(fp, "%-6s %s/%s (%s)\n", p->entries[i].remove ?
		    "delete" : "keep", p->entries[i].job, p->entries[i].name,
		    p->entries[i].reason);
	fprintf(fp, "%zu to delete, %zu to keep%s\n", p->nremove,
	    p->n - p->nremove, p->hold ? " (plan held)" : "");
}
