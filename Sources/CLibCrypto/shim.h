#ifndef PHONEPACK_CLIBCRYPTO_SHIM_H
#define PHONEPACK_CLIBCRYPTO_SHIM_H
/* Only the OpenSSL 3 API is visible: the deprecated 1.x entry points become compile errors. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#endif
