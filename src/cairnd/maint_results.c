/*
 * maint_results.c -- what a maintenance worker's answers change (split
 * from maint.c): each RESULT checked and recorded in the catalog and the
 * audit trail, items never answered, and the end of a run (maint_int.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/errors.h"
#include "cairn/frame.h"
#include "cairn/log.h"
#include "cairn/prune.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "alerts.h"
#include "maint_int.h"

/* -- results ----------------------------------------------------------- */

/* The first failed check's name, or what kind of failure it was. */
static const char *
maint_check_name(const struct msg_result *r)
{
	for (int c = 0; c < VERIFY_CHECK_MAX; c++)
		if (r->failed & (1u << c))
			return verify_check_name(c);
	return r->code == CAIRN_E_NOINPUT ? "open" : "error";
}

/*
 * The worker could not open the file: if it is gone, the artifact is
 * missing (catalog, audit artifact-missing, answer 66), not damaged.
 */
static int
maint_verify_gone(struct maint *h, struct hjob *hj, struct hitem *it)
{
	struct stat	 st;
	char		*rel, line[600];
	int		 gone;

	rel = xasprintf("%s/%s", hj->name, it->name);
	gone = fstatat(h->boot->backup_dirfd, rel, &st,
	    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT;
	if (gone) {
		if (h->boot->catalog != NULL && catalog_set_status(
		    h->boot->catalog, it->id, ART_MISSING) == -1)
			log_warnx("catalog: %s: %s", rel,
			    catalog_error(h->boot->catalog));
		log_warnx("%s: %s is missing", hj->name, it->name);
		maint_audit(h, "artifact-missing", AF_STR("job", hj->name),
		    AF_STR("artifact", rel));
		snprintf(line, sizeof(line), "%s: missing: the file is gone",
		    rel);
		maint_req_item(h, 0, hj, it->id, NULL, CAIRN_E_NOINPUT, line);
	}
	free(rel);
	return gone;
}

static void
maint_verified(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	char		 text[512], line[900], *rel;
	const char	*check = NULL;
	int		 ok = r->code == CAIRN_E_OK, record;

	if (r->code == CAIRN_E_NOINPUT && maint_verify_gone(h, hj, it))
		return;
	if (ok && it->sha256[0] != '\0' &&
	    strcmp(it->sha256, r->sha256_hex) != 0) {
		/* the worker's claim against what the catalog recorded */
		ok = 0;
		check = "sha256";
		snprintf(text, sizeof(text), "sha256 mismatch: catalog %.12s... "
		    "file %.12s...", it->sha256, r->sha256_hex);
	} else if (it->found) {
		/*
		 * A file found on disk without a row: its SHA-256 and table
		 * counts were never recorded by a backup run, so nothing
		 * proves it is what was dumped.  It never counts as verified.
		 */
		ok = 0;
		check = "catalog";
		snprintf(text, sizeof(text), "no catalog record from a backup "
		    "run (found on disk); content: %s", r->message);
		/* reconcile did not read the file: the worker hashed it */
		if (it->sha256[0] == '\0' && strlen(r->sha256_hex) == 64 &&
		    h->boot->catalog != NULL && catalog_set_sha256(
		    h->boot->catalog, it->id, r->sha256_hex) == -1)
			log_warnx("catalog: %s/%s: %s", hj->name, it->name,
			    catalog_error(h->boot->catalog));
	} else if (!ok) {
		check = maint_check_name(r);
		snprintf(text, sizeof(text), "%s", r->message);
	} else	/* "ok", and for an age file which level ran */
		snprintf(text, sizeof(text), "%s", strncmp(r->message, "ok",
		    2) == 0 ? r->message : "ok");

	/* a check that could not run says nothing about the file */
	record = ok || check == NULL || strcmp(check, "error") != 0;
	if (record && h->boot->catalog != NULL &&
	    catalog_set_verified(h->boot->catalog, it->id, ok, time(NULL),
	    text) == -1) {
		log_warnx("catalog: %s/%s: %s", hj->name, it->name,
		    catalog_error(h->boot->catalog));
		sup_catalog_fault(h->boot, catalog_error(h->boot->catalog));
	}
	if (ok)
		snprintf(line, sizeof(line), "%s/%s: %s", hj->name, it->name,
		    text);
	else
		snprintf(line, sizeof(line), "%s/%s: %s check failed: %s",
		    hj->name, it->name, check, text);
	maint_req_item(h, 0, hj, it->id, NULL, ok ? CAIRN_E_OK :
	    strcmp(check, "error") == 0 && r->code != CAIRN_E_OK ? r->code :
	    CAIRN_E_VERIFY, line);
	if (ok) {
		log_info("%s: verified %s", hj->name, it->name);
		rel = xasprintf("%s/%s", hj->name, it->name);
		if (!it->found && hj->ujob.upload != NULL &&
		    !maint_has_copy(h, hj, rel))
			maint_upload_queue(h, hj, it->id);
		free(rel);
		maint_audit(h, "artifact-verified", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name),
		    AF_STR("sha256", r->sha256_hex));
		alerts_verified(sup_alerts(h->sup), hj->name, it->name, 1,
		    "ok");
		return;
	}
	h->failures++;
	log_warnx("%s: verification of %s failed: %s: %s", hj->name,
	    it->name, check, text);
	maint_audit(h, "artifact-verify-failed", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("check", check),
	    AF_STR("cause", text), AF_INT("code", (int64_t)r->code));
	if (record) {
		snprintf(line, sizeof(line), "%s check: %s", check, text);
		alerts_verified(sup_alerts(h->sup), hj->name, it->name, 0,
		    line);
	}
}

static void
maint_pruned(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	struct stat	 st;
	char		*rel, line[600];
	int		 gone;

	rel = xasprintf("%s/%s", hj->name, it->name);
	gone = fstatat(h->boot->backup_dirfd, rel, &st,
	    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT;
	free(rel);
	if (gone)
		maint_req_item(h, 1, hj, 0, it->name, CAIRN_E_OK, "");
	if (!gone) {
		snprintf(line, sizeof(line), "%s/%s: not removed: %s", hj->name,
		    it->name, r->code == CAIRN_E_OK ? "still there" :
		    r->message);
		maint_req_item(h, 1, hj, 0, it->name, r->code == CAIRN_E_OK ?
		    CAIRN_E_IOERR : r->code, line);
		h->failures++;
		log_warnx("%s: could not remove %s: %s", hj->name, it->name,
		    r->code == CAIRN_E_OK ? "still there" : r->message);
		maint_audit(h, "prune-failed", AF_STR("job", hj->name),
		    AF_STR("file", it->name), AF_STR("error",
		    r->code == CAIRN_E_OK ? "reported removed, still there" :
		    r->message));
		return;
	}
	if (it->what == PRUNE_TEMP) {
		log_info("%s: removed stale %s", hj->name, it->name);
		maint_audit(h, "partial-removed", AF_STR("job", hj->name),
		    AF_STR("file", it->name), AF_STR("reason", it->reason));
		return;
	}
	if (h->boot->catalog != NULL &&
	    catalog_delete(h->boot->catalog, it->id) == -1) {
		log_warnx("catalog: %s/%s: %s", hj->name, it->name,
		    catalog_error(h->boot->catalog));
		sup_catalog_fault(h->boot, catalog_error(h->boot->catalog));
	}
	log_info("%s: pruned %s (%s)", hj->name, it->name, it->reason);
	maint_audit(h, "artifact-pruned", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("reason", it->reason));
}

/* PREFIX JOB/NAME on the remote named remote. */
static void
maint_remote_key(struct maint *h, const char *remote, const char *path,
    char *out, size_t outlen)
{
	const struct s3_conf	*r = conf_s3_find(sup_conf(h->sup), remote);

	snprintf(out, outlen, "%s%s", r != NULL ? r->prefix : "", path);
}

static void
maint_uploaded(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r, unsigned attempt)
{
	struct remote_copy	 rc;
	struct artifact		 a;
	const char		*remote = hj->ujob.upload != NULL ?
				    hj->ujob.upload : "";
	char			 why[300];

	if (r->code == CAIRN_E_OK && (strcmp(r->sha256_hex, it->sha256) != 0 ||
	    r->stored_bytes != it->size)) {
		/* the worker's claim against what the catalog recorded */
		snprintf(why, sizeof(why), "the remote object does not match "
		    "the catalog (size %llu, sha256 %.12s...)",
		    (unsigned long long)r->stored_bytes, r->sha256_hex);
	} else if (r->code != CAIRN_E_OK)
		snprintf(why, sizeof(why), "%s", r->message);
	else {
		memset(&rc, 0, sizeof(rc));
		snprintf(rc.remote, sizeof(rc.remote), "%s", remote);
		snprintf(rc.job, sizeof(rc.job), "%s", hj->name);
		snprintf(rc.path, sizeof(rc.path), "%s/%s", hj->name,
		    it->name);
		maint_remote_key(h, remote, rc.path, rc.key, sizeof(rc.key));
		/* pruned while it went up: the copy outlives the row */
		rc.artifact_id = h->boot->catalog != NULL &&
		    catalog_get(h->boot->catalog, it->id, &a) == 0 ? it->id : 0;
		rc.size = r->stored_bytes;
		snprintf(rc.sha256, sizeof(rc.sha256), "%s", r->sha256_hex);
		snprintf(rc.etag, sizeof(rc.etag), "%.127s", r->message);
		rc.uploaded = rc.verified_at = time(NULL);
		if (h->boot->catalog != NULL &&
		    catalog_remote_add(h->boot->catalog, &rc) == -1)
			log_warnx("catalog: %s: %s", rc.path,
			    catalog_error(h->boot->catalog));
		log_info("%s: uploaded %s to %s as %s", hj->name, it->name,
		    remote, rc.key);
		hj->ustate.last_success = rc.uploaded;
		hj->ustate.bytes += rc.size;
		sup_metrics(h->sup);
		alerts_uploaded(sup_alerts(h->sup), hj->name, it->name, 1,
		    NULL);
		maint_audit(h, "artifact-uploaded", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name), AF_STR("remote", remote),
		    AF_STR("key", rc.key), AF_UINT("bytes", rc.size),
		    AF_STR("etag", rc.etag), AF_STR("sha256", rc.sha256));
		return;
	}
	it->failed = 1;
	h->failures++;
	log_warnx("%s: upload of %s to %s failed: %s", hj->name, it->name,
	    remote, why);
	hj->ustate.failures++;
	sup_metrics(h->sup);
	alerts_uploaded(sup_alerts(h->sup), hj->name, it->name, 0, why);
	maint_audit(h, "upload-failed", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("remote", remote),
	    AF_STR("error", why), AF_INT("code", (int64_t)r->code),
	    AF_UINT("attempt", attempt));
}

/*
 * A remote copy's HEAD: gone or different from the catalog means the copy
 * is lost, so its row goes and the artifact, if still here and good, is
 * uploaded again; a check that could not run changes nothing.
 */
static void
maint_remote_checked(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	const char	*remote = hj->ujob.upload;
	char		 path[600], key[1200];
	int		 lost;

	snprintf(path, sizeof(path), "%s/%s", hj->name, it->name);
	maint_remote_key(h, remote, path, key, sizeof(key));
	if (r->code == CAIRN_E_OK && strcmp(r->sha256_hex, it->sha256) == 0 &&
	    r->stored_bytes == it->size) {
		log_info("%s: remote copy %s on %s: ok", hj->name, key,
		    remote);
		maint_audit(h, "remote-verified", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name), AF_STR("remote", remote),
		    AF_STR("key", key));
		return;
	}
	lost = r->code == CAIRN_E_OK || r->code == CAIRN_E_VERIFY ||
	    r->code == CAIRN_E_NOINPUT;
	h->failures++;
	log_warnx("%s: remote copy %s on %s: %s%s", hj->name, key, remote,
	    r->code == CAIRN_E_OK ? "does not match the catalog" : r->message,
	    lost ? "" : " (not checked)");
	maint_audit(h, "remote-verify-failed", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("remote", remote),
	    AF_STR("key", key), AF_STR("error", r->code == CAIRN_E_OK ?
	    "does not match the catalog" : r->message),
	    AF_INT("code", (int64_t)r->code),
	    AF_STR("action", !lost ? "none" : it->art_id > 0 ? "re-upload" :
	    "forgotten"));
	if (!lost)
		return;
	if (h->boot->catalog != NULL &&
	    catalog_remote_delete(h->boot->catalog, it->id) == -1)
		log_warnx("catalog: %s: %s", path,
		    catalog_error(h->boot->catalog));
	if (it->art_id > 0)
		maint_upload_queue(h, hj, it->art_id);
}

/* Remote retention deleted a copy (or could not): catalog and audit. */
static void
maint_remote_deleted(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	const char	*remote = hj->ujob.upload != NULL ?
			    hj->ujob.upload : "";
	char		 path[600], key[1200];

	snprintf(path, sizeof(path), "%s/%s", hj->name, it->name);
	maint_remote_key(h, remote, path, key, sizeof(key));
	if (r->code != CAIRN_E_OK) {
		h->failures++;
		log_warnx("%s: could not delete remote copy %s on %s: %s",
		    hj->name, key, remote, r->message);
		maint_audit(h, "remote-delete-failed", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name), AF_STR("remote", remote),
		    AF_STR("key", key), AF_STR("error", r->message),
		    AF_INT("code", (int64_t)r->code));
		return;
	}
	if (h->boot->catalog != NULL &&
	    catalog_remote_delete(h->boot->catalog, it->id) == -1)
		log_warnx("catalog: %s: %s", path,
		    catalog_error(h->boot->catalog));
	log_info("%s: deleted remote copy %s on %s (%s)", hj->name, key,
	    remote, it->reason);
	maint_audit(h, "remote-deleted", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("remote", remote),
	    AF_STR("key", key), AF_STR("reason", it->reason));
}

/*
 * The listing found an object the run's items did not name: unless the
 * catalog knows its key after all, it is reported once (log, audit
 * remote-unknown) and left alone.
 */
static void
maint_remote_unknown(struct maint *h, struct hjob *hj,
    const struct msg_result *r)
{
	const char		*remote = hj->ujob.upload != NULL ?
				    hj->ujob.upload : "";
	const struct s3_conf	*rs;
	struct remote_copy	*rc = NULL;
	size_t			 n = 0;
	char			*key;
	int			 known = 0;

	rs = conf_s3_find(sup_conf(h->sup), remote);
	key = xasprintf("%s%s/%s", rs != NULL ? rs->prefix : "", hj->name,
	    r->message);
	for (size_t i = 0; i < hj->nunknown && !known; i++)
		known = strcmp(hj->unknown[i], key) == 0;
	if (!known && h->boot->catalog != NULL &&
	    catalog_remote_list(h->boot->catalog, hj->name, &rc, &n) == 0)
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(rc[i].remote, remote) == 0 &&
			    strcmp(rc[i].key, key) == 0;
	free(rc);
	if (known) {
		free(key);
		return;
	}
	hj->unknown = xreallocarray(hj->unknown, hj->nunknown + 1,
	    sizeof(*hj->unknown));
	hj->unknown[hj->nunknown++] = key;
	hj->ustate.unknown = hj->nunknown;
	log_warnx("%s: %s on %s is not in the catalog (%llu bytes); left "
	    "alone", hj->name, key, remote,
	    (unsigned long long)r->stored_bytes);
	maint_audit(h, "remote-unknown", AF_STR("job", hj->name),
	    AF_STR("remote", remote), AF_STR("key", key),
	    AF_UINT("bytes", r->stored_bytes));
}

int
maint_result(struct maint *h, struct worker *w, const unsigned char *p,
    size_t len)
{
	struct hjob		*hj = maint_job_of(h, w->slot);
	struct msg_result	 r;
	struct hitem		*v;
	size_t			 n;

	if (hj == NULL || frame_decode_result(p, len, &r) == -1)
		return -1;
	for (char *t = r.message; *t != '\0'; t++)	/* untrusted text */
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			*t = '?';
	v = w->slot == hj->vslot ? hj->vfly : w->slot == hj->uslot ?
	    hj->ufly : hj->pfly;
	n = w->slot == hj->vslot ? hj->nvfly : w->slot == hj->uslot ?
	    hj->nufly : hj->npfly;
	if (r.index >= n || v[r.index].answered)
		return -1;
	if (w->slot == hj->uslot && v[r.index].rlist && r.failed == 1) {
		/* one object of the listing; the last RESULT ends it */
		maint_remote_unknown(h, hj, &r);
		return 0;
	}
	v[r.index].answered = 1;
	if (w->slot == hj->uslot && v[r.index].rlist) {
		if (r.code != CAIRN_E_OK)
			log_warnx("%s: listing the remote: %s", hj->name,
			    r.message);
	} else if (w->slot == hj->uslot && v[r.index].rdelete)
		maint_remote_deleted(h, hj, &v[r.index], &r);
	else if (w->slot == hj->uslot && v[r.index].rcheck)
		maint_remote_checked(h, hj, &v[r.index], &r);
	else if (w->slot == hj->uslot)
		maint_uploaded(h, hj, &v[r.index], &r, w->slot->attempt);
	else if (w->slot == hj->vslot)
		maint_verified(h, hj, &v[r.index], &r);
	else
		maint_pruned(h, hj, &v[r.index], &r);
	return 0;
}

/* An item the worker never answered: its requests learn why. */
static void
maint_unanswered(struct maint *h, int prune, struct hjob *hj,
    const struct hitem *it, const struct worker *w, int code)
{
	char	 line[600];

	snprintf(line, sizeof(line), "%s/%s: not %s: worker failed: %s",
	    hj->name, it->name, prune ? "removed" : "verified",
	    w->cause[0] != '\0' ? w->cause : "no answer");
	maint_req_item(h, prune, hj, it->id, it->name,
	    code != CAIRN_E_OK ? code : CAIRN_E_SOFTWARE, line);
}

void
maint_end(struct maint *h, struct worker *w, int code, int64_t art_id)
{
	struct hjob	*hj = maint_job_of(h, w->slot);

	if (hj == NULL) {
		/* a backup run */
		h->dirty = 1;
		if (art_id > 0 && (hj = maint_job(h, w->slot->name)) != NULL &&
		    sup_conf(h->sup)->verify.after_backup)
			maint_verify_queue(h, hj, art_id);
		return;
	}
	if (w->slot == hj->uslot) {
		/* failed or unanswered uploads go back for the retry */
		for (size_t i = 0; i < hj->nufly; i++) {
			/* a deletion not done: the next prune plans it again */
			if (hj->ufly[i].rdelete)
				continue;
			if (hj->ufly[i].rcheck) {
				if (!hj->ufly[i].answered &&
				    w->slot->state == SLOT_BACKOFF)
					hj->rcheck = 1;
				continue;
			}
			if (hj->ufly[i].answered && !hj->ufly[i].failed)
				continue;
			if (w->slot->state == SLOT_BACKOFF)
				maint_upload_queue(h, hj, hj->ufly[i].id);
			else if (!hj->ufly[i].answered) {
				h->failures++;
				hj->ustate.failures++;
				sup_metrics(h->sup);
				alerts_uploaded(sup_alerts(h->sup), hj->name,
				    hj->ufly[i].name, 0, w->cause[0] != '\0' ?
				    w->cause : "worker failed");
				maint_audit(h, "upload-failed",
				    AF_STR("job", hj->name),
				    AF_STR("artifact", hj->ufly[i].name),
				    AF_STR("remote", hj->ujob.upload != NULL ?
				    hj->ujob.upload : ""),
				    AF_STR("error", w->cause[0] != '\0' ?
				    w->cause : "worker failed"),
				    AF_INT("code", code),
				    AF_UINT("attempt", w->slot->attempt));
			}
		}
		free(hj->ufly);
		hj->ufly = NULL;
		hj->nufly = 0;
		/* verified while it ran: never tried yet, whatever the code */
		if ((hj->nupending > 0 || hj->rcheck || hj->nrdel > 0) &&
		    w->slot->state == SLOT_IDLE)
			sup_slot_queue(h->sup, hj->uslot);
	} else if (w->slot == hj->vslot) {
		/* unanswered items go back for the retry, if there is one */
		for (size_t i = 0; i < hj->nvfly; i++)
			if (hj->vfly[i].answered)
				continue;
			else if (w->slot->state == SLOT_BACKOFF)
				maint_verify_queue(h, hj, hj->vfly[i].id);
			else
				maint_unanswered(h, 0, hj, &hj->vfly[i], w,
				    code);
		free(hj->vfly);
		hj->vfly = NULL;
		hj->nvfly = 0;
		h->dirty = 1;
		/* queued while it ran; after a failure, the next trigger */
		if (code == CAIRN_E_OK && hj->npending > 0 &&
		    w->slot->state == SLOT_IDLE)
			sup_slot_queue(h->sup, hj->vslot);
	} else {
		for (size_t i = 0; i < hj->npfly; i++)
			if (!hj->pfly[i].answered)
				maint_unanswered(h, 1, hj, &hj->pfly[i], w,
				    code);
		free(hj->pfly);
		hj->pfly = NULL;
		hj->npfly = 0;
	}
}
