#ifndef PHONEPACK_BUILD_INFO_H
#define PHONEPACK_BUILD_INFO_H
/* The commit an installed build was made from, "" for a development build. */
const char *phonepack_build_commit(void);
#endif
