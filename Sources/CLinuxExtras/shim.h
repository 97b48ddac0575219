#ifndef PHONEPACK_CLINUXEXTRAS_SHIM_H
#define PHONEPACK_CLINUXEXTRAS_SHIM_H
/* Linux calls Swift's Glibc module does not carry: extended attributes, set on extracted files. */
#include <sys/xattr.h>
#endif
