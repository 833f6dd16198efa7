#ifndef BATON_CJQ_SHIM_H
#define BATON_CJQ_SHIM_H
#include <jq.h>
#include <jv.h>
#endif
