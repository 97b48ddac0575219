#ifndef PHONEPACK_CLIBEXPAT_SHIM_H
#define PHONEPACK_CLIBEXPAT_SHIM_H
/* libexpat reads every XML answer of the object stores and every XML body the emulator takes. */
#include <expat.h>
#endif
