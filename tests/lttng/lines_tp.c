/* Instantiates the probes of lines_tp.h. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "lines_tp.h"
