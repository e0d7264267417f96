/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A second file including the same provider header: its probes, sites and weak log levels link
 * next to the first file's. run.sh also builds it as C++ next to a C main (C linkage: check.h). */
#include "test-tp.h"

#include "check.h"

void other_request_end(int id, const char *path)
{
    tracepoint(test_tp, request_end, id, path);
}
