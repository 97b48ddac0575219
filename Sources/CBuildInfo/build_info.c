#include "build_info.h"

/* scripts/install.sh writes commit.h (git-ignored) for its build and removes it after. A header rather than
   -Xcc -DPHONEPACK_COMMIT=…: a define given to every C target changes with every commit and rebuilds the whole
   package; a header changes only this file. */
#if __has_include("commit.h")
#include "commit.h"
#endif
#ifndef PHONEPACK_COMMIT
#define PHONEPACK_COMMIT ""
#endif

const char *phonepack_build_commit(void) { return PHONEPACK_COMMIT; }
