/*
 * cairnd -- the cairn backup daemon: entry point.
 *
 * main() only parses the command line and dispatches: -n checks the
 * configuration (like sshd -t), -V prints the version; the daemon proper,
 * one-cycle mode (-o) and worker mode arrive with the supervisor.
 * Exit codes come from errors.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cairn/conf.h"
#include "cairn/errors.h"
#include "cairn/log.h"

struct cairnd_opts {
	const char	*conf_path;
	int		 check_only;	/* -n */
	int		 verbose;	/* -v, repeatable */
};

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code == CAIRN_E_OK ? stdout : stderr,
	    "usage: cairnd [-hnVv] [-f file]\n"
	    "  -f file  configuration file (default %s)\n"
	    "  -n       check the configuration, print a summary and exit\n"
	    "  -V       print the version and exit\n"
	    "  -v       more verbose logging (repeatable)\n"
	    "  -h       print this help and exit\n", CONF_DEFAULT_PATH);
	exit(code);
}

static void
parse_args(int argc, char **argv, struct cairnd_opts *o)
{
	int	 ch;

	o->conf_path = CONF_DEFAULT_PATH;
	while ((ch = getopt(argc, argv, "f:hnVv")) != -1) {
		switch (ch) {
		case 'f':
			o->conf_path = optarg;
			break;
		case 'h':
			usage(CAIRN_E_OK);
		case 'n':
			o->check_only = 1;
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
	conf_free(cf);
	return CAIRN_E_OK;
}

int
main(int argc, char **argv)
{
	struct cairnd_opts	 o = { 0 };

	parse_args(argc, argv, &o);
	log_init("cairnd", o.verbose);
	if (o.check_only)
		return check_config(&o);
	fprintf(stderr, "cairnd: daemon mode not built yet\n");
	return CAIRN_E_SOFTWARE;
}
