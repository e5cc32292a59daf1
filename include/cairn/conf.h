/*
 * conf -- cairn.conf: parse, validate and hold the configuration.
 *
 * Contract
 *   - conf_load() parses with libconfuse, expands ${VAR} and ${VAR:-default}
 *     from the environment, applies the `defaults` section to every job and
 *     validates everything.  It returns a complete struct conf, or NULL after
 *     printing each problem to the given stream as
 *     "FILE:LINE: option: what is wrong (what was expected)".
 *   - Only cairnd's supervisor reads the config; workers get their job_conf
 *     over their channel, never the file.
 *   - The returned conf owns every string and array in it; conf_free()
 *     releases all of it.  Nothing is shared between two confs, so a reload
 *     can build a new one and free the old.
 *   - conf_load() is not reentrant (libconfuse's lexer is global); only the
 *     supervisor's single thread calls it.  Warnings (an invalid
 *     BACKUP_RETENTION_DAYS that is ignored) also go to errs, prefixed
 *     "FILE: warning:"; they do not fail the load.
 *   - The syntax, every option and the validation rules are documented in
 *     cairn.conf(5) and docs/configuration.md.
 */
#ifndef CAIRN_CONF_H
#define CAIRN_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cairn/cron.h"

#define CONF_DEFAULT_PATH	CAIRN_SYSCONFDIR "/cairn/cairn.conf"

enum job_kind {
	JOB_MYSQL = 1,
	JOB_SQLITE,
	JOB_PRUNE,
	JOB_VERIFY,
	JOB_NOTIFY,		/* the alert delivery worker (job_notify.c) */
	JOB_UPLOAD,		/* off-site copy to an s3 remote */
	JOB_KIND_MAX,
};

enum compress_kind {
	COMPRESS_GZIP,
	COMPRESS_ZSTD,
	COMPRESS_NONE,
};

enum ssl_mode {
	SSL_MODE_DISABLED,
	SSL_MODE_PREFERRED,
	SSL_MODE_REQUIRED,
	SSL_MODE_VERIFY_CA,
	SSL_MODE_VERIFY_IDENTITY,
};

/* How to reach a MySQL/MariaDB server (a mysql job, or a restore target). */
struct db_conn {
	char		*host;		/* NULL with socket set: unix socket */
	int		 port;		/* 3306 */
	char		*socket;	/* absolute path or NULL */
	char		*user;
	char		*password_file;	/* absolute path or NULL (no password) */
	enum ssl_mode	 ssl_mode;	/* preferred */
	char		*ssl_ca, *ssl_cert, *ssl_key;
	int		 connect_timeout;	/* seconds, 10 */
	int		 read_timeout;		/* seconds, 300 */
};

struct job_conf {
	char		*name;		/* [A-Za-z0-9_.-]+, unique over all jobs */
	enum job_kind	 kind;
	int		 line;		/* where the section starts */

	/* from `defaults`, overridable per job */
	char		*schedule;	/* "0 *\/6 * * *" */
	struct cron_expr cron;
	bool		 run_at_start;	/* true */
	int		 retries;	/* 3 */
	enum compress_kind compression;	/* gzip */
	int		 compression_level;	/* 6 (gzip 1-12, zstd 1-19) */
	int		 compression_threads;	/* 0: online CPUs */
	/* age encryption (docs/encryption.md): NULL or empty: none */
	char		**age_recipients;	/* "age1...", NULL-terminated */
	char		*age_recipients_file;	/* where some came from */
	char		*age_identity_file;	/* verify and restore only */

	/* sqlite */
	char		*path;		/* the database file */

	/* mysql */
	struct db_conn	 db;
	char		**databases;	/* NULL-terminated; empty: all non-system */
	char		**exclude_tables;	/* "db.table", NULL-terminated */
	int		 lock_wait_timeout;	/* seconds, 60 */
	int		 connect_retry;	/* seconds the first run keeps retrying, 120 */
	bool		 checksum;	/* CHECKSUM TABLE in the snapshot, false */
	bool		 dump_grants;	/* accounts and grants, false */

	/* alerts (docs/alerts.md), from `defaults`, overridable per job */
	int		 stale_after;	/* seconds; -1: 2 x schedule + 1 h; 0 off */
	int		 size_drop;	/* percent of the previous; 50, 0 off */
	int64_t		 min_size;	/* bytes (raw); 0 off */
	int		 repeat_interval;	/* seconds, 86400; 0 never */
	char		**notify;	/* notifier names, NULL-terminated */
	/* off-site copies: the s3 section's name; NULL: none */
	char		*upload;
};

enum notify_type {
	NOTIFY_WEBHOOK,
	NOTIFY_COMMAND,
};

/* A `notify NAME { ... }` section: where alerts go. */
struct notify_conf {
	char		*name;
	int		 line;
	enum notify_type type;
	char		*url;		/* webhook: http:// or https:// */
	char		*headers_file;	/* webhook: "Name: value" lines; NULL */
	char		**command;	/* command: argv, NULL-terminated */
	int		 timeout;	/* seconds per attempt, 10 */
	int		 retries;	/* after the first attempt, 5 */
};

/* An S3-compatible remote (`s3 NAME { ... }`, docs/offsite.md). */
struct s3_conf {
	char		*name;
	int		 line;
	char		*endpoint;	/* "https://s3.eu-central-1...", no path */
	char		*region;	/* "us-east-1" */
	char		*bucket;
	char		*prefix;	/* "" or ends with '/' */
	char		*access_key_file;	/* absolute paths, required */
	char		*secret_key_file;
	bool		 path_style;	/* false: virtual-hosted style */
	bool		 verify_download;	/* remote check: GET, not HEAD */
	char		*storage_class;	/* NULL: the server's default */
	int		 part_size_mib;	/* 8 (5 to 512) */
	int		 concurrency;	/* 4 (1 to 16) */
	int		 bandwidth_limit_kib;	/* KiB/s, 0: none */
	int		 retention_days;	/* 0: remote retention off */
	int		 retention_keep_min;	/* 1 */
};

struct retention_conf {
	int		 days;		/* 7; env BACKUP_RETENTION_DAYS overrides */
	int		 keep_min;	/* 1 */
	int		 keep_daily;	/* 0: rule off */
	int		 keep_weekly;
	int		 keep_monthly;
	char		*schedule;	/* "30 *\/6 * * *" */
	struct cron_expr cron;
};

struct verify_conf {
	bool		 after_backup;	/* true */
	char		*schedule;	/* "15 3 * * *" */
	struct cron_expr cron;
	bool		 restore_test;	/* false */
	struct db_conn	 target;	/* scratch server for restore tests */
	char		*target_database;	/* scratch database name */
};

struct conf {
	char		*path;		/* the file it came from */

	char		*user;		/* NULL: stay who we are */
	char		*group;
	uid_t		 uid;		/* resolved at load; -1 if user unset */
	gid_t		 gid;
	char		*backup_dir;	/* /var/backups/cairn */
	char		*log_file;	/* <backup_dir>/backup.log; "" none */
	char		*audit_log;	/* <backup_dir>/audit.log */
	char		*control_socket;	/* /run/cairn/cairnd.sock */
	char		*socket_group;	/* NULL: the daemon's group */
	gid_t		 socket_gid;
	char		*metrics_file;	/* NULL: none (Prometheus textfile) */
	int		 max_workers;	/* 2 */
	int		 heartbeat_interval;	/* seconds, 5 */
	int		 heartbeat_timeout;	/* seconds, 60 */
	int		 shutdown_timeout;	/* seconds, 30 */
	char		*timezone;	/* "UTC" */
	int		 file_mode;	/* 0600 or 0640 */

	struct job_conf	*jobs;		/* mysql and sqlite jobs, config order */
	size_t		 njobs;
	struct s3_conf	*s3;		/* remotes, config order */
	size_t		 ns3;
	struct retention_conf retention;
	struct verify_conf verify;

	struct notify_conf *notifiers;	/* config order */
	size_t		 nnotifiers;
	int		 alert_rate_limit;	/* alerts per hour, 60; 0 none */
	int		 alert_queue;	/* undelivered alerts kept, 100 */
};

/* Returns new (conf_free()), or NULL after reporting to errs. */
struct conf	*conf_load(const char *path, FILE *errs);
/*
 * A reload's conf_load(): a file that held(path, arg) says the caller holds
 * open already (a password file cairnd opened as root at start-up, before
 * dropping to `user`) counts as readable without being opened again.
 */
typedef bool	 (*conf_held_fn)(const char *path, void *arg);
struct conf	*conf_load_held(const char *path, FILE *errs,
		    conf_held_fn held, void *arg);
void		 conf_free(struct conf *);
/* One line: "cairn.conf: 3 jobs (2 mysql, 1 sqlite), backup_dir ..." */
void		 conf_summary(const struct conf *, FILE *);
const struct job_conf *conf_job_find(const struct conf *, const char *name);
const struct notify_conf *conf_notify_find(const struct conf *,
		    const char *name);
const struct s3_conf *conf_s3_find(const struct conf *, const char *name);
const char	*conf_kind_name(enum job_kind);
/*
 * The one rule for a job's name, wherever a name arrives (the config, a
 * worker's job frame): 1 to CONF_JOB_NAME_MAX of A-Z a-z 0-9 _ . -,
 * starting with a letter, a digit or _ (never "-" or ".": a name is also
 * a folder name and a command-line word).  Reserved names are the
 * config's business (conf.c).  Inline: the frame decoder (and its fuzzer)
 * needs it without the config parser.
 */
#define CONF_JOB_NAME_MAX	64
static inline bool
conf_job_name_ok(const char *n)
{
	size_t	 i;

	for (i = 0; n[i] != '\0'; i++) {
		if (i >= CONF_JOB_NAME_MAX)
			return false;
		if ((n[i] >= 'a' && n[i] <= 'z') ||
		    (n[i] >= 'A' && n[i] <= 'Z') ||
		    (n[i] >= '0' && n[i] <= '9') || n[i] == '_')
			continue;
		if (i == 0 || (n[i] != '.' && n[i] != '-'))
			return false;
	}
	return i > 0;
}
const char	*conf_compress_name(enum compress_kind);
const char	*conf_ssl_mode_name(enum ssl_mode);
/* Does the job encrypt its artifacts? */
bool		 conf_job_encrypts(const struct job_conf *);
/* Per encrypting job: its recipients' fingerprints (for cairnd -n). */
void		 conf_print_recipients(const struct conf *, FILE *);

#endif /* CAIRN_CONF_H */
