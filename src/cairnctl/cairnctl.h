/*
 * cairnctl -- the control CLI's internal interfaces (main.c, offline.c,
 * restore.c).  man/cairnctl.8 and docs/control.md describe the commands.
 *
 * Contract
 *   - Every command returns a CAIRN_E_* code, which becomes cairnctl's exit
 *     status; messages go to stderr as "cairnctl: context: cause".
 *   - struct cli is filled once by main() from the command line and the
 *     config; commands borrow it.
 */
#ifndef CAIRN_CAIRNCTL_H
#define CAIRN_CAIRNCTL_H

#include <stdbool.h>

#include "cairn/conf.h"

#define CTL_DEFAULT_SOCKET	"/run/cairn/cairnd.sock"
#define CTL_DEFAULT_BACKUP_DIR	"/var/backups/cairn"

struct cli {
	const char	*socket;	/* -s, or the config's control_socket */
	const char	*backup_dir;	/* -d, or the config's backup_dir */
	const char	*audit_log;	/* the config's audit_log, or DIR/audit.log */
	bool		 backup_dir_set;	/* -d given or from a config */
	bool		 json;		/* --json */
	struct conf	*conf;		/* NULL: none loaded */
};

/* "cairnctl: ..." on stderr */
void	cli_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * The first line of a secret file (a password, an S3 key) in *out (new,
 * cli_free_secret()); -1 with "WHAT PATH: why" printed.
 */
int	cli_read_secret(const char *what, const char *path, char **out);
/* Wipes and frees s (NULL: nothing). */
void	cli_free_secret(char *s);

/* offline.c */
int	cmd_list(struct cli *, int argc, char **argv);
int	cmd_audit(struct cli *, int argc, char **argv);

/* restore.c */
int	cmd_restore(struct cli *, int argc, char **argv);

/* fetch.c: restore --remote; the download is f->path, in f->dir */
struct fetched {
	char	*dir;		/* owns: a private temporary folder */
	char	*path;		/* owns: dir/NAME */
};
int	fetch_remote(struct cli *, const char *remote, const char *artifact,
	    struct fetched *f);
/* Removes the download and its folder; f may be all zero. */
void	fetch_cleanup(struct fetched *f);

/* rebuild.c */
int	cmd_catalog_rebuild(struct cli *, int argc, char **argv);

#endif /* CAIRN_CAIRNCTL_H */
