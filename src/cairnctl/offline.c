/*
 * offline.c -- cairnctl commands that read the backup folder directly:
 * list (the catalog, or the files when there is no catalog) and audit.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/ctlproto.h"
#include "cairn/errors.h"
#include "cairn/util.h"
#include "cairnctl.h"

/* -- list --------------------------------------------------------------- */

static int
art_newest_first(const void *a, const void *b)
{
	const struct artifact	*x = a, *y = b;

	if (x->started != y->started)
		return x->started < y->started ? 1 : -1;
	return strcmp(x->path, y->path);
}

/* No catalog: every JOB/NAME that parses as an artifact name. */
static int
list_scan(const char *dir, const char *job, struct artifact **out,
    size_t *n)
{
	DIR		*d, *jd;
	struct dirent	*de, *je;
	struct stat	 sb;
	struct artifact	*v = NULL;
	size_t		 nv = 0;
	char		*p;

	if ((d = opendir(dir)) == NULL) {
		cli_warnx("%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (job != NULL && strcmp(de->d_name, job) != 0))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		jd = opendir(p);
		free(p);
		if (jd == NULL)
			continue;
		while ((je = readdir(jd)) != NULL) {
			struct artifact		 a;
			enum compress_kind	 ck;

			memset(&a, 0, sizeof(a));
			if (catalog_parse_name(je->d_name, a.job,
			    sizeof(a.job), &a.kind, &a.started, &ck) == -1 ||
			    strcmp(a.job, de->d_name) != 0)
				continue;
			snprintf(a.path, sizeof(a.path), "%s/%s", de->d_name,
			    je->d_name);
			p = xasprintf("%s/%s", dir, a.path);
			if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
				a.stored_bytes = (uint64_t)sb.st_size;
				a.finished = sb.st_mtime;
				a.status = ART_UNVERIFIED;
				v = xreallocarray(v, nv + 1, sizeof(*v));
				v[nv++] = a;
			}
			free(p);
		}
		closedir(jd);
	}
	closedir(d);
	if (nv > 0)
		qsort(v, nv, sizeof(*v), art_newest_first);
	*out = v;
	*n = nv;
	return 0;
}

/* list --remote: the off-site copies the catalog records. */
static int
list_remote(struct cli *c, const char *job)
{
	struct catalog		*cat;
	struct remote_copy	*v = NULL;
	struct buf		 b = { 0 };
	char			 err[512], t1[32], sz[32];
	size_t			 n = 0;

	if ((cat = catalog_open(c->backup_dir, CATALOG_RDONLY, err,
	    sizeof(err))) == NULL) {
		cli_warnx("%s", err);
		return CAIRN_E_NOINPUT;
	}
	if (catalog_remote_list(cat, job, &v, &n) == -1) {
		cli_warnx("%s: %s", c->backup_dir, catalog_error(cat));
		catalog_close(cat);
		return CAIRN_E_IOERR;
	}
	catalog_close(cat);
	if (c->json)
		ctl_buf_printf(&b, "{\"remote_copies\":[");
	else if (n > 0)
		ctl_buf_printf(&b, "%-10s %-60s %10s %-20s %s\n", "REMOTE",
		    "KEY", "SIZE", "UPLOADED", "ETAG");
	for (size_t i = 0; i < n; i++) {
		const struct remote_copy	*r = &v[i];

		if (c->json) {
			ctl_buf_printf(&b, "%s{\"remote\":", i > 0 ? "," : "");
			ctl_buf_json_str(&b, r->remote);
			ctl_buf_printf(&b, ",\"key\":");
			ctl_buf_json_str(&b, r->key);
			ctl_buf_printf(&b, ",\"path\":");
			ctl_buf_json_str(&b, r->path);
			ctl_buf_printf(&b, ",\"size\":%llu,\"sha256\":",
			    (unsigned long long)r->size);
			ctl_buf_json_str(&b, r->sha256);
			ctl_buf_printf(&b, ",\"etag\":");
			ctl_buf_json_str(&b, r->etag);
			ctl_buf_printf(&b, ",\"uploaded\":");
			ctl_buf_json_time(&b, r->uploaded);
			ctl_buf_printf(&b, ",\"verified_at\":");
			ctl_buf_json_time(&b, r->verified_at);
			ctl_buf_printf(&b, "}");
			continue;
		}
		util_utc_stamp(t1, sizeof(t1), r->uploaded);
		ctl_human_bytes(sz, sizeof(sz), r->size);
		ctl_buf_printf(&b, "%-10s %-60s %10s %-20s %s\n", r->remote,
		    r->key, sz, t1, r->etag);
	}
	if (c->json)
		ctl_buf_printf(&b, "]}\n");
	else if (n == 0)
		ctl_buf_printf(&b, "no remote copies%s%s\n", job ? " for " : "",
		    job ? job : "");
	if (b.p != NULL)
		fputs(b.p, stdout);
	buf_free(&b);
	free(v);
	return CAIRN_E_OK;
}

/*
 * Long (99 lines): options, then catalog rows and the folder's own files
 * merged into one listing with one clean-up.
 */
int
cmd_list(struct cli *c, int argc, char **argv)
{
	struct catalog	*cat;
	struct artifact	*v = NULL;
	struct buf	 b = { 0 };
	const char	*job = NULL, *source = "catalog";
	char		 err[512], t1[32], t2[32], sz[32], vis[2048];
	size_t		 n = 0;

	if (argc >= 2 && strcmp(argv[1], "--remote") == 0) {
		if (argc > 3 || (argc == 3 && argv[2][0] == '-')) {
			cli_warnx("usage: list [--remote] [JOB]");
			return CAIRN_E_USAGE;
		}
		return list_remote(c, argc == 3 ? argv[2] : NULL);
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		cli_warnx("usage: list [--remote] [JOB]");
		return CAIRN_E_USAGE;
	}
	if (argc == 2)
		job = argv[1];
	cat = catalog_open(c->backup_dir, CATALOG_RDONLY, err, sizeof(err));
	if (cat != NULL) {
		if (catalog_list(cat, job, &v, &n) == -1) {
			cli_warnx("%s: %s", c->backup_dir, catalog_error(cat));
			catalog_close(cat);
			return CAIRN_E_IOERR;
		}
		catalog_close(cat);
	} else if (errno == ENOENT) {
		source = "files";
		if (!c->json)
			cli_warnx("%s: no catalog, listing the files "
			    "(not verified)", c->backup_dir);
		if (list_scan(c->backup_dir, job, &v, &n) == -1)
			return CAIRN_E_NOINPUT;
	} else {
		cli_warnx("%s", err);
		return CAIRN_E_NOINPUT;
	}

	if (c->json) {
		ctl_buf_printf(&b, "{\"backup_dir\":");
		ctl_buf_json_str(&b, c->backup_dir);
		ctl_buf_printf(&b, ",\"source\":\"%s\",\"artifacts\":[",
		    source);
	} else if (n > 0)
		ctl_buf_printf(&b, "%-56s %-20s %10s %-13s %s\n", "ARTIFACT",
		    "STARTED", "SIZE", "STATUS", "VERIFIED");
	for (size_t i = 0; i < n; i++) {
		const struct artifact	*a = &v[i];

		if (c->json) {
			ctl_buf_printf(&b, "%s{\"path\":", i > 0 ? "," : "");
			ctl_buf_json_str(&b, a->path);
			ctl_buf_printf(&b, ",\"job\":");
			ctl_buf_json_str(&b, a->job);
			ctl_buf_printf(&b, ",\"kind\":\"%s\",\"started\":",
			    conf_kind_name(a->kind));
			ctl_buf_json_time(&b, a->started);
			ctl_buf_printf(&b, ",\"finished\":");
			ctl_buf_json_time(&b, a->finished);
			ctl_buf_printf(&b, ",\"raw_bytes\":%llu,"
			    "\"stored_bytes\":%llu,\"sha256\":",
			    (unsigned long long)a->raw_bytes,
			    (unsigned long long)a->stored_bytes);
			ctl_buf_json_str(&b, a->sha256[0] ? a->sha256 : NULL);
			ctl_buf_printf(&b, ",\"status\":\"%s\",\"verified_at\":",
			    catalog_status_name(a->status));
			ctl_buf_json_time(&b, a->verified_at);
			ctl_buf_printf(&b, ",\"verify_result\":");
			ctl_buf_json_str(&b, a->verify_result[0] ?
			    a->verify_result : NULL);
			ctl_buf_printf(&b, "}");
			continue;
		}
		util_utc_stamp(t1, sizeof(t1), a->started);
		if (a->verified_at > 0)
			util_utc_stamp(t2, sizeof(t2), a->verified_at);
		else
			snprintf(t2, sizeof(t2), "-");
		ctl_human_bytes(sz, sizeof(sz), a->stored_bytes);
		/* a name from the folder: never raw to a terminal */
		util_vis(vis, sizeof(vis), a->path);
		ctl_buf_printf(&b, "%-56s %-20s %10s %-13s %s\n", vis, t1,
		    sz, catalog_status_name(a->status), t2);
	}
	if (c->json)
		ctl_buf_printf(&b, "]}\n");
	else if (n == 0)
		ctl_buf_printf(&b, "no artifacts%s%s\n", job ? " for " : "",
		    job ? job : "");
	if (b.p != NULL)
		fputs(b.p, stdout);
	buf_free(&b);
	free(v);
	return CAIRN_E_OK;
}

/* -- audit -------------------------------------------------------------- */

struct audit_print {
	bool		 json;
	size_t		 n;
	const char	*job;		/* --job: NULL any */
	const char	*event;		/* --event: NULL any */
	int		 counting;	/* first pass: count the matches */
	size_t		 matches;
	size_t		 skip;		/* second pass: matches before the -n */
};

/* Does the record pass --job and --event? */
static bool
audit_match(const struct audit_print *p, const struct audit_record *r)
{
	if (p->job == NULL && p->event == NULL)
		return true;
	if (r->event == NULL)
		return false;
	if (p->event != NULL && strcmp(r->event, p->event) != 0)
		return false;
	if (p->job == NULL)
		return true;
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, "job") == 0 &&
		    r->fields[i].type == AUDIT_STR &&
		    r->fields[i].v.s != NULL &&
		    strcmp(r->fields[i].v.s, p->job) == 0)
			return true;
	return false;
}

/*
 * Long (83 lines): the three shapes of a line (JSON, record, damaged raw
 * text) printed by one switch on the output mode.
 */
static int
audit_print_one(const struct audit_record *r, void *arg)
{
	struct audit_print	*p = arg;

	if (!audit_match(p, r))
		return 0;
	if (p->counting) {
		p->matches++;
		return 0;
	}
	if (p->skip > 0) {
		p->skip--;
		return 0;
	}

	if (p->json) {
		/* lines are JSON already; an unparsable one becomes a string */
		if (p->n++ > 0)
			fputc(',', stdout);
		if (r->event != NULL)
			fwrite(r->line, 1, r->linelen, stdout);
		else {
			struct buf	 b = { 0 };
			char		*s = xmalloc(r->linelen + 1);

			memcpy(s, r->line, r->linelen);
			s[r->linelen] = '\0';
			ctl_buf_printf(&b, "{\"unparsable_line\":%llu,\"text\":",
			    (unsigned long long)r->lineno);
			ctl_buf_json_str(&b, s);
			ctl_buf_printf(&b, "}");
			fputs(b.p, stdout);
			buf_free(&b);
			free(s);
		}
		return 0;
	}
	if (r->event == NULL) {
		struct buf	 b = { 0 };
		char		*s = xmalloc(r->linelen + 1);

		/* the raw line of a damaged file: escaped like any text */
		memcpy(s, r->line, r->linelen);
		s[r->linelen] = '\0';
		ctl_buf_text(&b, s);
		printf("line %llu: unparsable: %s\n",
		    (unsigned long long)r->lineno, b.p != NULL ? b.p : "");
		buf_free(&b);
		free(s);
		return 0;
	}
	printf("%6llu %s %s", (unsigned long long)r->seq, r->time, r->event);
	for (size_t i = 0; i < r->nfields; i++) {
		const struct audit_field	*f = &r->fields[i];
		struct buf			 b = { 0 };

		switch (f->type) {
		case AUDIT_STR:
			if (f->v.s == NULL) {
				printf(" %s=null", f->key);
				break;
			}
			/* stored newlines and escapes stay visible */
			ctl_buf_text(&b, f->v.s);
			if (strpbrk(f->v.s, " \t\"") != NULL ||
			    f->v.s[0] == '\0')
				printf(" %s=\"%s\"", f->key, b.p != NULL ?
				    b.p : "");
			else
				printf(" %s=%s", f->key, b.p);
			buf_free(&b);
			break;
		case AUDIT_INT:
			printf(" %s=%lld", f->key, (long long)f->v.i);
			break;
		case AUDIT_UINT:
			printf(" %s=%llu", f->key, (unsigned long long)f->v.u);
			break;
		}
	}
	putchar('\n');
	return 0;
}

/*
 * Long (140 lines): options, the chain check and the filters share the open
 * file and the counts; split it when a filter is added.
 */
int
cmd_audit(struct cli *c, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "verify",	no_argument,		NULL, 'v' },
		{ "file",	required_argument,	NULL, 'F' },
		{ "anchor",	required_argument,	NULL, 'a' },
		{ "job",	required_argument,	NULL, 'j' },
		{ "event",	required_argument,	NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_report	 rep;
	struct audit_print	 p = { .json = c->json };
	const char		*path = c->audit_log, *anchor = NULL;
	char			 err[512], *end, head[65];
	unsigned long long	 anchor_seq = 0;
	size_t			 n = 20;
	int			 ch, verify = 0;

	optind = 0;	/* glibc: re-initialise getopt */
	while ((ch = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-') {
				cli_warnx("audit: -n %s: expected a count "
				    "(0: all)", optarg);
				return CAIRN_E_USAGE;
			}
			break;
		case 'v':
			verify = 1;
			break;
		case 'F':
			path = optarg;
			break;
		case 'a':
			anchor = optarg;
			break;
		case 'j':
			p.job = optarg;
			break;
		case 'e':
			p.event = optarg;
			break;
		default:
			cli_warnx("usage: audit [--verify [--anchor SEQ:HASH]] "
			    "[-n N] [--job JOB] [--event EVENT] [--file FILE]");
			return CAIRN_E_USAGE;
		}
	}
	if (optind != argc) {
		cli_warnx("usage: audit [--verify [--anchor SEQ:HASH]] [-n N] "
		    "[--job JOB] [--event EVENT] [--file FILE]");
		return CAIRN_E_USAGE;
	}
	if (anchor != NULL) {
		errno = 0;
		anchor_seq = strtoull(anchor, &end, 10);
		if (errno != 0 || *end != ':' || strlen(end + 1) != 64 ||
		    strspn(end + 1, "0123456789abcdef") != 64) {
			cli_warnx("audit: --anchor %s: expected SEQ:HASH (a "
			    "sequence number and 64 lowercase hex digits)",
			    anchor);
			return CAIRN_E_USAGE;
		}
		memcpy(head, end + 1, sizeof(head));
	}

	if (verify) {
		int	 rc = audit_verify(path, anchor_seq,
		    anchor != NULL ? head : NULL, &rep);

		if (rc == -1 && errno != EBADMSG) {
			cli_warnx("audit: %s: %s", path, rep.reason);
			return CAIRN_E_NOINPUT;
		}
		if (c->json) {
			struct buf	 b = { 0 };

			ctl_buf_printf(&b, "{\"file\":");
			ctl_buf_json_str(&b, path);
			ctl_buf_printf(&b, ",\"intact\":%s,\"lines\":%llu,"
			    "\"last_seq\":%llu,\"head\":", rc == 0 ? "true" :
			    "false", (unsigned long long)rep.lines,
			    (unsigned long long)rep.last_seq);
			ctl_buf_json_str(&b, rep.head);
			ctl_buf_printf(&b, ",\"bad_line\":");
			if (rc == 0)
				ctl_buf_printf(&b, "null,\"reason\":null");
			else {
				ctl_buf_printf(&b, "%llu,\"reason\":",
				    (unsigned long long)rep.bad_line);
				ctl_buf_json_str(&b, rep.reason);
			}
			ctl_buf_printf(&b, ",\"time_backwards\":%llu}\n",
			    (unsigned long long)rep.time_backwards);
			fputs(b.p, stdout);
			buf_free(&b);
		} else if (rc == 0) {
			printf("%s: intact: %llu lines, last seq %llu, head "
			    "%s\n", path, (unsigned long long)rep.lines,
			    (unsigned long long)rep.last_seq, rep.head);
			if (rep.time_backwards > 0)
				printf("%s: note: time went backwards %llu "
				    "times (clock steps)\n", path,
				    (unsigned long long)rep.time_backwards);
		} else
			printf("%s: BROKEN at line %llu: %s (%llu lines "
			    "checked out)\n", path,
			    (unsigned long long)rep.bad_line, rep.reason,
			    (unsigned long long)rep.lines);
		return rc == 0 ? CAIRN_E_OK : CAIRN_E_VERIFY;
	}

	if (p.job != NULL || p.event != NULL) {
		/* the last n that match: count them, then skip the rest */
		p.counting = 1;
		if (audit_tail(path, 0, audit_print_one, &p, err,
		    sizeof(err)) == -1) {
			cli_warnx("audit: %s", err);
			return CAIRN_E_NOINPUT;
		}
		p.counting = 0;
		p.skip = n > 0 && p.matches > n ? p.matches - n : 0;
		n = 0;
	}
	if (c->json)
		fputc('[', stdout);
	if (audit_tail(path, n, audit_print_one, &p, err, sizeof(err)) ==
	    -1) {
		if (c->json)
			fputs("]\n", stdout);
		cli_warnx("audit: %s", err);
		return CAIRN_E_NOINPUT;
	}
	if (c->json)
		fputs("]\n", stdout);
	return CAIRN_E_OK;
}
