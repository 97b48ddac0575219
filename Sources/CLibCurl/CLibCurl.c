#include "CLibCurl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static struct cswift_curl_functions functions;
static const struct cswift_curl_functions *loaded;
static char error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define FIND(field, symbol)                                                                                       \
    do {                                                                                                        \
        *(void **)(&functions.field) = dlsym(library, symbol);                                                    \
        if (!functions.field) {                                                                                 \
            snprintf(error, sizeof error, "%s has no %s", library_name, symbol);                                    \
            return;                                                                                             \
        }                                                                                                       \
    } while (0)

static void load(void) {
    /* The soname Debian's libcurl4 (OpenSSL flavour) installs, unless PHONEPACK_LIBCURL names another build;
       RTLD_LOCAL keeps its symbols out of the way. */
    const char *name = getenv("PHONEPACK_LIBCURL");
    if (!name || !*name) name = "libcurl.so.4";
    const char *library_name = name;
    void *library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *reason = dlerror();
        snprintf(error, sizeof error, "%s", reason ? reason : "libcurl cannot be loaded");
        return;
    }
    FIND(global_init, "curl_global_init");
    FIND(easy_init, "curl_easy_init");
    FIND(easy_cleanup, "curl_easy_cleanup");
    FIND(easy_reset, "curl_easy_reset");
    FIND(easy_perform, "curl_easy_perform");
    FIND(easy_strerror, "curl_easy_strerror");
    FIND(easy_setopt, "curl_easy_setopt");
    FIND(easy_getinfo, "curl_easy_getinfo");
    FIND(slist_append, "curl_slist_append");
    FIND(slist_free_all, "curl_slist_free_all");
    FIND(version_info, "curl_version_info");
    loaded = &functions;
}

const struct cswift_curl_functions *cswift_curl(void) {
    pthread_once(&once, load);
    return loaded;
}

const char *cswift_curl_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : error;
}
