#ifndef PHONEPACK_CLINUXEXTRAS_SHIM_H
#define PHONEPACK_CLINUXEXTRAS_SHIM_H
/* Linux calls Swift's Glibc module does not carry: extended attributes (set on extracted files) and prctl
   (variadic in C, so wrapped). */
#include <sys/xattr.h>
#include <sys/prctl.h>

/* Marks the process not dumpable: no core file, and no other process of the same user may ptrace it or read
   its memory through /proc. Returns 0 on success. */
static inline int phonepack_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
#endif
