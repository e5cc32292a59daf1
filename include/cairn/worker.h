/*
 * worker.h -- the modes a re-executed cairnd runs in (src/worker/): a job's
 * worker and the alert notifier.  cairnd's main() calls them on its flag;
 * the supervisor starts them with the flag and the channel on
 * WORKER_CHAN_FD.
 *
 * Contract
 *   - Neither returns: each exits with its outcome.
 *   - A worker says HELLO within SUP_HELLO_TIMEOUT_MS of its fork.
 */
#ifndef CAIRN_WORKER_H
#define CAIRN_WORKER_H

#define WORKER_CHAN_FD		3	/* the worker's end of its channel */
#define WORKER_FLAG		"-W"	/* argv[1] of a re-executed worker */
#define NOTIFIER_FLAG		"-N"	/* argv[1] of the notifier worker */
#define SUP_HELLO_TIMEOUT_MS	10000	/* from fork to the worker's HELLO */

/* src/worker/main.c */
__attribute__((noreturn)) void	worker_main(void);
/* src/worker/job_notify.c: the alert delivery worker */
__attribute__((noreturn)) void	notifier_main(void);

#endif /* CAIRN_WORKER_H */
