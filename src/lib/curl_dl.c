/* curl_dl.c -- see curl_dl.h */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "cairn/curl_dl.h"

struct curl_dl curl_dl;

/* dlsym() gives an object pointer; copy it into a function pointer */
static int
sym(void *fnp, size_t size, const char *name, char *err, size_t errlen)
{
	void	*f = dlsym(curl_dl.dl, name);

	if (f == NULL || size != sizeof(f)) {
		snprintf(err, errlen, "%s has no %s (libcurl >= 7.75 needed)",
		    CURL_DL_SONAME, name);
		return -1;
	}
	memcpy(fnp, &f, sizeof(f));
	return 0;
}

#define SYM(field, name) \
	(sym(&curl_dl.field, sizeof(curl_dl.field), name, err, errlen) == 0)

int
curl_dl_load(char *err, size_t errlen)
{
	if (curl_dl.dl != NULL)
		return 0;
	if ((curl_dl.dl = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL)) ==
	    NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	if (SYM(global_init, "curl_global_init") &&
	    SYM(global_cleanup, "curl_global_cleanup") &&
	    SYM(easy_init, "curl_easy_init") &&
	    SYM(easy_setopt, "curl_easy_setopt") &&
	    SYM(easy_perform, "curl_easy_perform") &&
	    SYM(easy_getinfo, "curl_easy_getinfo") &&
	    SYM(easy_cleanup, "curl_easy_cleanup") &&
	    SYM(easy_strerror, "curl_easy_strerror") &&
	    SYM(slist_append, "curl_slist_append") &&
	    SYM(slist_free_all, "curl_slist_free_all") &&
	    SYM(multi_init, "curl_multi_init") &&
	    SYM(multi_add_handle, "curl_multi_add_handle") &&
	    SYM(multi_remove_handle, "curl_multi_remove_handle") &&
	    SYM(multi_perform, "curl_multi_perform") &&
	    SYM(multi_info_read, "curl_multi_info_read") &&
	    SYM(multi_poll, "curl_multi_poll") &&
	    SYM(multi_cleanup, "curl_multi_cleanup"))
		return 0;
	dlclose(curl_dl.dl);
	memset(&curl_dl, 0, sizeof(curl_dl));
	return -1;
}
