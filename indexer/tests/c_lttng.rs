//! LTTng-UST (with and without the `LTTNG_UST_` prefix), lttng-modules and SDT/USDT dialects.

mod common;

use common::show;
use expect_test::expect;

#[test]
fn ust_tracepoint_event_with_provider_args_fields_and_loglevel() {
    let src = r#"#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER hello_world

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./hello-tp.h"

#if !defined(_HELLO_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define _HELLO_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(
    hello_world,
    my_first_tracepoint,
    TP_ARGS(
        int, my_integer_arg,
        char *, my_string_arg
    ),
    TP_FIELDS(
        ctf_string(my_string_field, my_string_arg)
        ctf_integer(int, my_integer_field, my_integer_arg)
        ctf_integer_hex(unsigned long, addr, 0)
        ctf_float(double, ratio, 1.0)
        ctf_array(int, arr, my_array, 3)
        ctf_array_text(char, text, my_string_arg, 8)
        ctf_sequence(char, seq, my_string_arg, size_t, 4)
        ctf_enum(hello_world, my_enum, int, enum_field, my_integer_arg)
        ctf_integer_nowrite(int, hidden, 0)
    )
)
TRACEPOINT_LOGLEVEL(hello_world, my_first_tracepoint, TRACE_DEBUG_UNIT)

#endif /* _HELLO_TP_H */

#include <lttng/tracepoint-event.h>
"#;
    expect![[r#"
        event hello_world:my_first_tracepoint ust TRACEPOINT_EVENT level=TRACE_DEBUG_UNIT @14:5
          params: int|my_integer_arg, char *|my_string_arg
          fields: string my_string_field, int my_integer_field, unsigned long addr, double ratio, int[3] arr, char[8] text, char[] seq, int enum_field, int hidden
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn ust_class_and_instance() {
    let src = r#"TRACEPOINT_EVENT_CLASS(app, req_class,
    TP_ARGS(int, id, const char *, path),
    TP_FIELDS(ctf_integer(int, id, id) ctf_string(path, path)))
TRACEPOINT_EVENT_INSTANCE(app, req_class, request_start, TP_ARGS(int, id, const char *, path))
TRACEPOINT_EVENT_INSTANCE(app, req_class, request_done, TP_ARGS(int, id, const char *, path))
"#;
    expect![[r#"
        class app:req_class ust TRACEPOINT_EVENT_CLASS @1:29
          params: int|id, const char *|path
          fields: int id, string path
        event app:request_start ust TRACEPOINT_EVENT_INSTANCE class=req_class @4:43
          params: int|id, const char *|path
        event app:request_done ust TRACEPOINT_EVENT_INSTANCE class=req_class @5:43
          params: int|id, const char *|path
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn tracer_core_c_api_spellings() {
    let src = r#"TRACER_EVENT(my_app, request,
    TRACER_ARGS(int, id, const char *, path),
    TRACER_FIELDS(
        tracer_field_integer(int, id, id)
        tracer_field_string(path, path)))
TRACER_LOGLEVEL(my_app, request, TRACER_LOGLEVEL_INFO)
void serve(const struct req *r) { tracer_tracepoint(my_app, request, r->id, r->path); }
"#;
    expect![[r#"
        event my_app:request ust TRACER_EVENT level=TRACER_LOGLEVEL_INFO @1:22
          params: int|id, const char *|path
          fields: int id, string path
        site my_app:request tracepoint tracer_tracepoint args=2 fn=serve @7:61
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn ust_prefixed_2_13_forms() {
    let src = r#"#define LTTNG_UST_TRACEPOINT_PROVIDER my_prov
LTTNG_UST_TRACEPOINT_EVENT(my_prov, ev,
    LTTNG_UST_TP_ARGS(uint64_t, v),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(uint64_t, v, v) lttng_ust_field_string(s, "x")))
LTTNG_UST_TRACEPOINT_LOGLEVEL(my_prov, ev, LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO)
LTTNG_UST_TRACEPOINT_EVENT_CLASS(my_prov, cls, LTTNG_UST_TP_ARGS(int, a), LTTNG_UST_TP_FIELDS())
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(my_prov, cls, inst, LTTNG_UST_TP_ARGS(int, a))
"#;
    expect![[r#"
        class my_prov:cls ust LTTNG_UST_TRACEPOINT_EVENT_CLASS @6:43
          params: int|a
        event my_prov:ev ust LTTNG_UST_TRACEPOINT_EVENT level=LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO @2:37
          params: uint64_t|v
          fields: uint64_t v, string s
        event my_prov:inst ust LTTNG_UST_TRACEPOINT_EVENT_INSTANCE class=cls @7:51
          params: int|a
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn ust_site_forms() {
    let src = r#"#include "hello-tp.h"
int main(int argc, char *argv[])
{
    tracepoint(hello_world, my_first_tracepoint, 23, "hi there!");
    lttng_ust_tracepoint(hello_world, my_first_tracepoint, argc, argv[0]);
    if (tracepoint_enabled(hello_world, my_first_tracepoint))
        do_tracepoint(hello_world, my_first_tracepoint, 1, "x");
    if (lttng_ust_tracepoint_enabled(hello_world, other))
        lttng_ust_do_tracepoint(hello_world, other);
    return 0;
}
"#;
    expect![[r#"
        site hello_world:my_first_tracepoint tracepoint tracepoint args=2 fn=main @4:29
        site hello_world:my_first_tracepoint tracepoint lttng_ust_tracepoint args=2 fn=main @5:39
        site hello_world:my_first_tracepoint tracepoint_enabled tracepoint_enabled args=0 fn=main @6:41
        site hello_world:my_first_tracepoint do_tracepoint do_tracepoint args=2 fn=main @7:36
        site hello_world:other tracepoint_enabled lttng_ust_tracepoint_enabled args=0 fn=main @8:51
        site hello_world:other do_tracepoint lttng_ust_do_tracepoint args=0 fn=main @9:46
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn lttng_modules_families() {
    let src = r#"#undef TRACE_SYSTEM
#define TRACE_SYSTEM sched

#if !defined(LTTNG_TRACE_SCHED_H) || defined(TRACE_HEADER_MULTI_READ)
#define LTTNG_TRACE_SCHED_H

LTTNG_TRACEPOINT_EVENT(sched_kthread_stop,
	TP_PROTO(struct task_struct *t),
	TP_ARGS(t),
	TP_FIELDS(
		ctf_array_text(char, comm, t->comm, TASK_COMM_LEN)
		ctf_integer(pid_t, tid, t->pid)
	)
)
LTTNG_TRACEPOINT_EVENT_MAP(sched_switch, sched_switch_map,
	TP_PROTO(bool preempt, struct task_struct *prev),
	TP_ARGS(preempt, prev),
	TP_FIELDS(ctf_integer(pid_t, prev_tid, prev->pid)))
LTTNG_TRACEPOINT_EVENT_CODE(sched_code,
	TP_PROTO(int a), TP_ARGS(a),
	TP_locvar(int x;), TP_code_pre(tp_locvar->x = a;),
	TP_FIELDS(ctf_integer(int, x, tp_locvar->x)),
	TP_code_post())
LTTNG_TRACEPOINT_EVENT_CLASS(sched_wakeup_template,
	TP_PROTO(struct task_struct *p), TP_ARGS(p),
	TP_FIELDS(ctf_integer(pid_t, tid, p->pid)))
LTTNG_TRACEPOINT_EVENT_CLASS_CODE(cls_code, TP_PROTO(int a), TP_ARGS(a), TP_locvar(), TP_code_pre(),
	TP_FIELDS(ctf_integer(int, a, a)), TP_code_post())
LTTNG_TRACEPOINT_EVENT_INSTANCE(sched_wakeup_template, sched_waking,
	TP_PROTO(struct task_struct *p), TP_ARGS(p))
LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP(sched_wakeup_template, sched_wakeup_new, sched_wakeup_new_map,
	TP_PROTO(struct task_struct *p), TP_ARGS(p))
LTTNG_TRACEPOINT_EVENT_INSTANCE_NOARGS(cls_noargs, inst_noargs)
LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP_NOARGS(cls_noargs, inst_noargs2, inst_noargs2_map)
LTTNG_TRACEPOINT_EVENT_CLASS_CODE_NOARGS(cls_noargs, TP_locvar(), TP_code_pre(), TP_FIELDS(), TP_code_post())
LTTNG_TRACEPOINT_EVENT_MAP_NOARGS(ev_noargs, ev_noargs_map, TP_FIELDS())
#endif
"#;
    expect![[r#"
        class sched:sched_wakeup_template lttng-modules LTTNG_TRACEPOINT_EVENT_CLASS @24:30
          params: struct task_struct *|p
          fields: pid_t tid
        class sched:cls_code lttng-modules LTTNG_TRACEPOINT_EVENT_CLASS_CODE @27:35
          params: int|a
          fields: int a
        class sched:cls_noargs lttng-modules LTTNG_TRACEPOINT_EVENT_CLASS_CODE_NOARGS @35:42
        event sched:sched_kthread_stop lttng-modules LTTNG_TRACEPOINT_EVENT @7:24
          params: struct task_struct *|t
          fields: char[TASK_COMM_LEN] comm, pid_t tid
        event sched:sched_switch lttng-modules LTTNG_TRACEPOINT_EVENT_MAP map=sched_switch_map @15:28
          params: bool|preempt, struct task_struct *|prev
          fields: pid_t prev_tid
        event sched:sched_code lttng-modules LTTNG_TRACEPOINT_EVENT_CODE @19:29
          params: int|a
          fields: int x
        event sched:sched_waking lttng-modules LTTNG_TRACEPOINT_EVENT_INSTANCE class=sched_wakeup_template @29:56
          params: struct task_struct *|p
        event sched:sched_wakeup_new lttng-modules LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP class=sched_wakeup_template map=sched_wakeup_new_map @31:60
          params: struct task_struct *|p
        event sched:inst_noargs lttng-modules LTTNG_TRACEPOINT_EVENT_INSTANCE_NOARGS class=cls_noargs @33:52
        event sched:inst_noargs2 lttng-modules LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP_NOARGS class=cls_noargs map=inst_noargs2_map @34:56
        event sched:ev_noargs lttng-modules LTTNG_TRACEPOINT_EVENT_MAP_NOARGS map=ev_noargs_map @36:35
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn sdt_probes_are_sites_that_declare_their_event() {
    let src = r#"#include <sys/sdt.h>
void work(int id, const char *name)
{
	DTRACE_PROBE(myapp, start);
	DTRACE_PROBE2(myapp, job, id, name);
	STAP_PROBE2(myapp, job, id + 1, name);
	STAP_PROBEV(myapp, many, 1, 2, 3);
}
"#;
    expect![[r#"
        event myapp:start sdt DTRACE_PROBE @4:22
        event myapp:job sdt DTRACE_PROBE2 @5:23
          params: |id, |name
        event myapp:many sdt STAP_PROBEV @7:21
          params: |1, |2, |3
        site myapp:start sdt DTRACE_PROBE args=0 fn=work @4:22
        site myapp:job sdt DTRACE_PROBE2 args=2 fn=work @5:23
        site myapp:job sdt STAP_PROBE2 args=2 fn=work @6:21
        site myapp:many sdt STAP_PROBEV args=3 fn=work @7:21
    "#]]
    .assert_eq(&show(src));
}

#[test]
fn sdt_header_definitions_are_not_sites() {
    let src = r#"
#define DTRACE_PROBE2(provider, probe, parm1, parm2) STAP_PROBE2(provider, probe, parm1, parm2)
#define STAP_PROBE2(provider, name, arg1, arg2) _SDT_PROBE(provider, name, 2, (arg1, arg2))
"#;
    expect![""].assert_eq(&show(src));
}

#[test]
fn declaration_heads_split_across_if_branches() {
    let src = r#"#define TRACE_SYSTEM jbd2
#if (LTTNG_LINUX_VERSION_CODE >= LTTNG_KERNEL_VERSION(3,4,0))
LTTNG_TRACEPOINT_EVENT(jbd2_update_log_tail,
#elif defined(OLD)
LTTNG_TRACEPOINT_EVENT_MAP(jbd2_old_tail, jbd2_old_tail_map,
#else
LTTNG_TRACEPOINT_EVENT(jbd2_cleanup_journal_tail,
#endif
	TP_PROTO(journal_t *journal, tid_t first_tid),
	TP_ARGS(journal, first_tid),
	TP_FIELDS(ctf_integer(tid_t, first_tid, first_tid))
)
LTTNG_TRACEPOINT_EVENT(jbd2_after, TP_PROTO(int a), TP_ARGS(a), TP_FIELDS())
"#;
    expect![[r#"
        event jbd2:jbd2_update_log_tail lttng-modules LTTNG_TRACEPOINT_EVENT if[(LTTNG_LINUX_VERSION_CODE >= LTTNG_KERNEL_VERSION(3,4,0))] @3:24
          params: journal_t *|journal, tid_t|first_tid
          fields: tid_t first_tid
        event jbd2:jbd2_old_tail lttng-modules LTTNG_TRACEPOINT_EVENT_MAP map=jbd2_old_tail_map if[!((LTTNG_LINUX_VERSION_CODE >= LTTNG_KERNEL_VERSION(3,4,0))) && defined(OLD)] @5:28
          params: journal_t *|journal, tid_t|first_tid
          fields: tid_t first_tid
        event jbd2:jbd2_cleanup_journal_tail lttng-modules LTTNG_TRACEPOINT_EVENT if[!((LTTNG_LINUX_VERSION_CODE >= LTTNG_KERNEL_VERSION(3,4,0))) && !(defined(OLD))] @7:24
          params: journal_t *|journal, tid_t|first_tid
          fields: tid_t first_tid
        event jbd2:jbd2_after lttng-modules LTTNG_TRACEPOINT_EVENT @13:24
          params: int|a
    "#]]
    .assert_eq(&common::show(src));
}
