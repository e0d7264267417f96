// SPDX-License-Identifier: MIT OR Apache-2.0
/* Kernel-style probe sites: every form tracer-lsp links to its declaration. */
#define CREATE_TRACE_POINTS
#include <trace/events/demo_sched.h>

static void demo_probe(void *data, int pid, int cpu) { }

void demo_schedule(int prev, int next, unsigned int state)
{
	trace_demo_switch(prev, next, state);
	if (trace_demo_wakeup_enabled())
		trace_demo_wakeup(next, 0);
}

void demo_migrate(int pid, int from, int to)
{
	trace_demo_migrate_out(pid, from);
	trace_demo_migrate_in(pid, to);
}

int demo_init(void)
{
	return register_trace_demo_wakeup(demo_probe, NULL);
}
