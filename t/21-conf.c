/* t/21-conf.c -- conf: defaults, inheritance, env expansion, lists, ids */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/conf.h"
#include "cairn/util.h"
#include "tap.h"

static char	*dir;
static char	*errbuf;

/* Writes text to DIR/name.conf and loads it; errbuf gets the messages. */
static struct conf *
load(const char *name, const char *text)
{
	struct conf	*cf;
	FILE		*fp, *errs;
	char		*path;
	size_t		 len;

	path = xasprintf("%s/%s.conf", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		bail("cannot write %s", path);
	fputs(text, fp);
	fclose(fp);
	free(errbuf);
	errbuf = NULL;
	if ((errs = open_memstream(&errbuf, &len)) == NULL)
		bail("open_memstream");
	cf = conf_load(path, errs);
	fclose(errs);
	if (errbuf[0] != '\0')
		diag("%s", errbuf);
	unlink(path);
	free(path);
	return cf;
}

static void
test_defaults(void)
{
	struct conf	*cf;

	cf = load("empty", "# nothing but a comment\n");
	ok(cf != NULL, "an empty file is a valid config");
	if (cf == NULL) {
		skip(12, "no config");
		return;
	}
	is_str(cf->backup_dir, "/var/backups/cairn", "backup_dir default");
	is_str(cf->log_file, "/var/backups/cairn/backup.log",
	    "log_file defaults to <backup_dir>/backup.log");
	is_str(cf->audit_log, "/var/backups/cairn/audit.log",
	    "audit_log defaults to <backup_dir>/audit.log");
	is_str(cf->control_socket, "/run/cairn/cairnd.sock",
	    "control_socket default");
	ok(cf->user == NULL && cf->uid == (uid_t)-1 && cf->metrics_file == NULL,
	    "no user and no metrics file by default");
	ok(cf->max_workers == 2 && cf->heartbeat_interval == 5 &&
	    cf->heartbeat_timeout == 60 && cf->shutdown_timeout == 30,
	    "worker and timing defaults 2/5/60/30");
	is_str(cf->timezone, "UTC", "timezone default");
	is_int(cf->file_mode, 0600, "file_mode default 0600");
	ok(cf->retention.days == 7 && cf->retention.keep_min == 1 &&
	    cf->retention.keep_daily == 0 && cf->retention.keep_monthly == 0,
	    "retention defaults: 7 days, keep_min 1, no GFS rules");
	is_str(cf->retention.schedule, "30 */6 * * *", "prune schedule");
	ok(cf->verify.after_backup && !cf->verify.restore_test &&
	    strcmp(cf->verify.schedule, "15 3 * * *") == 0,
	    "verify defaults");
	is_int(cf->njobs, 0, "no jobs");
	conf_free(cf);
}

static void
test_inheritance(void)
{
	struct conf		*cf;
	const struct job_conf	*a, *b, *m;

	cf = load("inherit",
	    "log_file = \"\"\n"
	    "backup_dir = \"/srv/backups/\"\n"
	    "defaults {\n"
	    "  schedule = \"0 1 * * *\"\n"
	    "  retries = 5\n"
	    "  compression = zstd\n"
	    "  compression_level = 15\n"
	    "}\n"
	    "sqlite a { path = \"/data/a.db\" }\n"
	    "mysql m {\n"
	    "  host = \"db\"\n"
	    "  databases = { \"app\", \"billing\" }\n"
	    "  exclude_tables = { \"app.sessions\" }\n"
	    "  compression = gzip\n"
	    "  compression_level = 9\n"
	    "}\n"
	    "sqlite b {\n"
	    "  path = \"/data/b.db\"\n"
	    "  schedule = \"*/30 * * * *\"\n"
	    "  retries = 0\n"
	    "  run_at_start = false\n"
	    "  compression = none\n"
	    "}\n");
	ok(cf != NULL, "a config with defaults and overrides loads");
	if (cf == NULL) {
		skip(15, "no config");
		return;
	}
	is_str(cf->backup_dir, "/srv/backups", "trailing slash removed");
	is_str(cf->log_file, "", "log_file = \"\" turns the log file off");
	is_int(cf->njobs, 3, "three jobs");
	ok(cf->jobs[0].kind == JOB_SQLITE && cf->jobs[1].kind == JOB_MYSQL &&
	    cf->jobs[2].kind == JOB_SQLITE, "jobs keep the order of the file");
	a = conf_job_find(cf, "a");
	b = conf_job_find(cf, "b");
	m = conf_job_find(cf, "m");
	if (a == NULL || b == NULL || m == NULL) {
		ok(0, "conf_job_find finds every job");
		skip(10, "a job is missing");
		conf_free(cf);
		return;
	}
	ok(conf_job_find(cf, "c") == NULL, "conf_job_find: unknown name");
	ok(strcmp(a->schedule, "0 1 * * *") == 0 && a->retries == 5 &&
	    a->run_at_start, "a inherits schedule and retries from defaults");
	ok(a->compression == COMPRESS_ZSTD && a->compression_level == 15,
	    "a inherits compression zstd level 15");
	ok(strcmp(b->schedule, "*/30 * * * *") == 0 && b->retries == 0 &&
	    !b->run_at_start && b->compression == COMPRESS_NONE,
	    "b overrides schedule, retries, run_at_start and compression");
	is_str(b->path, "/data/b.db", "sqlite path");
	ok(m->compression == COMPRESS_GZIP && m->compression_level == 9,
	    "m overrides compression and level");
	ok(m->db.port == 3306 && m->db.ssl_mode == SSL_MODE_PREFERRED &&
	    m->db.connect_timeout == 10 && m->db.read_timeout == 300 &&
	    m->lock_wait_timeout == 60 && m->connect_retry == 120 &&
	    !m->checksum && !m->dump_grants && m->db.socket == NULL &&
	    m->db.password_file == NULL, "mysql defaults");
	ok(m->databases[0] != NULL && strcmp(m->databases[0], "app") == 0 &&
	    m->databases[1] != NULL &&
	    strcmp(m->databases[1], "billing") == 0 &&
	    m->databases[2] == NULL, "databases list, NULL-terminated");
	ok(m->exclude_tables[0] != NULL &&
	    strcmp(m->exclude_tables[0], "app.sessions") == 0 &&
	    m->exclude_tables[1] == NULL, "exclude_tables list");
	ok(a->databases != NULL && a->databases[0] == NULL,
	    "an sqlite job has an empty databases list");
	is_str(conf_kind_name(m->kind), "mysql", "conf_kind_name");
	conf_free(cf);
}

static void
test_env(void)
{
	struct conf		*cf;
	const struct job_conf	*m;

	setenv("CT_HOST", "db1.example", 1);
	setenv("CT_EMPTY", "", 1);
	setenv("CT_ODD", "a\"b\\c$d{e}", 1);
	setenv("CT_PORT", "3310", 1);
	setenv("CT_DB", "billing", 1);
	unsetenv("CT_UNSET");
	cf = load("env",
	    "metrics_file = \"/m/${CT_ODD}.prom\"\n"
	    "timezone = ${CT_UNSET:-UTC}\n"
	    "mysql m {\n"
	    "  host = \"${CT_HOST}\"\n"
	    "  port = ${CT_PORT}\n"
	    "  user = \"${CT_EMPTY:-backup}\"\n"
	    "  databases = { \"${CT_UNSET:-app}\", ${CT_HOST}, 'x${CT_HOST}' }\n"
	    "  connect_timeout = ${CT_UNSET:-7}\n"
	    "  ssl_mode = \"\\${CT_HOST}\"\n"
	    "}\n");
	ok(cf == NULL, "\\$ keeps a literal ${ (and ssl_mode rejects it)");
	ok(errbuf != NULL && strstr(errbuf, ":9: ssl_mode: \"${CT_HOST}\" is "
	    "not an ssl_mode") != NULL, "the escaped reference stays literal");
	conf_free(cf);

	cf = load("env2",
	    "metrics_file = \"/m/${CT_ODD}.prom\"\n"
	    "timezone = ${CT_UNSET:-UTC}\n"
	    "mysql m {\n"
	    "  host = \"${CT_HOST}\"\n"
	    "  port = ${CT_PORT}\n"
	    "  user = \"${CT_EMPTY:-backup}\"\n"
	    "  databases = { \"${CT_UNSET:-app}\", ${CT_DB}, 'x${CT_HOST}' }\n"
	    "  connect_timeout = ${CT_UNSET:-7}\n"
	    "}\n");
	ok(cf != NULL, "a config with ${} references loads");
	if (cf == NULL) {
		skip(7, "no config");
		return;
	}
	m = &cf->jobs[0];
	is_str(m->db.host, "db1.example", "${VAR} in a quoted string");
	is_int(m->db.port, 3310, "${VAR} as an integer");
	is_str(m->db.user, "backup", "${VAR:-default} when VAR is empty");
	is_int(m->db.connect_timeout, 7, "${VAR:-7} when VAR is unset");
	ok(strcmp(m->databases[0], "app") == 0 &&
	    strcmp(m->databases[1], "billing") == 0 &&
	    strcmp(m->databases[2], "x${CT_HOST}") == 0,
	    "in lists; single quotes stay literal");
	is_str(cf->metrics_file, "/m/a\"b\\c$d{e}.prom",
	    "quotes, backslashes and $ in a value arrive unchanged");
	conf_free(cf);

	/* nested defaults follow the shell: ${A:-${B:-x}} */
	cf = load("env4",
	    "backup_dir = \"/b/${CT_UNSET:-${CT_UNSET:-x}}/${CT_EMPTY:-"
	    "${CT_HOST:-no}}/${CT_UNSET:-a${CT_DB}b}/${CT_HOST:-${CT_NOPE}}\"\n"
	    "retention {\n  days = ${CT_UNSET:-${CT_EMPTY:-${CT_PORT}}}\n}\n");
	ok(cf != NULL && strcmp(cf->backup_dir, "/b/x/db1.example/abillingb/"
	    "db1.example") == 0 && cf->retention.days == 3310,
	    "nested ${A:-${B:-x}} defaults expand like the shell's");
	conf_free(cf);
	cf = load("env5", "backup_dir = \"${CT_UNSET:-${CT_UNSET}}\"\n");
	ok(cf == NULL && errbuf != NULL && strstr(errbuf, ":1: backup_dir: "
	    "${CT_UNSET} is not set") != NULL,
	    "an unset variable inside a used default is an error");
	conf_free(cf);

	cf = load("env3", "\n\nbackup_dir = \"${CT_UNSET}\"\n");
	ok(cf == NULL && errbuf != NULL && strstr(errbuf, ":3: backup_dir: "
	    "${CT_UNSET} is not set") != NULL,
	    "an unset variable without default is an error on its line");
	conf_free(cf);
}

static void
test_retention_env(void)
{
	struct conf	*cf;
	const char	*text = "retention {\n  days = 14\n}\n";

	setenv("BACKUP_RETENTION_DAYS", "30", 1);
	cf = load("ret1", text);
	ok(cf != NULL && cf->retention.days == 30,
	    "BACKUP_RETENTION_DAYS=30 overrides days = 14");
	conf_free(cf);
	setenv("BACKUP_RETENTION_DAYS", "0", 1);
	cf = load("ret2", text);
	ok(cf != NULL && cf->retention.days == 14 &&
	    strstr(errbuf, "warning: BACKUP_RETENTION_DAYS: \"0\"") != NULL,
	    "BACKUP_RETENTION_DAYS=0 is ignored with a warning");
	conf_free(cf);
	unsetenv("BACKUP_RETENTION_DAYS");
	cf = load("ret3", text);
	ok(cf != NULL && cf->retention.days == 14, "unset: days = 14");
	conf_free(cf);
	cf = load("ret4", "retention {\n  days = ${BACKUP_RETENTION_DAYS:-9}\n"
	    "  keep_min = 0\n  keep_weekly = 4\n}\n");
	ok(cf != NULL && cf->retention.days == 9 &&
	    cf->retention.keep_min == 0 && cf->retention.keep_weekly == 4,
	    "days = ${BACKUP_RETENTION_DAYS:-9}");
	conf_free(cf);
}

static void
test_ids(void)
{
	struct conf	*cf;
	struct passwd	*pw;
	struct group	*gr;
	uid_t		 nobody_uid;
	gid_t		 nobody_gid;

	if ((pw = getpwnam("nobody")) == NULL)
		bail("no user nobody");
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	cf = load("ids1", "user = \"nobody\"\n");
	ok(cf != NULL && cf->uid == nobody_uid && cf->gid == nobody_gid &&
	    cf->socket_gid == nobody_gid,
	    "user nobody: uid, primary gid and socket gid");
	conf_free(cf);
	cf = load("ids2", "user = \"nobody\"\ngroup = \"root\"\n"
	    "socket_group = \"root\"\n");
	ok(cf != NULL && cf->uid == nobody_uid && cf->gid == 0 &&
	    cf->socket_gid == 0, "group and socket_group root: gid 0");
	conf_free(cf);
	cf = load("ids3", "user = \"root\"\n");
	ok(cf != NULL && cf->uid == 0 && cf->gid == 0, "user root: 0/0");
	conf_free(cf);
	gr = getgrgid(nobody_gid);
	cf = load("ids4", "user = \"65534\"\ngroup = \"65534\"\n");
	ok(cf != NULL && cf->uid == 65534 && cf->gid == 65534,
	    "numeric uid and gid are taken as they are%s",
	    gr != NULL ? "" : " (no such group here)");
	conf_free(cf);
}

static void
test_summary(void)
{
	struct conf	*cf;
	char		*out = NULL;
	size_t		 len;
	FILE		*fp;

	cf = load("sum", "sqlite a { path = \"/a.db\" }\n"
	    "mysql b { socket = \"/run/mysqld/mysqld.sock\" }\n");
	if (cf == NULL) {
		skip(1, "no config");
		return;
	}
	fp = open_memstream(&out, &len);
	conf_summary(cf, fp);
	fclose(fp);
	ok(strstr(out, ": ok: 2 jobs (1 mysql, 1 sqlite), backup_dir "
	    "/var/backups/cairn, retention 7 days") != NULL &&
	    strchr(out, '\n') == out + len - 1, "summary is one line");
	free(out);
	conf_free(cf);
}

/* dump_grants: off, set in defaults, overridden per job, only a boolean */
static void
test_dump_grants(void)
{
	struct conf		*cf;
	const struct job_conf	*x, *y;

	cf = load("grants", "defaults { dump_grants = true }\n"
	    "mysql x { socket = \"/run/mysqld/mysqld.sock\" }\n"
	    "mysql y { socket = \"/run/mysqld/mysqld.sock\"\n"
	    "  dump_grants = no }\n");
	x = cf != NULL ? conf_job_find(cf, "x") : NULL;
	y = cf != NULL ? conf_job_find(cf, "y") : NULL;
	ok(x != NULL && y != NULL && x->dump_grants && !y->dump_grants,
	    "dump_grants from defaults, overridden by a job");
	conf_free(cf);
	cf = load("grants2", "mysql x { socket = \"/s\"\n"
	    "  dump_grants = maybe }\n");
	ok(cf == NULL && errbuf != NULL && strstr(errbuf, "dump_grants") !=
	    NULL && strstr(errbuf, "not a boolean") != NULL,
	    "dump_grants = maybe: an error naming the option");
	conf_free(cf);
}

/* found by fuzz/fuzz_conf: a value quoted in a message kept its newline */
static void
test_message_escapes(void)
{
	struct conf	*cf;
	char		*nl;

	cf = load("ctrl", "sqlite \"my\napp\" {\n"
	    "  path = \"/a.db\"\n"
	    "}\n"
	    "backup_dir = \"/srv/\tb\"\n");
	ok(cf == NULL, "a job name and a path with control characters fail");
	conf_free(cf);
	nl = errbuf != NULL ? strchr(errbuf, '\n') : NULL;
	ok(nl != NULL && strchr(nl + 1, '\n') != NULL &&
	    strchr(strchr(nl + 1, '\n') + 1, '\n') == NULL,
	    "two problems, two lines");
	ok(errbuf != NULL && strstr(errbuf, "\"my\\napp\"") != NULL,
	    "the newline in the name is printed as \\n");
	ok(errbuf != NULL && strstr(errbuf, "\t") == NULL,
	    "no raw control character in the messages");
}

int
main(void)
{
	plan(56);
	unsetenv("BACKUP_RETENTION_DAYS");
	unsetenv("TZDIR");
	dir = tap_tmpdir();
	test_defaults();
	test_inheritance();
	test_env();
	test_retention_env();
	test_ids();
	test_summary();
	test_message_escapes();
	test_dump_grants();
	free(errbuf);
	rmdir(dir);
	free(dir);
	return tap_exit();
}
