#ifndef PHONEPACK_CLIBCRYPTO_SHIM_H
#define PHONEPACK_CLIBCRYPTO_SHIM_H
/* Only the OpenSSL 3 API is visible: the deprecated 1.x entry points become compile errors. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
/* APK signatures: public keys, certificates and JAR (PKCS #7) signatures. */
#include <openssl/x509.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/bio.h>
#include <openssl/objects.h>

/* X509_NAME_print_ex flags as Java's X500Principal prints a name (apksigner's "certificate DN"): the RDNs last
 * first, ", " between them, short field names, UTF-8 kept, a value with special characters in double quotes. The flag macros are composites Swift cannot import. */
static inline unsigned long phonepack_dn_print_flags(void) {
    return (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_ESC_QUOTE
        | XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_DN_REV | XN_FLAG_FN_SN;
}

/* The bytes a memory BIO holds (BIO_get_mem_data is a macro). */
static inline long phonepack_bio_contents(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/* Verifies a detached PKCS #7 SignedData (a JAR signature block: .RSA, .EC, .DSA) over `data` (the .SF file),
 * with no certificate chain checked (Android trusts no CA for APKs: the certificate itself is the identity).
 * Returns the first signer's certificate (a new reference, or NULL when there is none) and sets *verified. The
 * STACK_OF macros Swift cannot import stay here. */
static inline X509 *phonepack_pkcs7_verify_detached(const unsigned char *der, long derLength,
                                                     const unsigned char *data, long dataLength, int *verified) {
    *verified = 0;
    const unsigned char *cursor = der;
    PKCS7 *p7 = d2i_PKCS7(NULL, &cursor, derLength);
    if (p7 == NULL) return NULL;
    X509 *certificate = NULL;
    if (PKCS7_type_is_signed(p7)) {
        BIO *content = BIO_new_mem_buf(data, (int)dataLength);
        X509_STORE *store = X509_STORE_new();
        if (content != NULL && store != NULL) {
            *verified = PKCS7_verify(p7, NULL, store, content, NULL, PKCS7_NOVERIFY | PKCS7_BINARY) == 1;
            STACK_OF(X509) *signers = PKCS7_get0_signers(p7, NULL, 0);
            if (signers != NULL && sk_X509_num(signers) > 0) {
                certificate = sk_X509_value(signers, 0);
                X509_up_ref(certificate);
            }
            sk_X509_free(signers);
        }
        X509_STORE_free(store);
        BIO_free(content);
    }
    PKCS7_free(p7);
    ERR_clear_error();
    return certificate;
}
#endif
