/* conf_jobs.c -- the job sections: options, age keys, alerts, mysql */
#include "config.h"

#include <sys/stat.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairn/age.h"
#include "cairn/util.h"
#include "conf_int.h"

void
job_free_fields(struct job_conf *j)
{
	free(j->name);
	free(j->schedule);
	free(j->path);
	db_free(&j->db);
	list_free(j->databases);
	list_free(j->exclude_tables);
	list_free(j->age_recipients);
	free(j->age_recipients_file);
	free(j->age_identity_file);
	list_free(j->notify);
	free(j->upload);
}

/* ---- age encryption keys (docs/encryption.md) ---- */

#define AGE_RECIPIENT_EXPECT \
	"an age X25519 recipient \"age1...\", as age-keygen prints"
#define AGE_IDENTITY_EXPECT \
	"an age identity file cairnd can read at start-up, as age-keygen " \
	"writes it"

static void
age_list_add(char ***l, size_t *n, const char *s)
{
	*l = xreallocarray(*l, *n + 2, sizeof(**l));
	(*l)[(*n)++] = xstrdup(s);
	(*l)[*n] = NULL;
}

/* The recipients of a file, one a line, '#' comments; errors FILE:LINE. */
static void
age_recipients_read(struct ctx *c, int line, const char *path, char ***l,
    size_t *n)
{
	FILE		*fp;
	char		 buf[512], why[160];
	unsigned char	 pk[AGE_KEY_LEN];
	size_t		 lineno = 0, len, before = *n;

	if ((fp = fopen(path, "re")) == NULL) {
		ctx_err(c, line, "age_recipients_file", "%s: %s (%s)", path,
		    strerror(errno), "a readable file of age recipients, one "
		    "a line");
		return;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		lineno++;
		len = strcspn(buf, "\r\n");
		buf[len] = '\0';
		while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
			buf[--len] = '\0';
		if (len == 0 || buf[0] == '#')
			continue;
		if (age_recipient_parse(buf, pk, why, sizeof(why)) == -1)
			ctx_err(c, line, "age_recipients_file", "%s:%zu: %s "
			    "(%s)", path, lineno, why, AGE_RECIPIENT_EXPECT);
		else
			age_list_add(l, n, buf);
	}
	fclose(fp);
	if (*n == before)
		ctx_err(c, line, "age_recipients_file", "%s: no recipient in "
		    "the file (%s, one a line)", path, AGE_RECIPIENT_EXPECT);
}

/* An identity file parses; its content is wiped, never reported. */
static void
age_identity_check(struct ctx *c, int line, const char *path)
{
	struct age_identity	*ids;
	char			 buf[8192], why[160];
	ssize_t			 r;
	int			 fd, n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;		/* get_readable() said why */
	r = util_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 0 || r == (ssize_t)sizeof(buf) - 1) {
		ctx_err(c, line, "age_identity_file", "%s: cannot read it, or "
		    "larger than %zu bytes (%s)", path, sizeof(buf) - 2,
		    AGE_IDENTITY_EXPECT);
		explicit_bzero(buf, sizeof(buf));
		return;
	}
	buf[r] = '\0';
	n = age_identities_parse(buf, &ids, why, sizeof(why));
	explicit_bzero(buf, sizeof(buf));
	if (n < 0)
		ctx_err(c, line, "age_identity_file", "%s: %s (%s)", path, why,
		    AGE_IDENTITY_EXPECT);
	else
		age_identities_free(ids, (size_t)n);
}

/*
 * age_recipients, age_recipients_file: a section that sets either has
 * exactly the recipients it names (the list and the file's keys, each one
 * checked); one that sets neither keeps those from defaults.
 * age_identity_file: checked that it parses.
 */
static void
job_age(struct ctx *c, cfg_t *sec, struct job_conf *j)
{
	unsigned char	 pk[AGE_KEY_LEN];
	char		 why[160];
	char		**l = NULL;
	size_t		 n = 0, cnt;
	int		 line;

	if (get_readable(c, sec, "age_identity_file", AGE_IDENTITY_EXPECT,
	    &j->age_identity_file) > 0)
		age_identity_check(c, opt_line(c, sec, "age_identity_file"),
		    j->age_identity_file);
	cnt = sec != NULL ? cfg_size(sec, "age_recipients") : 0;
	if (cnt == 0 && opt_str(sec, "age_recipients_file") == NULL)
		return;
	l = xcalloc(1, sizeof(*l));
	line = opt_line(c, sec, "age_recipients");
	for (size_t i = 0; i < cnt; i++) {
		const char	*s = cfg_getnstr(sec, "age_recipients", i);

		if (age_recipient_parse(s, pk, why, sizeof(why)) == -1)
			ctx_err(c, line, "age_recipients", "\"%.80s\": %s (%s)",
			    s, why, AGE_RECIPIENT_EXPECT);
		else
			age_list_add(&l, &n, s);
	}
	free(j->age_recipients_file);
	j->age_recipients_file = NULL;
	if ((line = get_path(c, sec, "age_recipients_file", false,
	    &j->age_recipients_file)) > 0)
		age_recipients_read(c, line, j->age_recipients_file, &l, &n);
	list_free(j->age_recipients);
	j->age_recipients = l;
}

/* The alert options of a job or of `defaults` (docs/alerts.md). */
static void
job_alerts(struct ctx *c, cfg_t *sec, struct job_conf *j)
{
	unsigned int	 i, n;
	const char	*s;
	int		 line;

	get_duration(c, sec, "stale_after", 366LL * 86400, &j->stale_after);
	get_int(c, sec, "size_drop", 0, 100, "a percentage of the previous "
	    "verified artifact, 0 for off", &j->size_drop);
	get_scaled(c, sec, "min_size", "KMGTkmgt", conf_size_mult, 0,
	    INT64_MAX / 2, EXPECT_SIZE, &j->min_size);
	get_duration(c, sec, "repeat_interval", 366LL * 86400,
	    &j->repeat_interval);
	if (sec == NULL || line_find(c, cfg_getopt(sec, "notify")) == NULL)
		return;
	line = opt_line(c, sec, "notify");
	n = cfg_size(sec, "notify");
	list_free(j->notify);
	j->notify = xcalloc(n + 1, sizeof(*j->notify));
	for (i = 0; i < n; i++) {
		s = cfg_getnstr(sec, "notify", i);
		if (list_has(j->notify, s))
			ctx_err(c, line, "notify", "\"%s\" is listed twice "
			    "(each notifier once)", s);
		j->notify[i] = xstrdup(s);
	}
}

/* Where a job's compression settings came from, to check them together. */
struct comp_src {
	int	 comp_line;
	int	 level_line;
};

static void
job_common(struct ctx *c, cfg_t *sec, struct job_conf *j, struct comp_src *cs)
{
	int	 v, line;

	get_cron(c, sec, "schedule", &j->schedule, &j->cron);
	get_bool(c, sec, "run_at_start", &j->run_at_start);
	get_int(c, sec, "retries", 0, 100, "a number of retries", &j->retries);
	if ((line = get_enum(c, sec, "compression", conf_compress_names,
	    "a compression (gzip, zstd or none)", &v)) > 0) {
		j->compression = v;
		cs->comp_line = line;
	} else if (line < 0)
		cs->comp_line = -1;
	if ((line = get_int(c, sec, "compression_level", 1, 19,
	    "a compression level", &j->compression_level)) != 0)
		cs->level_line = line;
	get_int(c, sec, "compression_threads", 0, 256,
	    "a number of threads, 0 for one per CPU",
	    &j->compression_threads);
	job_age(c, sec, j);
	job_alerts(c, sec, j);
	/* "" turns a default upload off for one job */
	get_str(c, sec, "upload", true, "the name of an s3 section, or \"\" "
	    "for none", &j->upload);
}

/* Checks the level against the compression once both are known. */
static void
job_check_level(struct ctx *c, const struct job_conf *j,
    const struct comp_src *cs)
{
	int	 line;

	if (cs->comp_line < 0 || cs->level_line < 0 ||
	    j->compression != COMPRESS_GZIP || j->compression_level <= 12)
		return;
	line = cs->level_line > 0 ? cs->level_line : cs->comp_line;
	ctx_err(c, line, "compression_level", "%d is out of range for gzip "
	    "(a compression level from 1 to 12 for gzip, 1 to 19 for zstd)",
	    j->compression_level);
}

/* Names that would clash with cairnctl's "all" or with the files cairnd
 * keeps next to the job folders in backup_dir. */
static bool
job_name_reserved(const char *n)
{
	static const char *const prefixes[] = {
		"catalog.db", "audit.log", "backup.log",
	};
	size_t	 i;

	if (strcmp(n, "all") == 0)
		return true;
	for (i = 0; i < nitems(prefixes); i++)
		if (strncmp(n, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

bool
db_name_ok(const char *s)
{
	size_t	 len = strlen(s);

	return len > 0 && len <= 64 && !has_ctrl(s) &&
	    strpbrk(s, "/\\.") == NULL && s[len - 1] != ' ';
}

static void
job_mysql(struct ctx *c, cfg_t *sec, struct job_conf *j)
{
	char		*dot;
	unsigned int	 i, n;
	const char	*s;
	int		 line;

	db_build(c, sec, &j->db, true);
	n = cfg_size(sec, "databases");
	list_free(j->databases);
	j->databases = xcalloc(n + 1, sizeof(*j->databases));
	line = opt_line(c, sec, "databases");
	for (i = 0; i < n; i++) {
		s = cfg_getnstr(sec, "databases", i);
		if (!db_name_ok(s))
			ctx_err(c, line, "databases", "\"%s\" is not a database "
			    "name (1 to 64 characters, without / \\ or .)", s);
		else if (list_has(j->databases, s))
			ctx_err(c, line, "databases", "\"%s\" is listed twice "
			    "(each database once)", s);
		j->databases[i] = xstrdup(s);
	}
	n = cfg_size(sec, "exclude_tables");
	list_free(j->exclude_tables);
	j->exclude_tables = xcalloc(n + 1, sizeof(*j->exclude_tables));
	line = opt_line(c, sec, "exclude_tables");
	for (i = 0; i < n; i++) {
		s = cfg_getnstr(sec, "exclude_tables", i);
		j->exclude_tables[i] = xstrdup(s);
		dot = strchr(j->exclude_tables[i], '.');
		if (dot == NULL || dot == j->exclude_tables[i] ||
		    dot[1] == '\0' || has_ctrl(s)) {
			ctx_err(c, line, "exclude_tables", "\"%s\" is not a "
			    "table (\"database.table\")", s);
			continue;
		}
		*dot = '\0';
		if (j->databases[0] != NULL &&
		    !list_has(j->databases, j->exclude_tables[i]))
			ctx_err(c, line, "exclude_tables", "\"%s\": database "
			    "%s is not in databases (a table of a database "
			    "this job dumps)", s, j->exclude_tables[i]);
		*dot = '.';
	}
	get_int(c, sec, "lock_wait_timeout", 1, 31536000,
	    "a number of seconds", &j->lock_wait_timeout);
	get_int(c, sec, "connect_retry", 0, 86400, "a number of seconds",
	    &j->connect_retry);
	get_bool(c, sec, "checksum", &j->checksum);
	get_bool(c, sec, "dump_grants", &j->dump_grants);
	if (opt_str(sec, "host") == NULL && opt_str(sec, "socket") == NULL)
		ctx_err(c, j->line, "mysql", "job %s has neither host nor "
		    "socket (host = \"NAME\" for TCP, or socket = \"/PATH\" "
		    "for a local server)", j->name);
	else if (opt_str(sec, "host") != NULL &&
	    opt_str(sec, "socket") != NULL)
		ctx_err(c, opt_line(c, sec, "socket"), "socket", "job %s has "
		    "both host and socket (one of them: host for TCP, socket "
		    "for a local server)", j->name);
}

static void
job_build(struct ctx *c, cfg_t *sec, enum job_kind kind,
    const struct job_conf *tmpl, struct job_conf *j)
{
	struct comp_src	 cs = { 0, 0 };
	const char	*kname = conf_kind_name(kind);

	*j = *tmpl;
	j->schedule = xstrdup(tmpl->schedule);
	j->age_recipients = list_dup(tmpl->age_recipients);
	j->age_recipients_file = tmpl->age_recipients_file != NULL ?
	    xstrdup(tmpl->age_recipients_file) : NULL;
	j->age_identity_file = tmpl->age_identity_file != NULL ?
	    xstrdup(tmpl->age_identity_file) : NULL;
	j->notify = list_dup(tmpl->notify);
	j->upload = tmpl->upload != NULL ? xstrdup(tmpl->upload) : NULL;
	j->name = xstrdup(cfg_title(sec));
	j->kind = kind;
	j->line = sec_line(c, sec);
	db_defaults(&j->db);
	j->databases = xcalloc(1, sizeof(*j->databases));
	j->exclude_tables = xcalloc(1, sizeof(*j->exclude_tables));
	j->lock_wait_timeout = 60;
	j->connect_retry = 120;

	if (!conf_job_name_ok(j->name))
		ctx_err(c, j->line, kname, "\"%s\" is not a valid job name (1 "
		    "to %d of A-Z a-z 0-9 _ . -, starting with a letter, a "
		    "digit or _)", j->name, CONF_JOB_NAME_MAX);
	else if (job_name_reserved(j->name))
		ctx_err(c, j->line, kname, "\"%s\" is a reserved name (any "
		    "name but all, catalog.db*, audit.log*, backup.log*)",
		    j->name);
	job_common(c, sec, j, &cs);
	if (cs.comp_line != 0 || cs.level_line != 0)
		job_check_level(c, j, &cs);
	if (kind == JOB_SQLITE) {
		get_path(c, sec, "path", false, &j->path);
		if (opt_str(sec, "path") == NULL)
			ctx_err(c, j->line, "sqlite", "job %s has no path (path "
			    "= \"/absolute/path/to/database.db\")", j->name);
	} else
		job_mysql(c, sec, j);
}

static int
job_line_cmp(const void *a, const void *b)
{
	const struct job_conf	*x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

void
jobs_build(struct ctx *c, struct conf *cf)
{
	static const struct { const char *sec; enum job_kind kind; } kinds[] = {
		{ "mysql", JOB_MYSQL }, { "sqlite", JOB_SQLITE },
	};
	struct job_conf	 tmpl;
	struct comp_src	 cs = { 0, 0 };
	cfg_t		*dsec = cfg_getsec(c->cfg, "defaults");
	unsigned int	 i, k, n = 0;
	size_t		 a, b;

	memset(&tmpl, 0, sizeof(tmpl));
	default_cron(c, DEF_SCHEDULE, &tmpl.schedule, &tmpl.cron);
	tmpl.run_at_start = true;
	tmpl.retries = 3;
	tmpl.compression = COMPRESS_GZIP;
	tmpl.compression_level = 6;
	tmpl.compression_threads = 0;
	tmpl.stale_after = -1;
	tmpl.size_drop = 50;
	tmpl.repeat_interval = 86400;
	tmpl.notify = xcalloc(1, sizeof(*tmpl.notify));
	job_common(c, dsec, &tmpl, &cs);
	get_bool(c, dsec, "dump_grants", &tmpl.dump_grants);
	job_check_level(c, &tmpl, &cs);

	for (k = 0; k < nitems(kinds); k++)
		n += cfg_size(c->cfg, kinds[k].sec);
	cf->jobs = xcalloc(n + 1, sizeof(*cf->jobs));
	for (k = 0; k < nitems(kinds); k++)
		for (i = 0; i < cfg_size(c->cfg, kinds[k].sec); i++)
			job_build(c, cfg_getnsec(c->cfg, kinds[k].sec, i),
			    kinds[k].kind, &tmpl, &cf->jobs[cf->njobs++]);
	qsort(cf->jobs, cf->njobs, sizeof(*cf->jobs), job_line_cmp);
	for (b = 1; b < cf->njobs; b++)
		for (a = 0; a < b; a++)
			if (strcmp(cf->jobs[a].name, cf->jobs[b].name) == 0) {
				ctx_err(c, cf->jobs[b].line,
				    conf_kind_name(cf->jobs[b].kind),
				    "job name \"%s\" is already used by the %s "
				    "job at line %d (a unique name per job)",
				    cf->jobs[b].name,
				    conf_kind_name(cf->jobs[a].kind),
				    cf->jobs[a].line);
				break;
			}
	free(tmpl.schedule);
	free(tmpl.upload);
	list_free(tmpl.age_recipients);
	free(tmpl.age_recipients_file);
	free(tmpl.age_identity_file);
	list_free(tmpl.notify);
	for (a = 0; a < cf->njobs; a++)
		for (i = 0; cf->jobs[a].notify[i] != NULL; i++)
			if (conf_notify_find(cf, cf->jobs[a].notify[i]) == NULL)
				ctx_err(c, cf->jobs[a].line, "notify", "job %s: "
				    "\"%s\" is not a notifier (the name of a "
				    "notify section)", cf->jobs[a].name,
				    cf->jobs[a].notify[i]);
}
