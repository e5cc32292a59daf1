/* conf_remote.c -- where results go: the notify and s3 sections */
#include "config.h"

#include <sys/stat.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairn/util.h"
#include "conf_int.h"

void
notify_free_fields(struct notify_conf *n)
{
	free(n->name);
	free(n->url);
	free(n->headers_file);
	list_free(n->command);
}

static void
notify_build_one(struct ctx *c, cfg_t *sec, struct notify_conf *n)
{
	static const char *const types[] = { "webhook", "command", NULL };
	unsigned int	 i, k;
	int		 v, line;

	n->name = xstrdup(cfg_title(sec));
	n->line = sec_line(c, sec);
	n->timeout = 10;
	n->retries = 5;
	if (!conf_job_name_ok(n->name))
		ctx_err(c, n->line, "notify", "\"%s\" is not a valid notifier "
		    "name (1 to %d of A-Z a-z 0-9 _ . -)", n->name,
		    CONF_NAME_MAX);
	if (get_enum(c, sec, "type", types, "a notifier type (webhook or "
	    "command)", &v) > 0)
		n->type = v;
	else if (opt_str(sec, "type") == NULL)
		ctx_err(c, n->line, "notify", "notifier %s has no type (type = "
		    "webhook or type = command)", n->name);
	get_int(c, sec, "timeout", 1, 3600, "a number of seconds",
	    &n->timeout);
	get_int(c, sec, "retries", 0, 100, "a number of retries",
	    &n->retries);
	get_str(c, sec, "url", false, "an http:// or https:// URL", &n->url);
	get_readable(c, sec, "headers_file", "a file of \"Name: value\" "
	    "lines cairnd can read", &n->headers_file);
	k = cfg_size(sec, "command");
	n->command = xcalloc(k + 1, sizeof(*n->command));
	for (i = 0; i < k; i++)
		n->command[i] = xstrdup(cfg_getnstr(sec, "command", i));
	line = opt_line(c, sec, "command");
	if (n->type == NOTIFY_WEBHOOK) {
		if (n->url == NULL)
			ctx_err(c, n->line, "notify", "webhook %s has no url "
			    "(url = \"https://host/path\")", n->name);
		else if (strncmp(n->url, "http://", 7) != 0 &&
		    strncmp(n->url, "https://", 8) != 0)
			ctx_err(c, opt_line(c, sec, "url"), "url", "\"%s\" is "
			    "not an http:// or https:// URL", n->url);
		if (k > 0)
			ctx_err(c, line, "command", "a webhook runs no command "
			    "(command goes with type = command)");
	} else {
		if (k == 0)
			ctx_err(c, n->line, "notify", "command notifier %s has "
			    "no command (command = { \"/path/to/program\", "
			    "\"arg\" })", n->name);
		else if (n->command[0][0] != '/')
			ctx_err(c, line, "command", "\"%s\" is a relative path "
			    "(%s)", n->command[0], EXPECT_PATH);
		for (i = 0; i < k; i++)
			if (has_ctrl(n->command[i]))
				ctx_err(c, line, "command", "argument %u contains "
				    "a control character (plain text)", i);
		if (n->url != NULL || n->headers_file != NULL)
			ctx_err(c, n->line, "notify", "command notifier %s "
			    "takes no url or headers_file (they go with type = "
			    "webhook)", n->name);
	}
}

/* The notify sections, and the global alert limits. */
void
notifiers_build(struct ctx *c, struct conf *cf)
{
	unsigned int	 i, n = cfg_size(c->cfg, "notify");
	size_t		 a;

	cf->alert_rate_limit = 60;
	cf->alert_queue = 100;
	get_int(c, c->cfg, "alert_rate_limit", 0, 100000, "a number of alerts "
	    "per hour, 0 for no limit", &cf->alert_rate_limit);
	get_int(c, c->cfg, "alert_queue", 1, 100000, "a number of alerts",
	    &cf->alert_queue);
	cf->notifiers = xcalloc(n + 1, sizeof(*cf->notifiers));
	for (i = 0; i < n; i++) {
		notify_build_one(c, cfg_getnsec(c->cfg, "notify", i),
		    &cf->notifiers[cf->nnotifiers]);
		for (a = 0; a < cf->nnotifiers; a++)
			if (strcmp(cf->notifiers[a].name,
			    cf->notifiers[cf->nnotifiers].name) == 0)
				ctx_err(c, cf->notifiers[cf->nnotifiers].line,
				    "notify", "notifier name \"%s\" is already "
				    "used at line %d (a unique name per "
				    "notifier)", cf->notifiers[a].name,
				    cf->notifiers[a].line);
		cf->nnotifiers++;
	}
}

/* -- s3 remotes -------------------------------------------------------- */

void
s3_free_fields(struct s3_conf *r)
{
	free(r->name);
	free(r->endpoint);
	free(r->region);
	free(r->bucket);
	free(r->prefix);
	free(r->access_key_file);
	free(r->secret_key_file);
	free(r->storage_class);
}

/* S3 bucket naming: 3-63 of a-z 0-9 . -, a letter or digit at each end. */
static bool
s3_bucket_ok(const char *b)
{
	size_t	 n = strlen(b);

	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) ||
	    !isalnum((unsigned char)b[n - 1]))
		return false;
	for (; *b != '\0'; b++)
		if (!(islower((unsigned char)*b) || isdigit((unsigned char)*b) ||
		    *b == '.' || *b == '-'))
			return false;
	return true;
}

static void
s3_required(struct ctx *c, struct s3_conf *r, const char *opt,
    const char *val, const char *expect)
{
	if (val == NULL)
		ctx_err(c, r->line, "s3", "remote %s has no %s (%s)", r->name,
		    opt, expect);
}

static void
s3_build_one(struct ctx *c, cfg_t *sec, struct s3_conf *r)
{
	cfg_t		*rsec = cfg_getsec(sec, "retention");
	const char	*s;
	int		 line;

	r->name = xstrdup(cfg_title(sec));
	r->line = sec_line(c, sec);
	r->region = xstrdup("us-east-1");
	r->prefix = xstrdup("");
	r->part_size_mib = 8;
	r->concurrency = 4;
	r->retention_keep_min = 1;
	if (!conf_job_name_ok(r->name))
		ctx_err(c, r->line, "s3", "\"%s\" is not a valid remote name "
		    "(1 to %d of A-Z a-z 0-9 _ . -)", r->name, CONF_NAME_MAX);
	if ((line = get_str(c, sec, "endpoint", false, "a URL: http://HOST"
	    "[:PORT] or https://HOST[:PORT]", &r->endpoint)) > 0 &&
	    ((strncmp(r->endpoint, "https://", 8) != 0 &&
	    strncmp(r->endpoint, "http://", 7) != 0) ||
	    strchr(r->endpoint, ' ') != NULL ||
	    strchr(strstr(r->endpoint, "//") + 2, '/') != NULL ||
	    strstr(r->endpoint, "//")[2] == '\0'))
		ctx_err(c, line, "endpoint", "\"%s\" is not an endpoint URL "
		    "(http://HOST[:PORT] or https://HOST[:PORT], no path)",
		    r->endpoint);
	if ((line = get_str(c, sec, "region", false, "a region name such as "
	    "eu-central-1", &r->region)) > 0 && strpbrk(r->region,
	    " /:") != NULL)
		ctx_err(c, line, "region", "\"%s\" is not a region name "
		    "(such as eu-central-1)", r->region);
	if ((line = get_str(c, sec, "bucket", false, "a bucket name",
	    &r->bucket)) > 0 && !s3_bucket_ok(r->bucket))
		ctx_err(c, line, "bucket", "\"%s\" is not a bucket name (3 to "
		    "63 of a-z 0-9 . -, starting and ending with a letter or "
		    "digit)", r->bucket);
	if ((line = get_str(c, sec, "prefix", true, "a key prefix such as "
	    "cairn/host1/", &r->prefix)) > 0 && r->prefix[0] != '\0' &&
	    (r->prefix[0] == '/' || r->prefix[strlen(r->prefix) - 1] != '/' ||
	    strstr(r->prefix, "//") != NULL || strlen(r->prefix) > 512))
		ctx_err(c, line, "prefix", "\"%s\" is not a key prefix (empty, "
		    "or up to 512 bytes ending with / and not starting with /, "
		    "e.g. cairn/host1/)", r->prefix);
	get_readable(c, sec, "access_key_file", "a file holding the access "
	    "key id, readable by cairnd at start-up", &r->access_key_file);
	get_readable(c, sec, "secret_key_file", "a file holding the secret "
	    "access key, readable by cairnd at start-up", &r->secret_key_file);
	get_bool(c, sec, "path_style", &r->path_style);
	get_bool(c, sec, "verify_download", &r->verify_download);
	if ((line = get_str(c, sec, "storage_class", false, "an S3 storage "
	    "class such as STANDARD_IA", &r->storage_class)) > 0)
		for (s = r->storage_class; *s != '\0'; s++)
			if (!isupper((unsigned char)*s) && *s != '_') {
				ctx_err(c, line, "storage_class", "\"%s\" is "
				    "not a storage class (A-Z and _, such as "
				    "STANDARD_IA)", r->storage_class);
				break;
			}
	get_int(c, sec, "part_size", 5, 512, "MiB per part", &r->part_size_mib);
	get_int(c, sec, "concurrency", 1, 16, "parts in flight",
	    &r->concurrency);
	get_int(c, sec, "bandwidth_limit", 0, 10485760, "KiB/s, 0 for no "
	    "limit", &r->bandwidth_limit_kib);
	get_int(c, rsec, "days", 1, 36500, "a number of days",
	    &r->retention_days);
	get_int(c, rsec, "keep_min", 1, 100000, "a number of copies, at "
	    "least 1", &r->retention_keep_min);
	s3_required(c, r, "endpoint", r->endpoint, "endpoint = "
	    "\"https://s3.REGION.amazonaws.com\"");
	s3_required(c, r, "bucket", r->bucket, "bucket = \"NAME\"");
	s3_required(c, r, "access_key_file", r->access_key_file,
	    "access_key_file = \"/etc/cairn/s3.access\"");
	s3_required(c, r, "secret_key_file", r->secret_key_file,
	    "secret_key_file = \"/etc/cairn/s3.secret\"");
}

void
s3_build(struct ctx *c, struct conf *cf)
{
	unsigned int	 n = cfg_size(c->cfg, "s3");
	cfg_t		*dsec = cfg_getsec(c->cfg, "defaults");

	cf->s3 = xcalloc(n + 1, sizeof(*cf->s3));
	for (unsigned int i = 0; i < n; i++)
		s3_build_one(c, cfg_getnsec(c->cfg, "s3", i),
		    &cf->s3[cf->ns3++]);
	/* every upload names a remote; "" means none */
	for (size_t i = 0; i < cf->njobs; i++) {
		struct job_conf	*j = &cf->jobs[i];
		cfg_t		*sec;
		int		 line;

		if (j->upload == NULL)
			continue;
		if (j->upload[0] == '\0') {
			free(j->upload);
			j->upload = NULL;
			continue;
		}
		if (conf_s3_find(cf, j->upload) != NULL)
			continue;
		sec = cfg_gettsec(c->cfg, conf_kind_name(j->kind), j->name);
		line = sec != NULL && opt_str(sec, "upload") != NULL ?
		    opt_line(c, sec, "upload") : opt_line(c, dsec, "upload");
		ctx_err(c, line, "upload", "job %s: no s3 section named \"%s\" "
		    "(the name of an s3 NAME { ... } section, or \"\" for "
		    "none)", j->name, j->upload);
	}
}
