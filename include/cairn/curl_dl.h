/*
 * curl_dl -- libcurl, loaded with dlopen() by the processes that talk HTTP
 * (the upload worker, the notifier, t/s3-helper), never linked into cairnd:
 * its two dozen dependent libraries would add about 3 MiB to the resident
 * set of the supervisor, which stays under 8 MiB (t/72-daemon-scale.sh).
 *
 * Contract
 *   - curl_dl_load() resolves every function below once per process; 0, or
 *     -1 with the reason in err (no libcurl.so.4, or one too old: 7.75 is
 *     the first with CURLOPT_AWS_SIGV4).  Later calls return 0 at once.
 *   - Call the functions through the table (curl_dl.easy_init(), ...), or
 *     include this header after defining CURL_DL_MACROS to keep libcurl's
 *     own names (curl_easy_init, ...) in the code.
 *   - Include it instead of <curl/curl.h>: it disables curl's type-checking
 *     macros, which the table's plain pointers cannot satisfy.
 */
#ifndef CAIRN_CURL_DL_H
#define CAIRN_CURL_DL_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stddef.h>

#define CURL_DL_SONAME	"libcurl.so.4"

struct curl_dl {
	void		*dl;
	CURLcode	(*global_init)(long);
	void		(*global_cleanup)(void);
	CURL		*(*easy_init)(void);
	CURLcode	(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	(*easy_perform)(CURL *);
	CURLcode	(*easy_getinfo)(CURL *, CURLINFO, ...);
	void		(*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		(*slist_free_all)(struct curl_slist *);
	CURLM		*(*multi_init)(void);
	CURLMcode	(*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_perform)(CURLM *, int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLMcode	(*multi_poll)(CURLM *, struct curl_waitfd *, unsigned,
			    int, int *);
	CURLMcode	(*multi_cleanup)(CURLM *);
};

extern struct curl_dl curl_dl;

int	curl_dl_load(char *err, size_t errlen);

#ifdef CURL_DL_MACROS
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init	curl_dl.global_init
#define curl_global_cleanup	curl_dl.global_cleanup
#define curl_easy_init		curl_dl.easy_init
#define curl_easy_setopt	curl_dl.easy_setopt
#define curl_easy_perform	curl_dl.easy_perform
#define curl_easy_getinfo	curl_dl.easy_getinfo
#define curl_easy_cleanup	curl_dl.easy_cleanup
#define curl_easy_strerror	curl_dl.easy_strerror
#define curl_slist_append	curl_dl.slist_append
#define curl_slist_free_all	curl_dl.slist_free_all
#define curl_multi_init		curl_dl.multi_init
#define curl_multi_add_handle	curl_dl.multi_add_handle
#define curl_multi_remove_handle curl_dl.multi_remove_handle
#define curl_multi_perform	curl_dl.multi_perform
#define curl_multi_info_read	curl_dl.multi_info_read
#define curl_multi_poll		curl_dl.multi_poll
#define curl_multi_cleanup	curl_dl.multi_cleanup
#endif

#endif /* CAIRN_CURL_DL_H */
