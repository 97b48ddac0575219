#ifndef PHONEPACK_CLIBCURL_H
#define PHONEPACK_CLIBCURL_H
/* libcurl, loaded on first use. Linking it made every phonepack command load libcurl and the ~30 libraries it
   brings (GnuTLS, Kerberos, LDAP, RTMP, SSH, …): 10 ms of a 20 ms start, for build, verify or extract that never
   go on the network. Only the types and constants come from <curl/curl.h>; each function is found in
   "libcurl.so.4" (dlopen) the first time any is needed. */
#include <curl/curl.h>

/* libcurl's functions, or NULL when the library could not be loaded (cswift_curl_error says why). The first call
   loads it, thread-safely; later calls cost a load of one pointer. */
struct cswift_curl_functions {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    void (*easy_reset)(CURL *handle);
    CURLcode (*easy_perform)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
    curl_version_info_data *(*version_info)(CURLversion version);
};
const struct cswift_curl_functions *cswift_curl(void);
/* Why libcurl could not be loaded (dlerror's text), or NULL when it was. */
const char *cswift_curl_error(void);

/* Call these only after cswift_curl() returned non-NULL. curl_easy_setopt/getinfo are variadic; Swift imports
   typed, non-variadic wrappers instead. */
static inline CURLcode cswift_curl_global_init(long flags) { return cswift_curl()->global_init(flags); }
static inline CURL *cswift_curl_easy_init(void) { return cswift_curl()->easy_init(); }
static inline void cswift_curl_easy_cleanup(CURL *h) { cswift_curl()->easy_cleanup(h); }
static inline void cswift_curl_easy_reset(CURL *h) { cswift_curl()->easy_reset(h); }
static inline CURLcode cswift_curl_easy_perform(CURL *h) { return cswift_curl()->easy_perform(h); }
static inline const char *cswift_curl_easy_strerror(CURLcode c) { return cswift_curl()->easy_strerror(c); }
static inline struct curl_slist *cswift_curl_slist_append(struct curl_slist *l, const char *t) { return cswift_curl()->slist_append(l, t); }
static inline void cswift_curl_slist_free_all(struct curl_slist *l) { cswift_curl()->slist_free_all(l); }
static inline CURLcode cswift_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return cswift_curl()->easy_setopt(h, o, v); }
static inline CURLcode cswift_curl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return cswift_curl()->easy_setopt(h, o, v); }
static inline CURLcode cswift_curl_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return cswift_curl()->easy_setopt(h, o, v); }
static inline CURLcode cswift_curl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return cswift_curl()->easy_setopt(h, o, v); }
static inline CURLcode cswift_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return cswift_curl()->easy_setopt(h, o, v); }
static inline CURLcode cswift_curl_easy_setopt_read_cb(CURL *h, curl_read_callback f) { return cswift_curl()->easy_setopt(h, CURLOPT_READFUNCTION, f); }
static inline CURLcode cswift_curl_easy_setopt_write_cb(CURL *h, curl_write_callback f) { return cswift_curl()->easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode cswift_curl_easy_setopt_header_cb(CURL *h, curl_write_callback f) { return cswift_curl()->easy_setopt(h, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode cswift_curl_easy_setopt_seek_cb(CURL *h, curl_seek_callback f) { return cswift_curl()->easy_setopt(h, CURLOPT_SEEKFUNCTION, f); }
static inline CURLcode cswift_curl_easy_setopt_xferinfo_cb(CURL *h, curl_xferinfo_callback f) { return cswift_curl()->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f); }
static inline CURLcode cswift_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return cswift_curl()->easy_getinfo(h, i, v); }
static inline CURLcode cswift_curl_easy_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v) { return cswift_curl()->easy_getinfo(h, i, v); }
/* The libcurl release this process runs with (CURLVERSION_NOW is a macro Swift does not import). */
static inline const char *cswift_curl_version(void) { return cswift_curl()->version_info(CURLVERSION_NOW)->version; }
#endif
