#ifndef WYSC_CLIBPQ_SHIM_H
#define WYSC_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
