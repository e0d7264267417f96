//! Linux kernel dialect: `TRACE_EVENT` and its family, classes and instances, wrappers, sites.

mod common;

use common::show;
use expect_test::expect;

#[test]
fn trace_event_with_system_proto_fields_and_format() {
    let src = r#"/* SPDX-License-Identifier: MIT */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sched

#if !defined(_TRACE_SCHED_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_SCHED_H

#include <linux/tracepoint.h>

TRACE_EVENT(sched_switch,

	TP_PROTO(bool preempt,
		 struct task_struct *prev,
		 struct task_struct *next,
		 unsigned int prev_state),

	TP_ARGS(preempt, prev, next, prev_state),

	TP_STRUCT__entry(
		__array(	char,	prev_comm,	TASK_COMM_LEN	)
		__field(	pid_t,	prev_pid			)
		__string(	name,	next->comm		)
		__dynamic_array(u32, stack, 4)
		__bitmask(	cpus,	nr_cpu_ids		)
	),

	TP_fast_assign(
		memcpy(__entry->prev_comm, prev->comm, TASK_COMM_LEN);
		__entry->prev_pid	= prev->pid;
		if (x) { y(); }
	),

	TP_printk("prev_comm=%s prev_pid=%d", __entry->prev_comm, __entry->prev_pid)
);

#endif /* _TRACE_SCHED_H */
#include <trace/define_trace.h>
"#;
    expect![[r#"
        event sched:sched_switch kernel TRACE_EVENT @10:13
          params: bool|preempt, struct task_struct *|prev, struct task_struct *|next, unsigned int|prev_state
          fields: char[TASK_COMM_LEN] prev_comm, pid_t prev_pid, string name, u32[] stack, bitmask cpus
          format: "prev_comm=%s prev_pid=%d"
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn event_class_and_instances_link_by_name() {
    let src = r#"#define TRACE_SYSTEM block
DECLARE_EVENT_CLASS(block_rq,
	TP_PROTO(struct request *rq),
	TP_ARGS(rq),
	TP_STRUCT__entry( __field( dev_t, dev ) ),
	TP_fast_assign( __entry->dev = rq->dev; ),
	TP_printk("%d,%d", MAJOR(__entry->dev), MINOR(__entry->dev))
);
DEFINE_EVENT(block_rq, block_rq_insert,
	TP_PROTO(struct request *rq),
	TP_ARGS(rq)
);
DEFINE_EVENT_PRINT(block_rq, block_rq_issue,
	TP_PROTO(struct request *rq), TP_ARGS(rq),
	TP_printk("issue %d", __entry->dev));
DEFINE_EVENT_CONDITION(block_rq, block_rq_merge,
	TP_PROTO(struct request *rq), TP_ARGS(rq), TP_CONDITION(rq != NULL));
DEFINE_EVENT_FN(block_rq, block_rq_done, TP_PROTO(struct request *rq), TP_ARGS(rq), reg, unreg);
"#;
    expect![[r#"
        class block:block_rq kernel DECLARE_EVENT_CLASS @2:21
          params: struct request *|rq
          fields: dev_t dev
          format: "%d,%d"
        event block:block_rq_insert kernel DEFINE_EVENT class=block_rq @9:24
          params: struct request *|rq
        event block:block_rq_issue kernel DEFINE_EVENT_PRINT class=block_rq @13:30
          params: struct request *|rq
          format: "issue %d"
        event block:block_rq_merge kernel DEFINE_EVENT_CONDITION class=block_rq @16:34
          params: struct request *|rq
        event block:block_rq_done kernel DEFINE_EVENT_FN class=block_rq @18:27
          params: struct request *|rq
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn every_trace_event_variant_declares_an_event() {
    let src = r#"#define TRACE_SYSTEM misc
TRACE_EVENT_CONDITION(ev_cond, TP_PROTO(int a), TP_ARGS(a), TP_CONDITION(a > 1),
	TP_STRUCT__entry(__field(int, a)), TP_fast_assign(__entry->a = a;), TP_printk("%d", __entry->a));
TRACE_EVENT_FN(ev_fn, TP_PROTO(int a), TP_ARGS(a),
	TP_STRUCT__entry(__field(int, a)), TP_fast_assign(__entry->a = a;), TP_printk("%d", __entry->a),
	ev_fn_reg, ev_fn_unreg);
TRACE_EVENT_FN_COND(ev_fn_cond, TP_PROTO(int a), TP_ARGS(a), TP_CONDITION(a),
	TP_STRUCT__entry(__field(int, a)), TP_fast_assign(__entry->a = a;), TP_printk("%d", __entry->a),
	r, u);
DECLARE_TRACE(ev_bare, TP_PROTO(struct rq *rq, int cpu), TP_ARGS(rq, cpu));
DECLARE_EVENT_NOP(ev_nop, TP_PROTO(void), TP_ARGS());
"#;
    expect![[r#"
        event misc:ev_cond kernel TRACE_EVENT_CONDITION @2:23
          params: int|a
          fields: int a
          format: "%d"
        event misc:ev_fn kernel TRACE_EVENT_FN @4:16
          params: int|a
          fields: int a
          format: "%d"
        event misc:ev_fn_cond kernel TRACE_EVENT_FN_COND @7:21
          params: int|a
          fields: int a
          format: "%d"
        event misc:ev_bare kernel DECLARE_TRACE @10:15
          params: struct rq *|rq, int|cpu
        event misc:ev_nop kernel DECLARE_EVENT_NOP @11:19
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn names_may_start_with_a_digit() {
    let src = r#"#define TRACE_SYSTEM 9p
TRACE_EVENT(9p_client_req, TP_PROTO(int t), TP_ARGS(t), TP_STRUCT__entry(__field(int, t)),
	TP_fast_assign(__entry->t = t;), TP_printk("%d", __entry->t));
DEFINE_EVENT(cls, 802154_rdev_add_virtual_intf, TP_PROTO(int t), TP_ARGS(t));
void f(void) { trace_9p_client_req(1); }
"#;
    expect![[r#"
        event 9p:9p_client_req kernel TRACE_EVENT @2:13
          params: int|t
          fields: int t
          format: "%d"
        event 9p:802154_rdev_add_virtual_intf kernel DEFINE_EVENT class=cls @4:19
          params: int|t
        site 9p_client_req call trace_9p_client_req args=1 fn=f @5:16
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn every_kernel_site_form_with_function_context() {
    let src = r#"
static int probe_fn(void *data, int x) { return 0; }
static void __sched notrace __schedule(unsigned int sched_mode)
{
	trace_sched_switch(sched_mode & SM_MASK_PREEMPT, prev, next, prev_state);
	if (trace_sched_switch_enabled())
		trace_sched_wakeup_rcuidle(p);
	ret = register_trace_sched_switch(probe_fn, NULL);
	unregister_trace_sched_switch(probe_fn, NULL);
}
"#;
    expect![[r#"
        site sched_switch call trace_sched_switch args=4 fn=__schedule @5:2
        site sched_switch enabled trace_sched_switch_enabled args=0 fn=__schedule @6:6
        site sched_wakeup rcuidle trace_sched_wakeup_rcuidle args=1 fn=__schedule @7:3
        site sched_switch register register_trace_sched_switch args=2 fn=__schedule @8:8
        site sched_switch unregister unregister_trace_sched_switch args=2 fn=__schedule @9:2
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn definitions_and_members_named_trace_are_not_sites() {
    let src = r#"
static inline void trace_foo(int x) { }
struct ops *trace_get_ops(void);
#define trace_printk(fmt, ...) do_printk(fmt)
void g(struct ops *ops) {
	ops->trace_bar(1);
	s.trace_baz(2);
	return trace_qux(3);
}
"#;
    expect![[r#"
        site qux call trace_qux args=1 fn=g @8:9
        trace functions: trace_foo trace_get_ops trace_printk
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn wrapper_macros_declare_events_with_pasted_names() {
    let src = r#"#define TRACE_SYSTEM irq_vectors
DECLARE_EVENT_CLASS(x86_irq_vector, TP_PROTO(int vector), TP_ARGS(vector),
	TP_STRUCT__entry(__field(int, vector)), TP_fast_assign(__entry->vector = vector;),
	TP_printk("vector=%d", __entry->vector));

#define DEFINE_IRQ_VECTOR_EVENT(name)		\
DEFINE_EVENT_FN(x86_irq_vector, name##_entry,	\
	TP_PROTO(int vector),			\
	TP_ARGS(vector), NULL, NULL);		\
DEFINE_EVENT_FN(x86_irq_vector, name##_exit,	\
	TP_PROTO(int vector),			\
	TP_ARGS(vector), NULL, NULL);

DEFINE_IRQ_VECTOR_EVENT(local_timer);
DEFINE_IRQ_VECTOR_EVENT(spurious_apic);
"#;
    expect![[r#"
        class irq_vectors:x86_irq_vector kernel DECLARE_EVENT_CLASS @2:21
          params: int|vector
          fields: int vector
          format: "vector=%d"
        event irq_vectors:local_timer_entry kernel DEFINE_EVENT_FN class=x86_irq_vector via=DEFINE_IRQ_VECTOR_EVENT @14:25
          params: int|vector
        event irq_vectors:local_timer_exit kernel DEFINE_EVENT_FN class=x86_irq_vector via=DEFINE_IRQ_VECTOR_EVENT @14:25
          params: int|vector
        event irq_vectors:spurious_apic_entry kernel DEFINE_EVENT_FN class=x86_irq_vector via=DEFINE_IRQ_VECTOR_EVENT @15:25
          params: int|vector
        event irq_vectors:spurious_apic_exit kernel DEFINE_EVENT_FN class=x86_irq_vector via=DEFINE_IRQ_VECTOR_EVENT @15:25
          params: int|vector
        wrapper DEFINE_IRQ_VECTOR_EVENT(name) @6:9
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn wrappers_with_two_level_pasting_and_nesting() {
    let src = r#"#define TRACE_SYSTEM sunrpc
#define DEFINE_ACCEPT_EVENT(name) \
	DEFINE_EVENT(svc_accept_class, svc_##name##_err, \
		TP_PROTO(const struct svc_xprt *xprt, long status), TP_ARGS(xprt, status))
#define DEFINE_TWO(a, b) DEFINE_ACCEPT_EVENT(a); DEFINE_ACCEPT_EVENT(b)
DEFINE_ACCEPT_EVENT(accept);
DEFINE_TWO(getpeername, setsockopt);
"#;
    expect![[r#"
        event sunrpc:svc_accept_err kernel DEFINE_EVENT class=svc_accept_class via=DEFINE_ACCEPT_EVENT @6:21
          params: const struct svc_xprt *|xprt, long|status
        event sunrpc:svc_getpeername_err kernel DEFINE_EVENT class=svc_accept_class via=DEFINE_TWO @7:12
          params: const struct svc_xprt *|xprt, long|status
        event sunrpc:svc_setsockopt_err kernel DEFINE_EVENT class=svc_accept_class via=DEFINE_TWO @7:25
          params: const struct svc_xprt *|xprt, long|status
        wrapper DEFINE_ACCEPT_EVENT(name) @2:9
        wrapper DEFINE_TWO(a, b) @5:9
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn object_like_alias_of_a_declaration_macro() {
    let src = r#"#define TRACE_SYSTEM rcu
#define TRACE_EVENT_RCU TRACE_EVENT
TRACE_EVENT_RCU(rcu_grace_period, TP_PROTO(const char *rcuname), TP_ARGS(rcuname),
	TP_STRUCT__entry(__field(const char *, rcuname)), TP_fast_assign(), TP_printk("%s", __entry->rcuname));
"#;
    expect![[r#"
        event rcu:rcu_grace_period kernel TRACE_EVENT via=TRACE_EVENT_RCU @3:17
          params: const char *|rcuname
          fields: const char * rcuname
          format: "%s"
        wrapper TRACE_EVENT_RCU() @2:9
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn undef_ends_a_wrapper() {
    let src = r#"#define TRACE_SYSTEM s
#define W(n) DEFINE_EVENT(c, n, TP_PROTO(int a), TP_ARGS(a))
W(one);
#undef W
W(two);
"#;
    expect![[r#"
        event s:one kernel DEFINE_EVENT class=c via=W @3:3
          params: int|a
        wrapper W(n) @2:9
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn call_site_helpers_that_paste_trace_names() {
    let src = r#"
#define TRACE_STATE(x, v) trace_state_##x(v)
#define FIRE(ev) tracepoint(myprov, ev, 1)
void f(int v) {
	TRACE_STATE(enter, v);
	FIRE(started);
}
"#;
    expect![[r#"
        site state_enter call trace_state_enter args=1 fn=f via=TRACE_STATE @5:14
        site myprov:started tracepoint tracepoint args=1 fn=f via=FIRE @6:7
        wrapper TRACE_STATE(x, v) @2:9
        wrapper FIRE(ev) @3:9
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn literal_sites_in_macro_bodies_are_sites() {
    let src = "#define REPORT(x) do { trace_report_done(x); } while (0)\n";
    expect![[r#"
        site report_done call trace_report_done args=1 fn=- @1:24
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn duplicates_under_if_branches_keep_their_conditions() {
    let src = r#"#ifndef _TRACE_X_H
#define _TRACE_X_H
#define TRACE_SYSTEM x
#ifdef CONFIG_64BIT
TRACE_EVENT(dup, TP_PROTO(u64 v), TP_ARGS(v), TP_STRUCT__entry(), TP_fast_assign(), TP_printk(""));
#elif defined(CONFIG_X)
TRACE_EVENT(dup, TP_PROTO(u32 v), TP_ARGS(v), TP_STRUCT__entry(), TP_fast_assign(), TP_printk(""));
#else
TRACE_EVENT(dup, TP_PROTO(u16 v), TP_ARGS(v), TP_STRUCT__entry(), TP_fast_assign(), TP_printk(""));
#endif
#endif
"#;
    expect![[r#"
        event x:dup kernel TRACE_EVENT if[defined(CONFIG_64BIT)] @5:13
          params: u64|v
          format: ""
        event x:dup kernel TRACE_EVENT if[!(defined(CONFIG_64BIT)) && defined(CONFIG_X)] @7:13
          params: u32|v
          format: ""
        event x:dup kernel TRACE_EVENT if[!(defined(CONFIG_64BIT)) && !(defined(CONFIG_X))] @9:13
          params: u16|v
          format: ""
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn ifdef_inside_a_macro_does_not_break_it() {
    let src = r#"#define TRACE_SYSTEM t
TRACE_EVENT(ev,
	TP_PROTO(int a), TP_ARGS(a),
	TP_STRUCT__entry(
		__field(int, a)
#ifdef CONFIG_B
		__field(int, b)
#endif
	),
	TP_fast_assign(__entry->a = a; /* ) */ ),
	TP_printk("a=%d ')'", __entry->a)
);
TRACE_EVENT(after, TP_PROTO(int a), TP_ARGS(a), TP_STRUCT__entry(), TP_fast_assign(), TP_printk(""));
"#;
    expect![[r#"
        event t:ev kernel TRACE_EVENT @2:13
          params: int|a
          fields: int a, int b
          format: "a=%d ')'"
        event t:after kernel TRACE_EVENT @13:13
          params: int|a
          format: ""
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn trace_system_follows_redefinitions() {
    let src = r#"#define TRACE_SYSTEM first
DECLARE_TRACE(a, TP_PROTO(int x), TP_ARGS(x));
#undef TRACE_SYSTEM
DECLARE_TRACE(b, TP_PROTO(int x), TP_ARGS(x));
#define TRACE_SYSTEM second
DECLARE_TRACE(c, TP_PROTO(int x), TP_ARGS(x));
"#;
    expect![[r#"
        event first:a kernel DECLARE_TRACE @2:15
          params: int|x
        event -:b kernel DECLARE_TRACE @4:15
          params: int|x
        event second:c kernel DECLARE_TRACE @6:15
          params: int|x
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn framework_definitions_of_the_macros_are_ignored() {
    let src = r#"
#define TRACE_EVENT(name, proto, args, struct, assign, print) \
	DECLARE_TRACE(name, PARAMS(proto), PARAMS(args))
#define DEFINE_EVENT(template, name, proto, args) \
	DECLARE_TRACE(name, PARAMS(proto), PARAMS(args))
#define __DECLARE_TRACE(name, proto, args) \
	static inline void trace_##name(proto) { } \
	static inline int register_trace_##name(void *probe) { return 0; }
"#;
    expect![""].assert_eq(&show(src));
}

#[test]
fn literal_sites_in_a_wrapper_body_count_once_where_written() {
    let src = r#"#define DECLARE_UPDATE(name)				\
static inline void update_##name(struct info *i, long bytes)	\
{								\
	trace_update_##name(i, bytes);				\
	trace_space_reservation(i, bytes);			\
}
DECLARE_UPDATE(bytes_may_use);
DECLARE_UPDATE(bytes_pinned);
"#;
    expect![[r#"
        site space_reservation call trace_space_reservation args=2 fn=- @5:2
        site update_bytes_may_use call trace_update_bytes_may_use args=2 fn=- via=DECLARE_UPDATE @7:16
        site update_bytes_pinned call trace_update_bytes_pinned args=2 fn=- via=DECLARE_UPDATE @8:16
        wrapper DECLARE_UPDATE(name) @1:9
    "#]]
    .assert_eq(&show(src));
}
