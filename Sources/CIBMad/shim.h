#ifndef SWIFTSM_CIBMAD_SHIM_H
#define SWIFTSM_CIBMAD_SHIM_H
#include <infiniband/mad.h>
#endif
