/*
 * cairnctl -- control the cairn backup daemon, and work on a backup folder
 * when it is not running.  main() reads the global options and the config,
 * then runs one command.  Exit codes come from errors.h (cairnctl(8)).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/conf.h"
#include "cairn/ctlproto.h"
#include "cairn/errors.h"
#include "cairn/util.h"
#include "cairnctl.h"

#define CTL_CALL_TIMEOUT_MS	30000

void
cli_warnx(const char *fmt, ...)
{
	va_list	 ap;

	char	 raw[2048], vis[2048];

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	util_vis(vis, sizeof(vis), raw);
	fprintf(stderr, "cairnctl: %s\n", vis);
}

int
cli_read_secret(const char *what, const char *path, char **out)
{
	char	 buf[1024];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_warnx("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	n = util_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || (size_t)n == sizeof(buf) - 1) {
		cli_warnx("%s %s: %s", what, path, n < 0 ? strerror(errno) :
		    "longer than 1022 bytes");
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	buf[n] = '\0';
	/* the trailing newline is not part of the secret */
	buf[strcspn(buf, "\r\n")] = '\0';
	*out = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

void
cli_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code == CAIRN_E_OK ? stdout : stderr,
	    "usage: cairnctl [-hV] [--json] [-f file] [-s socket] [-d dir] "
	    "command [args]\n"
	    "  -f file    read the socket and backup folder from this config\n"
	    "             (default %s, if it exists)\n"
	    "  -s socket  the control socket (default: the config's "
	    "control_socket)\n"
	    "  -d dir     the backup folder, for list, audit and restore\n"
	    "  --json     JSON output\n"
	    "commands (talking to cairnd):\n"
	    "  status                     jobs, runs, progress\n"
	    "  run JOB|all [--wait]       start a backup now\n"
	    "  verify [ARTIFACT|--all] [--wait]\n"
	    "  prune [--dry-run] [--wait]\n"
	    "  reload                     re-read the config\n"
	    "  health                     exit 0 if every job is healthy\n"
	    "  notify test [NAME]         send a test alert, wait for the "
	    "result\n"
	    "commands (on the backup folder, daemon not needed):\n"
	    "  list [--remote] [JOB]      artifacts (or their off-site copies)\n"
	    "  audit [--verify] [-n N] [--job JOB] [--event EVENT]\n"
	    "                             show or check the audit trail\n"
	    "  catalog-rebuild            a new catalog from the folder's "
	    "files\n"
	    "  restore ARTIFACT --to PATH [--force]          (SQLite)\n"
	    "  restore ARTIFACT [--socket S | --host H [--port P]] "
	    "[--user U]\n"
	    "          [--password-file F] [--database DB] [--force]  "
	    "(MySQL)\n"
	    "  restore --remote S3_SECTION [JOB/]ARTIFACT ...  "
	    "(its off-site copy)\n", CONF_DEFAULT_PATH);
	exit(code);
}

/*
 * A reply body to a terminal: its lines as they are, any other control
 * character escaped (the daemon escapes its text already; this holds for
 * whatever daemon answers).
 */
static void
put_text(FILE *f, const char *body)
{
	const unsigned char	*u = (const unsigned char *)body;
	char			 one[2] = { 0, 0 }, esc[8];

	for (; *u != '\0'; u++) {
		if (*u == '\n' || (*u >= 0x20 && *u != 0x7f)) {
			fputc(*u, f);
			continue;
		}
		one[0] = (char)*u;
		util_vis(esc, sizeof(esc), one);
		fputs(esc, f);
	}
}

/* Talk to cairnd; the reply's code is the exit status. */
/*
 * Long (88 lines): the option parsing of every daemon command and how each
 * reply becomes an exit status, in one place.
 */
static int
cmd_daemon(struct cli *c, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "wait",	no_argument,	NULL, 'w' },
		{ "dry-run",	no_argument,	NULL, 'n' },
		{ "all",	no_argument,	NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*cmd = argv[0];
	char		*args[4], err[512], *body = NULL;
	uint32_t	 flags = c->json ? CTL_F_JSON : 0;
	int		 ch, n = 0, code, dry = 0, all = 0;
	bool		 health = strcmp(cmd, "health") == 0;

	optind = 0;	/* glibc: re-initialise getopt */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			flags |= CTL_F_WAIT;
			break;
		case 'n':
			dry = 1;
			break;
		case 'a':
			all = 1;
			break;
		default:
			usage(CAIRN_E_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	args[n++] = (char *)cmd;
	if (strcmp(cmd, "run") == 0) {
		if (argc != 1 || dry || all)
			usage(CAIRN_E_USAGE);
		args[n++] = argv[0];
	} else if (strcmp(cmd, "verify") == 0) {
		if (argc > 1 || dry || (all && argc == 1))
			usage(CAIRN_E_USAGE);
		args[n++] = argc == 1 ? argv[0] : (char *)"--all";
	} else if (strcmp(cmd, "prune") == 0) {
		if (argc != 0 || all)
			usage(CAIRN_E_USAGE);
		if (dry) {
			if (flags & CTL_F_WAIT)
				usage(CAIRN_E_USAGE);
			args[n++] = (char *)"--dry-run";
		}
	} else if (strcmp(cmd, "notify") == 0) {
		if (argc < 1 || argc > 2 || strcmp(argv[0], "test") != 0 ||
		    dry || all)
			usage(CAIRN_E_USAGE);
		args[n++] = argv[0];
		if (argc == 2)
			args[n++] = argv[1];
		flags |= CTL_F_WAIT;	/* the answer is the delivery's */
	} else if (argc != 0 || dry || all || (flags & CTL_F_WAIT))
		usage(CAIRN_E_USAGE);
	args[n] = NULL;

	if (ctl_call(c->socket, flags, n, args, CTL_CALL_TIMEOUT_MS, &code,
	    &body, err, sizeof(err)) == -1) {
		int	 e = errno;

		cli_warnx("%s", err);
		if (health)
			return CAIRN_E_FAIL;	/* docker: 1 is unhealthy */
		if (e == EPROTONOSUPPORT || e == EPROTO || e == EMSGSIZE)
			return CAIRN_E_PROTOCOL;
		if (e == EACCES || e == EPERM)
			return CAIRN_E_NOPERM;
		return CAIRN_E_UNAVAILABLE;
	}
	if (code == CAIRN_E_OK || c->json || health ||
	    strcmp(cmd, "status") == 0)
		put_text(stdout, body);
	else {
		fputs("cairnctl: ", stderr);
		put_text(stderr, body);
		if (body[0] == '\0' || body[strlen(body) - 1] != '\n')
			fputc('\n', stderr);
	}
	free(body);
	if (health && code != CAIRN_E_OK)
		return CAIRN_E_FAIL;
	return code;
}

static const struct {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
} commands[] = {
	{ "status",	cmd_daemon },
	{ "run",	cmd_daemon },
	{ "verify",	cmd_daemon },
	{ "prune",	cmd_daemon },
	{ "reload",	cmd_daemon },
	{ "health",	cmd_daemon },
	{ "notify",	cmd_daemon },
	{ "list",	cmd_list },
	{ "audit",	cmd_audit },
	{ "restore",	cmd_restore },
	{ "catalog-rebuild", cmd_catalog_rebuild },
};

/*
 * Long (110 lines): global options, command lookup and --json anywhere;
 * each command is its own function.
 */
int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli	 c;
	const char	*conf_path = NULL;
	char		*dflt_audit = NULL;
	int		 ch, rc;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "+d:f:hs:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			c.backup_dir = optarg;
			c.backup_dir_set = true;
			break;
		case 'f':
			conf_path = optarg;
			break;
		case 'h':
			usage(CAIRN_E_OK);
		case 'j':
			c.json = true;
			break;
		case 's':
			c.socket = optarg;
			break;
		case 'V':
			printf("cairnctl %s (control protocol %d)\n",
			    PACKAGE_VERSION, CTL_PROTO_VERSION);
			return CAIRN_E_OK;
		default:
			usage(CAIRN_E_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(CAIRN_E_USAGE);
	/* --json may also come after the command */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
			memmove(argv + i, argv + i + 1,
			    (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}

	/*
	 * The config: an explicit -f must load; the default one is used if
	 * it exists and loads, and otherwise the built-in defaults apply
	 * (an operator may not be allowed to read the password files).
	 */
	if (conf_path != NULL) {
		if ((c.conf = conf_load(conf_path, stderr)) == NULL) {
			cli_warnx("%s: configuration not loaded", conf_path);
			return CAIRN_E_CONFIG;
		}
	} else if (access(CONF_DEFAULT_PATH, F_OK) == 0 &&
	    (c.socket == NULL || !c.backup_dir_set)) {
		FILE	*devnull = fopen("/dev/null", "w");

		c.conf = conf_load(CONF_DEFAULT_PATH, devnull ? devnull :
		    stderr);
		if (devnull != NULL)
			fclose(devnull);
	}
	if (c.conf != NULL) {
		if (c.socket == NULL)
			c.socket = c.conf->control_socket;
		if (c.backup_dir == NULL) {
			c.backup_dir = c.conf->backup_dir;
			c.backup_dir_set = true;
		}
		if (strcmp(c.backup_dir, c.conf->backup_dir) == 0)
			c.audit_log = c.conf->audit_log;
	}
	if (c.socket == NULL)
		c.socket = CTL_DEFAULT_SOCKET;
	if (c.backup_dir == NULL)
		c.backup_dir = CTL_DEFAULT_BACKUP_DIR;
	if (c.audit_log == NULL)
		c.audit_log = dflt_audit = xasprintf("%s/audit.log",
		    c.backup_dir);

	rc = -1;
	for (size_t i = 0; i < nitems(commands); i++)
		if (strcmp(argv[0], commands[i].name) == 0) {
			rc = commands[i].fn(&c, argc, argv);
			break;
		}
	if (rc == -1) {
		cli_warnx("unknown command %s", argv[0]);
		usage(CAIRN_E_USAGE);
	}
	fflush(stdout);
	if (ferror(stdout)) {
		cli_warnx("stdout: write error");
		if (rc == CAIRN_E_OK)
			rc = CAIRN_E_IOERR;
	}
	conf_free(c.conf);
	free(dflt_audit);
	return rc;
}
