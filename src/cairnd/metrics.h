/*
 * metrics -- cairnd's metrics file for node_exporter's textfile collector
 * (Prometheus text exposition format 0.0.4).
 *
 * Contract
 *   - metrics_write() renders the status snapshot (borrowed) and replaces
 *     path atomically: a temporary ".NAME.XXXXXX" in the same folder is
 *     written, fsynced, made mode 0644 and renamed over path, so the
 *     collector never reads half a file.  On error the temporary file is
 *     removed and path keeps its old contents.
 *   - The metrics, their labels and meaning are listed in docs/control.md.
 *   - Errors: -1 with errno set and a message in err.
 */
#ifndef CAIRN_METRICS_H
#define CAIRN_METRICS_H

#include <stddef.h>

#include "cairn/ctlproto.h"

/* Appends the text of the metrics to out. */
void	 metrics_format(const struct ctl_status *, struct buf *out);
int	 metrics_write(const char *path, const struct ctl_status *,
	    char *err, size_t errlen);

#endif /* CAIRN_METRICS_H */
