/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A module with tracepoints that plugin-host.c loads with dlopen and unloads with dlclose. */
#define TRACEPOINT_DEFINE
#include "plugin-tp.h"

int plugin_work(int times)
{
    for (int i = 0; i < times; i++)
        tracepoint(plugin, work, i);
    return times;
}
