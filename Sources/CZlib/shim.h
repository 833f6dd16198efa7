#ifndef BATON_CZLIB_SHIM_H
#define BATON_CZLIB_SHIM_H
#include <zlib.h>
#endif
