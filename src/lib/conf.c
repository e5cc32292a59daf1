/* conf.c -- see conf.h */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/age.h"
#include "cairn/conf.h"
#include "cairn/util.h"
#include "conf_int.h"

/*
 * Every option is read as a string (CFGF_NODEFAULT, so "unset" is visible)
 * and converted here, which lets each message quote the value as written.
 * The defaults live in conf_defaults() and the job template, not in these
 * tables.
 */
#define S(n)	CFG_STR(n, NULL, CFGF_NODEFAULT)
#define L(n)	CFG_STR_LIST(n, NULL, CFGF_NODEFAULT)
#define JOB_OPTS \
	S("schedule"), S("run_at_start"), S("retries"), S("compression"), \
	S("compression_level"), S("compression_threads"), \
	L("age_recipients"), S("age_recipients_file"), S("age_identity_file"), \
	S("stale_after"), S("size_drop"), S("min_size"), \
	S("repeat_interval"), L("notify"), \
	S("upload")

static cfg_opt_t defaults_opts[] = {
	JOB_OPTS,
	S("dump_grants"),	/* mysql jobs only */
	CFG_END()
};
static cfg_opt_t sqlite_opts[] = {
	JOB_OPTS,
	S("path"),
	CFG_END()
};
static cfg_opt_t mysql_opts[] = {
	JOB_OPTS,
	S("host"), S("port"), S("socket"), S("user"), S("password_file"),
	L("databases"), L("exclude_tables"),
	S("ssl_mode"), S("ssl_ca"), S("ssl_cert"), S("ssl_key"),
	S("connect_timeout"), S("read_timeout"), S("lock_wait_timeout"),
	S("connect_retry"), S("checksum"), S("dump_grants"),
	CFG_END()
};
static cfg_opt_t retention_opts[] = {
	S("days"), S("keep_min"), S("keep_daily"), S("keep_weekly"),
	S("keep_monthly"), S("schedule"),
	CFG_END()
};
static cfg_opt_t s3_retention_opts[] = {
	S("days"), S("keep_min"),
	CFG_END()
};
static cfg_opt_t s3_opts[] = {
	S("endpoint"), S("region"), S("bucket"), S("prefix"),
	S("access_key_file"), S("secret_key_file"), S("path_style"),
	S("storage_class"), S("part_size"), S("concurrency"),
	S("bandwidth_limit"), S("verify_download"),
	CFG_SEC("retention", s3_retention_opts, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t target_opts[] = {
	S("host"), S("port"), S("socket"), S("user"), S("password_file"),
	S("ssl_mode"), S("database"),
	CFG_END()
};
static cfg_opt_t verify_opts[] = {
	S("after_backup"), S("schedule"), S("restore_test"),
	CFG_SEC("target", target_opts, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t notify_opts[] = {
	S("type"), S("url"), S("headers_file"), L("command"), S("timeout"),
	S("retries"),
	CFG_END()
};
static cfg_opt_t root_opts[] = {
	S("user"), S("group"), S("backup_dir"), S("log_file"), S("audit_log"),
	S("control_socket"), S("socket_group"), S("metrics_file"),
	S("max_workers"), S("heartbeat_interval"), S("heartbeat_timeout"),
	S("shutdown_timeout"), S("timezone"), S("file_mode"),
	S("alert_rate_limit"), S("alert_queue"),
	CFG_SEC("defaults", defaults_opts, CFGF_NONE),
	CFG_SEC("mysql", mysql_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("sqlite", sqlite_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("retention", retention_opts, CFGF_NONE),
	CFG_SEC("verify", verify_opts, CFGF_NONE),
	CFG_SEC("notify", notify_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("s3", s3_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};
#undef S
#undef L

const char *const conf_compress_names[] = { "gzip", "zstd", "none",
	NULL };
const char *const conf_ssl_names[] = {
	"disabled", "preferred", "required", "verify_ca", "verify_identity",
	NULL
};

/* libconfuse's callbacks carry no user pointer: conf_load() sets this. */
struct ctx	*conf_cur;

struct conf *
conf_load(const char *path, FILE *errs)
{
	return conf_load_held(path, errs, NULL, NULL);
}

struct conf *
conf_load_held(const char *path, FILE *errs, conf_held_fn held, void *arg)
{
	struct ctx	 c;
	struct conf	*cf = NULL;
	char		*text, *expanded = NULL;
	size_t		 len, i;
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.errs = errs;
	c.held = held;
	c.held_arg = arg;
	if ((text = read_file(&c, path, &len)) == NULL)
		goto out;
	expanded = conf_expand(&c, text, len);
	free(text);
	if (c.nerr > 0)
		goto out;

	mark_opts(root_opts);
	if ((c.cfg = cfg_init(root_opts, CFGF_NONE)) == NULL) {
		ctx_err(&c, 0, "cannot parse", "%s (memory)", strerror(errno));
		goto out;
	}
	cfg_set_error_function(c.cfg, on_error);
	conf_cur = &c;
	rc = cfg_parse_buf(c.cfg, expanded);
	if (rc != CFG_SUCCESS || c.nerr > 0) {
		if (c.nerr == 0)
			ctx_err(&c, 0, "syntax error", "cannot parse (see "
			    "cairn.conf(5))");
		goto out;
	}

	cf = xcalloc(1, sizeof(*cf));
	cf->path = xstrdup(path);
	globals_build(&c, cf);
	notifiers_build(&c, cf);
	jobs_build(&c, cf);
	retention_build(&c, cf);
	verify_build(&c, cf);
	s3_build(&c, cf);
	if (c.nerr > 0) {
		conf_free(cf);
		cf = NULL;
	}
out:
	conf_cur = NULL;
	if (c.cfg != NULL)
		cfg_free(c.cfg);
	free(expanded);
	ctx_flush(&c);
	free(c.lines);
	free(c.closes);
	for (i = 0; i < c.nheads; i++)
		free(c.heads[i].text);
	free(c.heads);
	if (cf == NULL)
		errno = EINVAL;
	return cf;
}

void
conf_free(struct conf *cf)
{
	size_t	 i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->njobs; i++)
		job_free_fields(&cf->jobs[i]);
	free(cf->jobs);
	for (i = 0; i < cf->nnotifiers; i++)
		notify_free_fields(&cf->notifiers[i]);
	free(cf->notifiers);
	for (i = 0; i < cf->ns3; i++)
		s3_free_fields(&cf->s3[i]);
	free(cf->s3);
	free(cf->path);
	free(cf->user);
	free(cf->group);
	free(cf->backup_dir);
	free(cf->log_file);
	free(cf->audit_log);
	free(cf->control_socket);
	free(cf->socket_group);
	free(cf->metrics_file);
	free(cf->timezone);
	free(cf->retention.schedule);
	free(cf->verify.schedule);
	db_free(&cf->verify.target);
	free(cf->verify.target_database);
	free(cf);
}

void
conf_summary(const struct conf *cf, FILE *fp)
{
	size_t	 i, nmysql = 0, nsqlite = 0;

	for (i = 0; i < cf->njobs; i++) {
		if (cf->jobs[i].kind == JOB_MYSQL)
			nmysql++;
		else
			nsqlite++;
	}
	fprintf(fp, "%s: ok: %zu job%s (%zu mysql, %zu sqlite), backup_dir "
	    "%s, retention %d day%s (keep_min %d), user %s, timezone %s\n",
	    cf->path, cf->njobs, cf->njobs == 1 ? "" : "s", nmysql, nsqlite,
	    cf->backup_dir, cf->retention.days,
	    cf->retention.days == 1 ? "" : "s", cf->retention.keep_min,
	    cf->user != NULL ? cf->user : "(unchanged)", cf->timezone);
}

const struct job_conf *
conf_job_find(const struct conf *cf, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->njobs; i++)
		if (strcmp(cf->jobs[i].name, name) == 0)
			return &cf->jobs[i];
	return NULL;
}

const struct notify_conf *
conf_notify_find(const struct conf *cf, const char *name)
{
	for (size_t i = 0; i < cf->nnotifiers; i++)
		if (strcmp(cf->notifiers[i].name, name) == 0)
			return &cf->notifiers[i];
	return NULL;
}

const struct s3_conf *
conf_s3_find(const struct conf *cf, const char *name)
{
	for (size_t i = 0; i < cf->ns3; i++)
		if (strcmp(cf->s3[i].name, name) == 0)
			return &cf->s3[i];
	return NULL;
}

const char *
conf_kind_name(enum job_kind k)
{
	switch (k) {
	case JOB_MYSQL:		return "mysql";
	case JOB_SQLITE:	return "sqlite";
	case JOB_PRUNE:		return "prune";
	case JOB_VERIFY:	return "verify";
	case JOB_NOTIFY:	return "notify";
	case JOB_UPLOAD:	return "upload";
	default:		return "unknown";
	}
}

const char *
conf_compress_name(enum compress_kind k)
{
	return (unsigned)k < nitems(conf_compress_names) - 1 ?
	    conf_compress_names[k] : "unknown";
}

const char *
conf_ssl_mode_name(enum ssl_mode m)
{
	return (unsigned)m < nitems(conf_ssl_names) - 1 ? conf_ssl_names[m] :
	    "unknown";
}

bool
conf_job_encrypts(const struct job_conf *j)
{
	return j->age_recipients != NULL && j->age_recipients[0] != NULL;
}

void
conf_print_recipients(const struct conf *cf, FILE *fp)
{
	unsigned char	 pk[AGE_KEY_LEN];
	char		 fpr[24], why[160];

	for (size_t i = 0; i < cf->njobs; i++) {
		const struct job_conf	*j = &cf->jobs[i];

		if (!conf_job_encrypts(j))
			continue;
		for (size_t k = 0; j->age_recipients[k] != NULL; k++) {
			if (age_recipient_parse(j->age_recipients[k], pk, why,
			    sizeof(why)) == -1)
				continue;	/* checked at load */
			age_fingerprint(fpr, pk);
			fprintf(fp, "%s: job %s encrypts to %s %s\n", cf->path,
			    j->name, fpr, j->age_recipients[k]);
		}
		if (j->age_identity_file != NULL)
			fprintf(fp, "%s: job %s: verify and restore decrypt "
			    "with %s\n", cf->path, j->name,
			    j->age_identity_file);
	}
}
