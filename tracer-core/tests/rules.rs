//! Event rules as call sites see them: exact names, `provider:*` wildcards, exclusions,
//! log-level thresholds, and nothing enabled outside a started session.

use std::sync::Mutex;
use tracer_core::{registry, tracepoint, ChannelConfig, EventRule, LogLevel, Session};

static SERIAL: Mutex<()> = Mutex::new(());

fn hit_all() {
    tracepoint!(rules, a, level: Warning, v = 1u8);
    tracepoint!(rules, b, level: Debug, v = 2u8);
    tracepoint!(other, c, v = 3u8);
}

/// Which of rules:a, rules:b, other:c are enabled in some channel now.
fn enabled() -> [bool; 3] {
    let (classes, _) = registry::classes();
    let on = |name: &str| {
        classes
            .iter()
            .filter(|c| c.full_name() == name)
            .any(|c| c.mask() != 0)
    };
    [on("rules:a"), on("rules:b"), on("other:c")]
}

#[test]
fn rules_select_call_sites() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    hit_all(); // registers the call sites
    assert_eq!(enabled(), [false; 3], "no session: all disabled");

    let dir = std::env::temp_dir().join(format!("tracer-core-rules-{}", std::process::id()));
    let session = Session::create("rules", &dir).unwrap();
    let ch = session
        .add_channel("chan", ChannelConfig::default())
        .unwrap();
    session.enable_event(ch, EventRule::new("rules:*")).unwrap();
    assert_eq!(
        enabled(),
        [false; 3],
        "rules apply only once the session starts"
    );

    session.start().unwrap();
    assert_eq!(enabled(), [true, true, false]);

    session.disable_event(ch, "rules:b").unwrap();
    assert_eq!(
        enabled(),
        [true, false, false],
        "an exact name is excluded from the wildcard"
    );

    session.enable_event(ch, EventRule::new("rules:b")).unwrap();
    assert_eq!(
        enabled(),
        [true, true, false],
        "enabling it again lifts the exclusion"
    );

    session.disable_event(ch, "rules:*").unwrap();
    session.disable_event(ch, "rules:b").unwrap();
    session
        .enable_event(ch, EventRule::new("*").max_level(LogLevel::Info))
        .unwrap();
    assert_eq!(
        enabled(),
        [true, false, false],
        "Warning passes Info, Debug and DebugLine do not"
    );

    session.stop().unwrap();
    assert_eq!(enabled(), [false; 3], "stopped: all disabled");
    session.destroy().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_channel_configurations_are_refused_with_a_reason() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("tracer-core-badcfg-{}", std::process::id()));
    let session = Session::create("bad", &dir).unwrap();
    let bad = ChannelConfig {
        subbuf_size: 1000,
        ..Default::default()
    };
    let err = session.add_channel("chan", bad).unwrap_err().to_string();
    assert!(err.contains("1000"), "{err}");
    assert!(session
        .add_channel("../escape", ChannelConfig::default())
        .is_err());
    assert!(session.start().is_err(), "no channel");
    session.add_channel("ok", ChannelConfig::default()).unwrap();
    assert!(
        session.add_channel("ok", ChannelConfig::default()).is_err(),
        "duplicate name"
    );
    session.destroy().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
