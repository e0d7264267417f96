//! The reserve/commit split that `libtracer.so` builds on (`tracer_core::ffi`), with an event
//! recorded in two channels: one payload written per channel, a payload dropped in one channel
//! counted lost there only, and a commit after the event is done ignored.

use tracer_core::ctf::read::{count, Trace, Value};
use tracer_core::ffi::{self, Pending, SiteState};
use tracer_core::field::Scalar;
use tracer_core::schema::{EventSchema, FieldKind, FieldSchema};
use tracer_core::{ChannelConfig, EventRule, Session};

static SITE: SiteState = SiteState::new();

/// One event of `SITE` with payload `v`; `complete[i]` says whether the payload written for
/// the i-th channel is committed as complete. Returns the channels written.
fn emit(v: u64, complete: &[bool]) -> usize {
    let mut p = Pending::default();
    let mut at = ffi::reserve(&SITE, SITE.mask(), 8, &mut p);
    let mut written = 0;
    while !at.is_null() {
        // SAFETY: reserve/commit handed out 8 writable bytes at `at`.
        unsafe { std::ptr::copy_nonoverlapping(v.to_le_bytes().as_ptr(), at, 8) };
        at = ffi::commit(&mut p, complete[written]);
        written += 1;
    }
    assert!(
        ffi::commit(&mut p, true).is_null(),
        "a commit after the event is done does nothing"
    );
    written
}

#[test]
fn an_event_in_two_channels_through_reserve_and_commit() {
    let dir = std::env::temp_dir().join(format!("tracer-core-ffi-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let session = Session::create("ffi", &dir).unwrap();
    for name in ["a", "b"] {
        let ch = session.add_channel(name, ChannelConfig::default()).unwrap();
        session.enable_event(ch, EventRule::new("ffi:*")).unwrap();
    }
    session.start().unwrap();
    ffi::register(&SITE, |id| EventSchema {
        id,
        provider: "ffi".into(),
        event: "ev".into(),
        file: file!().into(),
        line: line!(),
        function: "emit".into(),
        level: 13,
        fields: vec![FieldSchema {
            name: "v".into(),
            kind: FieldKind::Number {
                ty: Scalar::Int {
                    bits: 64,
                    signed: false,
                },
                hex: false,
            },
        }],
    });
    assert_eq!(SITE.mask().count_ones(), 2, "both channels record the site");

    assert_eq!(emit(1, &[true, true]), 2);
    assert_eq!(emit(2, &[false, true]), 2);
    assert_eq!(emit(3, &[true, true]), 2);
    let stats = session.destroy().unwrap();
    assert_eq!(stats.lost_events, 1);

    let c = count(&dir, 1);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!((c.events, c.lost), (5, 1));
    let trace = Trace::open(&dir).unwrap();
    let mut values: Vec<u64> = trace
        .events(|_| true)
        .map(|e| match e.unwrap().payload("v") {
            Some(Value::UInt(v)) => *v,
            other => panic!("payload {other:?}"),
        })
        .collect();
    values.sort_unstable();
    assert_eq!(values, [1, 1, 2, 3, 3]);
    let _ = std::fs::remove_dir_all(&dir);
}
