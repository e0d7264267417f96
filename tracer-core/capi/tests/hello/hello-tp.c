/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The tracepoint provider's object: where LTTng-UST instantiates the probes. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE

#include "hello-tp.h"
