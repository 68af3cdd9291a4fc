#ifndef SWIFTSM_CIBUMAD_SHIM_H
#define SWIFTSM_CIBUMAD_SHIM_H
#include <infiniband/umad.h>
#endif
