/*
 * cairnd -- the cairn backup daemon: entry point.
 *
 * main() parses the command line and dispatches: -n checks the
 * configuration (like sshd -t), -V prints the version, --verify-audit
 * checks an audit trail, "-W" (first argument only, never typed by a
 * person) turns this process into a worker; otherwise start-up runs as
 * root (opens the config, secret files, backup folders, log file and audit
 * trail), drops privileges and hands over to the supervision loop (sup.c),
 * in the foreground, for ever or (-o) for one cycle.
 * Exit codes come from errors.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/conf.h"
#include "cairn/errors.h"
#include "cairn/lock.h"
#include "cairn/log.h"
#include "cairn/priv.h"
#include "cairn/rootfs.h"
#include "cairn/util.h"
#include "auditwatch.h"
#include "cairnd.h"
#include "cairn/worker.h"
#include "ctl_ops.h"
#include "sup_api.h"

struct cairnd_opts {
	const char	*conf_path;
	const char	*verify_audit;	/* --verify-audit FILE */
	int		 check_only;	/* -n */
	int		 once;		/* -o */
	int		 verbose;	/* -v, repeatable */
};

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code == CAIRN_E_OK ? stdout : stderr,
	    "usage: cairnd [-hnoVv] [-f file]\n"
	    "       cairnd --verify-audit file\n"
	    "  -f file  configuration file (default %s)\n"
	    "  -n       check the configuration, print a summary and exit\n"
	    "  -o       run every job once, wait, exit 0 only if all succeeded\n"
	    "  -V       print the version and exit\n"
	    "  -v       more verbose logging (repeatable)\n"
	    "  -h       print this help and exit\n"
	    "  --verify-audit file\n"
	    "           check an audit trail's hash chain and exit\n",
	    CONF_DEFAULT_PATH);
	exit(code);
}

static void
parse_args(int argc, char **argv, struct cairnd_opts *o)
{
	static const struct option longopts[] = {
		{ "verify-audit", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch;

	o->conf_path = CONF_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "f:hnoVv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
			o->verify_audit = optarg;
			break;
		case 'f':
			o->conf_path = optarg;
			break;
		case 'h':
			usage(CAIRN_E_OK);
		case 'n':
			o->check_only = 1;
			break;
		case 'o':
			o->once = 1;
			break;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			exit(CAIRN_E_OK);
		case 'v':
			o->verbose++;
			break;
		default:
			usage(CAIRN_E_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "cairnd: unexpected argument: %s\n",
		    argv[optind]);
		usage(CAIRN_E_USAGE);
	}
}

/* -n: every problem goes to stderr; on success one summary line to stdout. */
static int
check_config(const struct cairnd_opts *o)
{
	struct conf	*cf;

	if ((cf = conf_load(o->conf_path, stderr)) == NULL)
		return CAIRN_E_CONFIG;
	conf_summary(cf, stdout);
	conf_print_recipients(cf, stdout);
	conf_free(cf);
	return CAIRN_E_OK;
}

/* --verify-audit: the first broken line, or how much checked out. */
static int
verify_audit(const char *path)
{
	struct audit_report	 rep;

	memset(&rep, 0, sizeof(rep));
	if (audit_verify(path, 0, NULL, &rep) == 0) {
		printf("%s: %llu lines intact, last seq %llu, head %s\n", path,
		    (unsigned long long)rep.lines,
		    (unsigned long long)rep.last_seq, rep.head);
		return CAIRN_E_OK;
	}
	if (errno != EBADMSG) {
		fprintf(stderr, "cairnd: %s: %s\n", path, rep.reason);
		return CAIRN_E_NOINPUT;
	}
	printf("%s:%llu: broken: %s\n", path,
	    (unsigned long long)rep.bad_line, rep.reason);
	return CAIRN_E_DATAERR;
}

/* -- start-up, as root ------------------------------------------------- */

/*
 * Root acts on descriptors only (rootfs.h, docs/security.md): a folder
 * (not its parents) made or adopted, and given to the daemon's user.
 * Returns its descriptor.
 */
static int
boot_mkdir(int atfd, const char *name, const struct rootfs_owner *ids,
    const char *what, const char *shown)
{
	char	 err[512];
	int	 fd;

	if ((fd = rootfs_mkdir(atfd, name, shown, 0750, ids, ROOTFS_ADOPT,
	    err, sizeof(err))) == -1)
		fatalx("%s %s", what, err);
	return fd;
}

/* A file root opens in a folder the daemon's user may write, given to it. */
static int
boot_open(const char *path, int flags, const struct rootfs_owner *ids,
    const char *what)
{
	const char	*leaf;
	char		 err[512];
	int		 dfd, fd;

	if ((dfd = rootfs_openparent(path, &leaf, err, sizeof(err))) == -1)
		fatalx("%s %s", what, err);
	fd = rootfs_openfile(dfd, leaf, path, flags, 0640, ids, err,
	    sizeof(err));
	close(dfd);
	if (fd == -1)
		fatalx("%s %s", what, err);
	return fd;
}

static void
boot_secret(struct sup_boot *b, const char *path, const char *what)
{
	int	 fd;

	if (path == NULL)
		return;
	for (size_t i = 0; i < b->nsecrets; i++)
		if (strcmp(b->secrets[i].path, path) == 0)
			return;
	/* kept open: the unprivileged supervisor rereads it for each run */
	fd = boot_open(path, O_RDONLY, NULL, what);
	b->secrets = xreallocarray(b->secrets, b->nsecrets + 1,
	    sizeof(*b->secrets));
	b->secrets[b->nsecrets].path = xstrdup(path);
	b->secrets[b->nsecrets].fd = fd;
	b->nsecrets++;
}

/* At start-up: files without a row, rows without a file, stale partials. */
static void
boot_reconcile(struct sup_boot *b)
{
	struct catalog_reconcile	 rec;

	if (b->catalog == NULL)
		return;
	if (catalog_reconcile(b->catalog, &rec) == -1) {
		log_warnx("catalog: reconcile: %s",
		    catalog_error(b->catalog));
		sup_catalog_fault(b, catalog_error(b->catalog));
		return;
	}
	for (size_t i = 0; i < rec.nfound; i++) {
		log_info("catalog: recorded %s (found on disk)",
		    rec.found[i].path);
		audit_write(b->audit, "artifact-found",
		    AF_STR("job", rec.found[i].job),
		    AF_STR("artifact", rec.found[i].path),
		    AF_STR("sha256", rec.found[i].sha256[0] != '\0' ?
		    rec.found[i].sha256 : NULL));
	}
	for (size_t i = 0; i < rec.nmissing; i++) {
		log_warnx("catalog: %s is missing", rec.missing[i].path);
		audit_write(b->audit, "artifact-missing",
		    AF_STR("job", rec.missing[i].job),
		    AF_STR("artifact", rec.missing[i].path));
	}
	for (size_t i = 0; i < rec.nstale; i++) {
		if (unlinkat(b->backup_dirfd, rec.stale[i], 0) == -1) {
			log_warn("cannot remove stale %s", rec.stale[i]);
			continue;
		}
		log_info("removed stale %s", rec.stale[i]);
		audit_write(b->audit, "partial-removed",
		    AF_STR("file", rec.stale[i]), AF_STR("reason", "start-up"));
	}
	catalog_reconcile_free(&rec);
}

/* Every secret file the workers will need, opened now, while root. */
static void
boot_secrets(struct sup_boot *b, const struct conf *cf)
{
	for (size_t i = 0; i < cf->njobs; i++)
		if (cf->jobs[i].kind == JOB_MYSQL)
			boot_secret(b, cf->jobs[i].db.password_file,
			    "password file");
	boot_secret(b, cf->verify.target.password_file, "password file");
	/* age identities: for verify workers only, opened while root */
	for (size_t i = 0; i < cf->njobs; i++)
		boot_secret(b, cf->jobs[i].age_identity_file,
		    "age identity file");
	for (size_t i = 0; i < cf->ns3; i++) {
		boot_secret(b, cf->s3[i].access_key_file, "S3 access key file");
		boot_secret(b, cf->s3[i].secret_key_file, "S3 secret key file");
	}
}

static void
boot(const char *conf_path, struct conf *cf, struct sup_boot *b, int once)
{
	struct rootfs_owner	 ids;
	const char		*leaf;
	char			 err[512], *shown;
	int			 fd;

	memset(b, 0, sizeof(*b));
	b->lock_fd = -1;
	ids.give = geteuid() == 0 && cf->user != NULL;
	ids.uid = ids.give ? cf->uid : geteuid();
	ids.gid = ids.give ? cf->gid : getegid();
	umask(027);

	if ((fd = rootfs_openparent(cf->backup_dir, &leaf, err,
	    sizeof(err))) == -1)
		fatalx("backup folder %s", err);
	b->backup_dirfd = boot_mkdir(fd, leaf, &ids, "backup folder",
	    cf->backup_dir);
	close(fd);
	if ((b->lock_fd = lock_acquire_at(b->backup_dirfd, cf->backup_dir, err,
	    sizeof(err))) == -1)
		fatalx("%s", err);
	for (size_t i = 0; i < cf->njobs; i++) {
		shown = xasprintf("%s/%s", cf->backup_dir, cf->jobs[i].name);
		close(boot_mkdir(b->backup_dirfd, cf->jobs[i].name, &ids,
		    "job folder", shown));
		free(shown);
	}

	if (cf->log_file != NULL && cf->log_file[0] != '\0')
		log_set_file_fd(boot_open(cf->log_file, O_WRONLY | O_APPEND |
		    O_CREAT, &ids, "log file"));
	fd = boot_open(cf->audit_log, O_RDWR | O_APPEND | O_CREAT, &ids,
	    "audit trail");
	if ((b->audit = audit_fdopen(fd, cf->audit_log, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	audit_write(b->audit, "start", AF_STR("version", PACKAGE_VERSION),
	    AF_INT("pid", getpid()), AF_STR("config", conf_path),
	    AF_UINT("jobs", cf->njobs), AF_INT("uid", geteuid()));

	boot_secrets(b, cf);

	/* cairnctl's socket, made as root (-o: none, nothing to control) */
	if (!once && (b->ctl = sup_ctl_open(cf, ids.uid, b->audit,
	    err, sizeof(err))) == NULL)
		fatalx("%s", err);

	if (ids.give) {
		/* 0: dropped and proved; anything else: refuse to run */
		if (priv_drop(ids.uid, ids.gid, err, sizeof(err)) != 0) {
			audit_write(b->audit, "privilege-drop-failed",
			    AF_STR("user", cf->user), AF_STR("error", err));
			fatalx("cannot drop privileges to %s: %s", cf->user,
			    err);
		}
		log_info("running as %s (uid %ld, gid %ld)", cf->user,
		    (long)ids.uid, (long)ids.gid);
		audit_write(b->audit, "privilege-drop",
		    AF_STR("user", cf->user), AF_INT("uid", ids.uid),
		    AF_INT("gid", ids.gid));
	} else if (geteuid() == 0)
		log_warnx("running as root: set `user` in %s", conf_path);
	else if (cf->user != NULL && geteuid() != cf->uid)
		log_warnx("not root: running as uid %ld, not as %s",
		    (long)geteuid(), cf->user);

	/* made unprivileged, so its -wal and -shm files are ours too */
	if ((b->catalog = catalog_open(cf->backup_dir, 0, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	/* a damaged or read-only catalog: said by health, not ignored */
	sup_catalog_fault(b, NULL);
	audit_watch_start(b->audit, b->catalog, cf->audit_log);
	boot_reconcile(b);
}

int
main(int argc, char **argv)
{
	struct cairnd_opts	 o = { 0 };
	struct sup_boot		 b;
	struct conf		*cf;
	int			 rc;

	if (argc == 2 && strcmp(argv[1], WORKER_FLAG) == 0)
		worker_main();
	if (argc == 2 && strcmp(argv[1], NOTIFIER_FLAG) == 0)
		notifier_main();
	parse_args(argc, argv, &o);
	log_init("cairnd", o.verbose);
	/*
	 * The supervisor only hashes (audit chain, catalog): skip OpenSSL's
	 * config file, cipher tables and error strings, two thirds of a MiB
	 * of resident memory it would never use.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
	if (o.verify_audit != NULL)
		return verify_audit(o.verify_audit);
	if (o.check_only)
		return check_config(&o);
	fatal_code = CAIRN_E_CONFIG;
	if ((cf = conf_load(o.conf_path, stderr)) == NULL)
		return CAIRN_E_CONFIG;
	fatal_code = CAIRN_E_OSERR;
	boot(o.conf_path, cf, &b, o.once);
	fatal_code = CAIRN_E_SOFTWARE;
	log_info("%s started: %zu job%s, backups in %s", PACKAGE_STRING,
	    cf->njobs, cf->njobs == 1 ? "" : "s", cf->backup_dir);
	rc = sup_run(o.conf_path, cf, &b, o.once);
	catalog_close(b.catalog);
	audit_close(b.audit);
	for (size_t i = 0; i < b.nsecrets; i++) {
		close(b.secrets[i].fd);
		free(b.secrets[i].path);
	}
	free(b.secrets);
	close(b.backup_dirfd);
	if (b.lock_fd != -1)
		close(b.lock_fd);
	return rc;
}
