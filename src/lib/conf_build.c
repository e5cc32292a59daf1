/* conf_build.c -- typed getters, the db connection, the global sections */
#include "config.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairn/rootfs.h"
#include "cairn/util.h"
#include "conf_int.h"

/* Reading typed values.  Each returns the line the value was set on, 0 if
 * the option is not set (the output is left alone), -1 after an error. */
const char *
opt_str(cfg_t *sec, const char *name)
{
	if (sec == NULL || cfg_size(sec, name) == 0)
		return NULL;
	return cfg_getstr(sec, name);
}

int
sec_line(struct ctx *c, cfg_t *sec)
{
	struct line_rec	*r;

	if (sec == NULL)
		return 0;
	r = line_find(c, sec);
	return r != NULL ? r->line : 0;
}

int
opt_line(struct ctx *c, cfg_t *sec, const char *name)
{
	struct line_rec	*r;

	if ((r = line_find(c, cfg_getopt(sec, name))) != NULL)
		return r->line;
	return sec_line(c, sec);
}

int
get_int(struct ctx *c, cfg_t *sec, const char *name, long min, long max,
    const char *unit, int *out)
{
	const char	*s = opt_str(sec, name);
	char		*end;
	long		 v;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || isspace((unsigned char)*s) || *end != '\0' ||
	    errno == ERANGE) {
		ctx_err(c, line, name, "\"%s\" is not a whole number (%s from "
		    "%ld to %ld)", s, unit, min, max);
		return -1;
	}
	if (v < min || v > max) {
		ctx_err(c, line, name, "%ld is out of range (%s from %ld to "
		    "%ld)", v, unit, min, max);
		return -1;
	}
	*out = (int)v;
	return line;
}

/*
 * A whole number with an optional one-letter unit from units (mult[i] for
 * units[i]); the result must lie in [min, max].
 */
int
get_scaled(struct ctx *c, cfg_t *sec, const char *name, const char *units,
    const int64_t *mult, int64_t min, int64_t max, const char *expect,
    int64_t *out)
{
	const char	*s = opt_str(sec, name), *u;
	char		*end;
	long long	 v;
	int64_t		 m = 1;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end != s && *end != '\0' && end[1] == '\0' &&
	    (u = strchr(units, *end)) != NULL) {
		m = mult[u - units];
		end++;
	}
	if (*s == '\0' || !isdigit((unsigned char)*s) || *end != '\0' ||
	    errno == ERANGE || v > max / m) {
		ctx_err(c, line, name, "\"%s\" is not %s (%s, at most %lld "
		    "seconds or bytes)", s, errno == ERANGE || (*end == '\0' &&
		    isdigit((unsigned char)*s)) ? "in range" : "a valid value",
		    expect, (long long)max);
		return -1;
	}
	if (v * m < min) {
		ctx_err(c, line, name, "%s is out of range (%s, at least %lld)",
		    s, expect, (long long)min);
		return -1;
	}
	*out = v * m;
	return line;
}

static const int64_t dur_mult[] = { 1, 60, 3600, 86400, 604800 };
const int64_t conf_size_mult[] = {
	1024, 1024LL * 1024, 1024LL * 1024 * 1024,
	1024LL * 1024 * 1024 * 1024,
	1024, 1024LL * 1024, 1024LL * 1024 * 1024,
	1024LL * 1024 * 1024 * 1024,
};

int
get_duration(struct ctx *c, cfg_t *sec, const char *name, int64_t max,
    int *out)
{
	int64_t	 v;
	int	 line;

	if ((line = get_scaled(c, sec, name, "smhdw", dur_mult, 0, max,
	    EXPECT_DURATION, &v)) > 0)
		*out = (int)v;
	return line;
}

int
get_bool(struct ctx *c, cfg_t *sec, const char *name, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	const char	*s = opt_str(sec, name);
	size_t		 i;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return line;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return line;
		}
	}
	ctx_err(c, line, name, "\"%s\" is not a boolean (true or false)", s);
	return -1;
}

int
get_enum(struct ctx *c, cfg_t *sec, const char *name,
    const char *const *names, const char *expect, int *out)
{
	const char	*s = opt_str(sec, name);
	int		 i, line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return line;
		}
	ctx_err(c, line, name, "\"%s\" is not %s", s, expect);
	return -1;
}

bool
has_ctrl(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* A string without control characters; empty only if empty_ok. */
int
get_str(struct ctx *c, cfg_t *sec, const char *name, bool empty_ok,
    const char *expect, char **out)
{
	const char	*s = opt_str(sec, name);
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	if (*s == '\0' && !empty_ok) {
		ctx_err(c, line, name, "empty value (%s)", expect);
		return -1;
	}
	if (has_ctrl(s)) {
		ctx_err(c, line, name, "value contains a control character "
		    "(%s)", expect);
		return -1;
	}
	free(*out);
	*out = xstrdup(s);
	return line;
}

/* An absolute path (or "" if empty_ok), trailing slashes removed. */
int
get_path(struct ctx *c, cfg_t *sec, const char *name, bool empty_ok,
    char **out)
{
	const char	*s = opt_str(sec, name);
	size_t		 n;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	if (*s == '\0' && empty_ok) {
		free(*out);
		*out = xstrdup("");
		return line;
	}
	if (*s == '\0') {
		ctx_err(c, line, name, "empty path (%s)", EXPECT_PATH);
		return -1;
	}
	if (*s != '/') {
		ctx_err(c, line, name, "\"%s\" is a relative path (%s)", s,
		    EXPECT_PATH);
		return -1;
	}
	if (has_ctrl(s)) {
		ctx_err(c, line, name, "path contains a control character "
		    "(%s)", EXPECT_PATH);
		return -1;
	}
	if (strlen(s) >= PATH_MAX) {
		ctx_err(c, line, name, "path is too long (at most %d bytes)",
		    PATH_MAX - 1);
		return -1;
	}
	free(*out);
	*out = xstrdup(s);
	for (n = strlen(*out); n > 1 && (*out)[n - 1] == '/'; n--)
		(*out)[n - 1] = '\0';
	return line;
}

/* A file cairnd must be able to read at start-up (secrets, TLS files). */
int
get_readable(struct ctx *c, cfg_t *sec, const char *name, const char *what,
    char **out)
{
	struct stat	 st;
	int		 line, fd;

	if ((line = get_path(c, sec, name, false, out)) <= 0)
		return line;
	if (c->held != NULL && c->held(*out, c->held_arg))
		return line;
	fd = open(*out, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		ctx_err(c, line, name, "%s: %s (%s)", *out, strerror(errno),
		    what);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		ctx_err(c, line, name, "%s: not a regular file (%s)", *out,
		    what);
		close(fd);
		return -1;
	}
	close(fd);
	return line;
}

int
get_cron(struct ctx *c, cfg_t *sec, const char *name, char **str,
    struct cron_expr *ce)
{
	const char		*s = opt_str(sec, name);
	struct cron_expr	 tmp;
	char			 err[256];
	int			 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	if (cron_parse(&tmp, s, err, sizeof(err)) == -1) {
		ctx_err(c, line, name, "\"%s\": %s (%s)", s, err, EXPECT_CRON);
		return -1;
	}
	free(*str);
	*str = xstrdup(s);
	*ce = tmp;
	return line;
}

void
list_free(char **l)
{
	size_t	 i;

	for (i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

char **
list_dup(char *const *l)
{
	char	**d;
	size_t	 n = 0;

	if (l == NULL)
		return NULL;
	while (l[n] != NULL)
		n++;
	d = xcalloc(n + 1, sizeof(*d));
	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(l[i]);
	return d;
}

bool
list_has(char *const *l, const char *s)
{
	for (; l != NULL && *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* The default schedules are constants: parsing them cannot fail unless
 * cron.c and this file disagree, which the unit tests catch. */
void
default_cron(struct ctx *c, const char *expr, char **str,
    struct cron_expr *ce)
{
	char	 err[256];

	*str = xstrdup(expr);
	if (cron_parse(ce, expr, err, sizeof(err)) == -1)
		ctx_err(c, 0, "schedule", "built-in default \"%s\": %s (%s)",
		    expr, err, EXPECT_CRON);
}

void
db_defaults(struct db_conn *db)
{
	memset(db, 0, sizeof(*db));
	db->port = 3306;
	db->ssl_mode = SSL_MODE_PREFERRED;
	db->connect_timeout = 10;
	db->read_timeout = 300;
}

void
db_free(struct db_conn *db)
{
	free(db->host);
	free(db->socket);
	free(db->user);
	free(db->password_file);
	free(db->ssl_ca);
	free(db->ssl_cert);
	free(db->ssl_key);
}

#define PASSWORD_FILE_EXPECT \
	"a file cairnd can read at start-up, holding the password"

/* Connection options of a mysql job (full) or of the restore target. */
void
db_build(struct ctx *c, cfg_t *sec, struct db_conn *db, bool full)
{
	int	 v;

	get_str(c, sec, "host", false, "a host name or address", &db->host);
	if (db->host != NULL && strpbrk(db->host, " /") != NULL)
		ctx_err(c, opt_line(c, sec, "host"), "host", "\"%s\" is not a "
		    "host name (a host name or address; a unix socket goes "
		    "in socket)", db->host);
	get_int(c, sec, "port", 1, 65535, "a TCP port", &db->port);
	if (get_path(c, sec, "socket", false, &db->socket) > 0 &&
	    strlen(db->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		ctx_err(c, opt_line(c, sec, "socket"), "socket", "path is too "
		    "long (a unix socket path of at most %zu bytes)",
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	get_str(c, sec, "user", false, "a MySQL user name", &db->user);
	get_readable(c, sec, "password_file", PASSWORD_FILE_EXPECT,
	    &db->password_file);
	if (get_enum(c, sec, "ssl_mode", conf_ssl_names, "an ssl_mode (disabled, "
	    "preferred, required, verify_ca or verify_identity)", &v) > 0)
		db->ssl_mode = v;
	if (!full)
		return;
	get_readable(c, sec, "ssl_ca", "a readable CA certificate file",
	    &db->ssl_ca);
	get_readable(c, sec, "ssl_cert", "a readable certificate file",
	    &db->ssl_cert);
	get_readable(c, sec, "ssl_key", "a private key file cairnd can read "
	    "at start-up", &db->ssl_key);
	get_int(c, sec, "connect_timeout", 1, 3600, "a number of seconds",
	    &db->connect_timeout);
	get_int(c, sec, "read_timeout", 1, 86400, "a number of seconds",
	    &db->read_timeout);
}

void
retention_build(struct ctx *c, struct conf *cf)
{
	struct retention_conf	*r = &cf->retention;
	cfg_t			*sec = cfg_getsec(c->cfg, "retention");
	const char		*env;
	char			*end;
	long			 v;

	r->days = 7;
	r->keep_min = 1;
	default_cron(c, DEF_PRUNE_SCHEDULE, &r->schedule, &r->cron);
	get_int(c, sec, "days", 1, 36500, "a number of days", &r->days);
	get_int(c, sec, "keep_min", 0, 100000, "a number of backups",
	    &r->keep_min);
	get_int(c, sec, "keep_daily", 0, 100000, "a number of days, 0 for "
	    "none", &r->keep_daily);
	get_int(c, sec, "keep_weekly", 0, 100000, "a number of weeks, 0 for "
	    "none", &r->keep_weekly);
	get_int(c, sec, "keep_monthly", 0, 100000, "a number of months, 0 "
	    "for none", &r->keep_monthly);
	get_cron(c, sec, "schedule", &r->schedule, &r->cron);

	/* the variable the replaced cron job used; it wins when valid */
	if ((env = getenv("BACKUP_RETENTION_DAYS")) == NULL)
		return;
	errno = 0;
	v = strtol(env, &end, 10);
	if (*env == '\0' || isspace((unsigned char)*env) || *end != '\0' ||
	    errno == ERANGE || v < 1 || v > 36500) {
		ctx_warn(c, 0, "BACKUP_RETENTION_DAYS", "\"%s\" is not a "
		    "number of days from 1 to 36500; ignored, days = %d",
		    env, r->days);
		return;
	}
	r->days = (int)v;
}

static bool
same_server(const struct db_conn *a, const struct db_conn *b)
{
	if (a->socket != NULL || b->socket != NULL)
		return a->socket != NULL && b->socket != NULL &&
		    strcmp(a->socket, b->socket) == 0;
	return a->host != NULL && b->host != NULL &&
	    strcasecmp(a->host, b->host) == 0 && a->port == b->port;
}

void
verify_build(struct ctx *c, struct conf *cf)
{
	struct verify_conf	*v = &cf->verify;
	cfg_t			*sec = cfg_getsec(c->cfg, "verify");
	cfg_t			*tsec = cfg_getsec(sec, "target");
	const struct job_conf	*j;
	size_t			 i;
	int			 line;

	v->after_backup = true;
	default_cron(c, DEF_VERIFY_SCHEDULE, &v->schedule, &v->cron);
	db_defaults(&v->target);
	get_bool(c, sec, "after_backup", &v->after_backup);
	get_cron(c, sec, "schedule", &v->schedule, &v->cron);
	get_bool(c, sec, "restore_test", &v->restore_test);
	db_build(c, tsec, &v->target, false);
	line = get_str(c, tsec, "database", false, "a scratch database name",
	    &v->target_database);
	if (v->target_database != NULL && !db_name_ok(v->target_database))
		ctx_err(c, line, "database", "\"%s\" is not a database name (1 "
		    "to 64 characters, without / \\ or .)",
		    v->target_database);
	if (!v->restore_test)
		return;
	if (v->target.host == NULL && v->target.socket == NULL)
		ctx_err(c, sec_line(c, tsec) ? sec_line(c, tsec) :
		    opt_line(c, sec, "restore_test"), "target", "restore_test "
		    "needs a server: neither host nor socket is set (target { "
		    "host = \"NAME\" or socket = \"/PATH\" })");
	if (v->target_database == NULL) {
		ctx_err(c, sec_line(c, tsec) ? sec_line(c, tsec) :
		    opt_line(c, sec, "restore_test"), "target", "restore_test "
		    "needs a scratch database (target { database = \"NAME\" })");
		return;
	}
	for (i = 0; i < cf->njobs; i++) {
		j = &cf->jobs[i];
		if (j->kind != JOB_MYSQL || !same_server(&j->db, &v->target))
			continue;
		if (j->databases[0] == NULL)
			ctx_err(c, line, "database", "restore target %s is on "
			    "the server mysql job %s (line %d) dumps whole "
			    "(a scratch database that no job backs up)",
			    v->target_database, j->name, j->line);
		else if (list_has(j->databases, v->target_database))
			ctx_err(c, line, "database", "restore target %s is a "
			    "source of mysql job %s (line %d) (a scratch "
			    "database that no job backs up)",
			    v->target_database, j->name, j->line);
	}
}

static bool
is_number(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void
ids_resolve(struct ctx *c, struct conf *cf)
{
	struct passwd	*pw;
	struct group	*gr;
	cfg_t		*root = c->cfg;
	int		 line;

	cf->uid = (uid_t)-1;
	cf->gid = (gid_t)-1;
	if ((line = get_str(c, root, "user", false, "a user name or uid",
	    &cf->user)) > 0) {
		errno = 0;
		if ((pw = getpwnam(cf->user)) != NULL) {
			cf->uid = pw->pw_uid;
			cf->gid = pw->pw_gid;
		} else if (is_number(cf->user) && strlen(cf->user) < 10) {
			cf->uid = (uid_t)strtoul(cf->user, NULL, 10);
			if ((pw = getpwuid(cf->uid)) != NULL)
				cf->gid = pw->pw_gid;
		} else
			ctx_err(c, line, "user", "\"%s\" does not exist (a user "
			    "in the password database, or a numeric uid)",
			    cf->user);
	}
	if ((line = get_str(c, root, "group", false, "a group name or gid",
	    &cf->group)) > 0) {
		if ((gr = getgrnam(cf->group)) != NULL)
			cf->gid = gr->gr_gid;
		else if (is_number(cf->group) && strlen(cf->group) < 10)
			cf->gid = (gid_t)strtoul(cf->group, NULL, 10);
		else
			ctx_err(c, line, "group", "\"%s\" does not exist (a group "
			    "in the group database, or a numeric gid)",
			    cf->group);
	} else if (cf->user != NULL && cf->uid != (uid_t)-1 &&
	    cf->gid == (gid_t)-1)
		ctx_err(c, opt_line(c, root, "user"), "user", "uid %s has no "
		    "password entry, so no primary group (set group too)",
		    cf->user);
	cf->socket_gid = cf->gid != (gid_t)-1 ? cf->gid : getgid();
	if ((line = get_str(c, root, "socket_group", false,
	    "a group name or gid", &cf->socket_group)) > 0) {
		if ((gr = getgrnam(cf->socket_group)) != NULL)
			cf->socket_gid = gr->gr_gid;
		else if (is_number(cf->socket_group) &&
		    strlen(cf->socket_group) < 10)
			cf->socket_gid = (gid_t)strtoul(cf->socket_group, NULL,
			    10);
		else
			ctx_err(c, line, "socket_group", "\"%s\" does not exist "
			    "(a group in the group database, or a numeric gid)",
			    cf->socket_group);
	}
}

static bool
timezone_ok(const char *tz)
{
	const char	*dir;
	char		*path, magic[4];
	int		 fd;
	ssize_t		 n;

	if (strcmp(tz, "UTC") == 0)
		return true;
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") != NULL ||
	    has_ctrl(tz))
		return false;
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = DEF_ZONEINFO;
	path = xasprintf("%s/%s", dir, tz);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	free(path);
	if (fd == -1)
		return false;
	n = util_read_all(fd, magic, sizeof(magic));
	close(fd);
	return n == (ssize_t)sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

void
globals_build(struct ctx *c, struct conf *cf)
{
	cfg_t		*root = c->cfg;
	const char	*s;
	char		*end;
	long		 mode;
	int		 line, iline, tline;
	char		 why[512];

	ids_resolve(c, cf);
	cf->backup_dir = xstrdup(DEF_BACKUP_DIR);
	if ((line = get_path(c, root, "backup_dir", false,
	    &cf->backup_dir)) > 0 && strcmp(cf->backup_dir, "/") == 0)
		ctx_err(c, line, "backup_dir", "\"/\" is the root directory (a "
		    "folder of its own, such as %s)", DEF_BACKUP_DIR);
	else if (rootfs_check_backup_dir(cf->backup_dir, cf->uid, cf->gid,
	    why, sizeof(why)) == -1)
		ctx_err(c, line > 0 ? line : 0, "backup_dir", "%s", why);
	get_path(c, root, "log_file", true, &cf->log_file);
	if (cf->log_file == NULL)
		cf->log_file = xasprintf("%s/backup.log", cf->backup_dir);
	get_path(c, root, "audit_log", false, &cf->audit_log);
	if (cf->audit_log == NULL)
		cf->audit_log = xasprintf("%s/audit.log", cf->backup_dir);
	cf->control_socket = xstrdup(DEF_CONTROL_SOCKET);
	if ((line = get_path(c, root, "control_socket", false,
	    &cf->control_socket)) > 0 && strlen(cf->control_socket) >=
	    sizeof(((struct sockaddr_un *)0)->sun_path))
		ctx_err(c, line, "control_socket", "path is too long (a unix "
		    "socket path of at most %zu bytes)",
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	get_path(c, root, "metrics_file", false, &cf->metrics_file);

	cf->max_workers = 2;
	cf->heartbeat_interval = 5;
	cf->heartbeat_timeout = 60;
	cf->shutdown_timeout = 30;
	get_int(c, root, "max_workers", 1, 64, "a number of workers",
	    &cf->max_workers);
	iline = get_int(c, root, "heartbeat_interval", 1, 3600,
	    "a number of seconds", &cf->heartbeat_interval);
	tline = get_int(c, root, "heartbeat_timeout", 2, 86400,
	    "a number of seconds", &cf->heartbeat_timeout);
	if (iline >= 0 && tline >= 0 &&
	    cf->heartbeat_timeout <= cf->heartbeat_interval)
		ctx_err(c, tline > 0 ? tline : iline, "heartbeat_timeout",
		    "%d is not more than heartbeat_interval %d (more seconds "
		    "than heartbeat_interval, a few times as many)",
		    cf->heartbeat_timeout, cf->heartbeat_interval);
	get_int(c, root, "shutdown_timeout", 0, 3600, "a number of seconds",
	    &cf->shutdown_timeout);

	cf->timezone = xstrdup("UTC");
	if ((line = get_str(c, root, "timezone", false, "a time zone name",
	    &cf->timezone)) > 0 && !timezone_ok(cf->timezone))
		ctx_err(c, line, "timezone", "\"%s\" is not a known time zone "
		    "(UTC or a name under %s, such as Europe/Berlin)",
		    cf->timezone, getenv("TZDIR") != NULL &&
		    *getenv("TZDIR") != '\0' ? getenv("TZDIR") : DEF_ZONEINFO);

	cf->file_mode = 0600;
	if ((s = opt_str(root, "file_mode")) != NULL) {
		line = opt_line(c, root, "file_mode");
		errno = 0;
		mode = strtol(s, &end, 8);
		if (*s < '0' || *s > '7' || *end != '\0' || errno != 0 ||
		    (mode & ~0640) != 0 || (mode & 0400) == 0)
			ctx_err(c, line, "file_mode", "\"%s\" is not an allowed "
			    "mode for backups (octal 0600, 0640, 0400 or 0440: "
			    "readable by the owner, never by others)", s);
		else
			cf->file_mode = (int)mode;
	}
}
