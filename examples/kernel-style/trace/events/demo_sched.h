/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Kernel-style tracepoint declarations, written the way Linux trace headers are. */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM demo_sched

#if !defined(_TRACE_DEMO_SCHED_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DEMO_SCHED_H

#include <linux/tracepoint.h>

TRACE_EVENT(demo_switch,

	TP_PROTO(int prev_pid, int next_pid, unsigned int prev_state),

	TP_ARGS(prev_pid, next_pid, prev_state),

	TP_STRUCT__entry(
		__field(int,		prev_pid)
		__field(int,		next_pid)
		__field(unsigned int,	prev_state)
	),

	TP_fast_assign(
		__entry->prev_pid	= prev_pid;
		__entry->next_pid	= next_pid;
		__entry->prev_state	= prev_state;
	),

	TP_printk("prev_pid=%d next_pid=%d prev_state=%u",
		  __entry->prev_pid, __entry->next_pid, __entry->prev_state)
);

DECLARE_EVENT_CLASS(demo_wakeup_class,

	TP_PROTO(int pid, int cpu),

	TP_ARGS(pid, cpu),

	TP_STRUCT__entry(
		__field(int,	pid)
		__field(int,	cpu)
	),

	TP_fast_assign(
		__entry->pid	= pid;
		__entry->cpu	= cpu;
	),

	TP_printk("pid=%d cpu=%d", __entry->pid, __entry->cpu)
);

DEFINE_EVENT(demo_wakeup_class, demo_wakeup,
	TP_PROTO(int pid, int cpu),
	TP_ARGS(pid, cpu));

#define DEFINE_DEMO_MIGRATE_EVENT(name)				\
DEFINE_EVENT(demo_wakeup_class, demo_migrate_##name,		\
	TP_PROTO(int pid, int cpu),				\
	TP_ARGS(pid, cpu))

DEFINE_DEMO_MIGRATE_EVENT(in);
DEFINE_DEMO_MIGRATE_EVENT(out);

#endif /* _TRACE_DEMO_SCHED_H */

#include <trace/define_trace.h>
