//! `tracer-lsp record`: runs a program under a fresh recording with the embedded recorder,
//! shows live progress on a terminal, and prints the counts per call site (or JSON) when the
//! program exits. Ctrl-C stops the recording cleanly; the exit status is the program's.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracer_core::remote::net::StreamTarget;
use tracer_core::{ChannelConfig, EventRule, Mode, Recorder, RecordingConfig, RecordingSnapshot};

/// Where `record --stream` sends the traces.
pub struct StreamArgs {
    /// The relay's targets address, `HOST:PORT`.
    pub addr: String,
    pub token: Option<String>,
    pub session: Option<String>,
    pub hostname: Option<String>,
    /// `--stream-queue`: bytes queued for the relay at most (default: the streamer's, 64 MiB).
    pub queue_bytes: Option<usize>,
}

/// How long a recording waits, after its program exited, for every traced process's
/// connection to close (children that outlive it get this long).
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

/// What `record` was asked to do.
pub struct RecordArgs {
    pub output: Option<PathBuf>,
    pub stream: Option<StreamArgs>,
    pub mode: Mode,
    pub subbuf_size: Option<usize>,
    pub num_subbuf: Option<usize>,
    pub enable: Vec<String>,
    pub json: bool,
    pub command: Vec<String>,
}

/// One call site's total in a recording (the `--json` shape).
#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SiteCount {
    pub file: String,
    pub line: u32,
    pub function: String,
    pub provider: String,
    pub event: String,
    pub count: u64,
}

#[derive(Serialize)]
struct Report<'a> {
    /// The local trace directory (`null` when only streaming).
    trace: Option<&'a Path>,
    lost: u64,
    sites: &'a [SiteCount],
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<StreamReport>,
}

/// `record --stream`'s outcome (the `--json` `stream` object).
#[derive(Serialize)]
struct StreamReport {
    relay: String,
    /// `<host>/<session>` on the relay.
    session: String,
    sent_packets: u64,
    dropped_packets: u64,
    connections: u64,
    error: Option<String>,
}

/// This machine's name as a relay directory name (other characters become `_`).
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its length; gethostname NUL-terminates within it
    // or truncates, and we stop at the first NUL or the end.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name: String = buf[..if r == 0 { len } else { 0 }]
        .iter()
        .map(|&b| {
            let c = char::from(b);
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if tracer_core::remote::net::wire::valid_name(&name) {
        name
    } else {
        "localhost".to_owned()
    }
}

/// The relay target of `--stream`, names checked.
fn stream_target(s: &StreamArgs) -> Result<StreamTarget> {
    let session = s.session.clone().unwrap_or_else(timestamp);
    let host = s.hostname.clone().unwrap_or_else(hostname);
    for (what, name) in [("--session", &session), ("--hostname", &host)] {
        if !tracer_core::remote::net::wire::valid_name(name) {
            bail!("{what} {name:?}: use letters, digits, '.', '_' and '-' (not starting with '.')");
        }
    }
    let mut target = StreamTarget::new(&s.addr, &host, &session, s.token.as_deref().unwrap_or(""));
    if let Some(q) = s.queue_bytes {
        target.queue_bytes = q;
    }
    Ok(target)
}

/// `--stream-queue`: a size (as [`parse_size`]) that can hold something: not 0, and no more
/// than an allocation can be (so the queue's byte count cannot overflow).
pub fn parse_queue_size(s: &str) -> Result<usize, String> {
    match parse_size(s)? {
        0 => Err("the queue must hold at least one packet (like 256K, 4M)".to_owned()),
        n if n > isize::MAX as usize => Err(format!("{s} is more than this machine can address")),
        n => Ok(n),
    }
}

/// The queue must take a full sub-buffer's packet (the sub-buffer plus its header) while
/// another waits: at least two sub-buffers, or every full sub-buffer would be dropped.
fn check_queue(queue_bytes: usize, subbuf_size: usize) -> Result<()> {
    let least = subbuf_size.saturating_mul(2);
    if queue_bytes < least {
        bail!(
            "--stream-queue {} cannot hold a full sub-buffer's packet with another behind it: \
             use at least {} (two sub-buffers of --subbuf-size {})",
            size_text(queue_bytes),
            size_text(least),
            size_text(subbuf_size)
        );
    }
    Ok(())
}

/// `4096`, `512K`, `4M`, `1G`: the shortest exact form [`parse_size`] reads back.
fn size_text(n: usize) -> String {
    match n {
        0 => "0".to_owned(),
        n if n % (1 << 30) == 0 => format!("{}G", n >> 30),
        n if n % (1 << 20) == 0 => format!("{}M", n >> 20),
        n if n % (1 << 10) == 0 => format!("{}K", n >> 10),
        n => n.to_string(),
    }
}

/// `512K`, `4M`, `1G` or a plain number of bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a size (like 4096, 512K, 4M)"))
}

/// `YYYYMMDD-HHMMSS`, UTC, now.
fn timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Where a recording goes when no directory is given: `BASE/.tracer/traces/YYYYMMDD-HHMMSS`
/// (UTC), with `-2`, `-3`, … when a recording of the same second is there already.
pub fn default_output(base: &Path) -> PathBuf {
    let dir = base.join(".tracer/traces");
    let stamp = timestamp();
    let mut path = dir.join(&stamp);
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{stamp}-{n}"));
    }
    path
}

/// The call sites of a snapshot with their totals over all processes, sorted by place.
pub fn site_counts(s: &RecordingSnapshot) -> Vec<SiteCount> {
    let mut sites: Vec<SiteCount> = Vec::new();
    for p in &s.processes {
        for cs in &p.classes {
            let (c, n) = (&cs.schema, &cs.count);
            let key = (
                c.file.as_str(),
                c.line,
                c.provider.as_str(),
                c.event.as_str(),
            );
            match sites.iter_mut().find(|x| {
                (
                    x.file.as_str(),
                    x.line,
                    x.provider.as_str(),
                    x.event.as_str(),
                ) == key
            }) {
                Some(x) => x.count += n,
                None => sites.push(SiteCount {
                    file: c.file.clone(),
                    line: c.line,
                    function: c.function.clone(),
                    provider: c.provider.clone(),
                    event: c.event.clone(),
                    count: *n,
                }),
            }
        }
    }
    sites.sort();
    sites
}

/// The recording configuration `record` and the language server build from user options.
pub fn recording_config(
    dir: PathBuf,
    mode: Mode,
    subbuf_size: Option<usize>,
    num_subbuf: Option<usize>,
    enable: &[String],
) -> Result<RecordingConfig> {
    let mut cfg = RecordingConfig::new(dir);
    let (_, ch) = &mut cfg.channels[0];
    ch.mode = mode;
    if let Some(s) = subbuf_size {
        ch.subbuf_size = s;
    }
    if let Some(n) = num_subbuf {
        ch.subbuf_count = n;
    }
    ChannelConfig::validate(ch).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !enable.is_empty() {
        cfg.rules = enable.iter().map(|p| EventRule::new(p)).collect();
    }
    Ok(cfg)
}

pub(crate) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Ctrl-C sets [`INTERRUPTED`] instead of ending `tracer-lsp` (the program, in the same
/// process group, gets its own SIGINT).
pub(crate) fn catch_sigint() {
    // SAFETY: installs an async-signal-safe handler (one atomic store).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigint as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
    }
}

fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

/// Live figures: "12,345 events, 3.2k/s, 17 lost".
pub fn progress_text(events: u64, rate: f64, lost: u64) -> String {
    format!(
        "{} events, {}/s, {} lost",
        crate::thousands(events),
        short_rate(rate),
        crate::thousands(lost)
    )
}

/// `950`, `3.2k`, `1.5M`.
pub fn short_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.1}M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1}k", r / 1e3)
    } else {
        format!("{r:.0}")
    }
}

/// Runs `record`; returns the exit code for the process.
pub fn run(args: RecordArgs) -> Result<i32> {
    let Some((program, rest)) = args.command.split_first() else {
        bail!("nothing to record: give the program after `--`, e.g. `tracer-lsp record -- ./app`");
    };
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(Path::new("")));
    let mut cfg = recording_config(
        dir.clone(),
        args.mode,
        args.subbuf_size,
        args.num_subbuf,
        &args.enable,
    )?;
    if let Some(s) = &args.stream {
        let target = stream_target(s)?;
        if s.queue_bytes.is_some() {
            let largest = cfg.channels.iter().map(|(_, c)| c.subbuf_size).max();
            check_queue(target.queue_bytes, largest.unwrap_or(0))?;
        }
        cfg.files = args.output.is_some();
        cfg.stream = Some(target);
    }
    let recorder =
        Recorder::start(cfg).with_context(|| format!("cannot record into {}", dir.display()))?;
    if let Some(e) = recorder.snapshot().stream.and_then(|s| s.error) {
        eprintln!("tracer-lsp: cannot stream yet ({e}); recording anyway, retrying");
    }
    let (k, v) = recorder.env();
    let mut child = match Command::new(program).args(rest).env(k, v).spawn() {
        Ok(c) => c,
        Err(e) => {
            drop(recorder);
            if args.output.is_some() || args.stream.is_none() {
                let _ = std::fs::remove_dir(&dir);
            }
            eprintln!("tracer-lsp: cannot start {program}: {e}");
            return Ok(if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            });
        }
    };
    catch_sigint();
    let bar = if std::io::stderr().is_terminal() && !args.json {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(Duration::from_millis(120));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut last = (Instant::now(), 0u64);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
        if last.0.elapsed() >= Duration::from_millis(250) {
            let s = recorder.snapshot();
            let (events, lost) = (s.events(), s.lost());
            let rate = (events - last.1.min(events)) as f64 / last.0.elapsed().as_secs_f64();
            bar.set_message(format!(
                "recording {program}: {}",
                progress_text(events, rate, lost)
            ));
            last = (Instant::now(), events);
        }
    };
    // The program is gone: give its connections a moment to close so their traces end with
    // its last events. Ctrl-C: stop now.
    let snapshot = if status.is_some() {
        recorder.stop_when_ended(EXIT_GRACE)
    } else {
        recorder.stop()
    };
    bar.finish_and_clear();
    let status = match status {
        Some(s) => s,
        // Ctrl-C: the program got its SIGINT too; wait for it to finish.
        None => child.wait()?,
    };
    let sites = site_counts(&snapshot);
    let lost = snapshot.lost();
    let stream = args
        .stream
        .as_ref()
        .zip(snapshot.stream.clone())
        .map(|(a, st)| StreamReport {
            relay: a.addr.clone(),
            session: stream_target(a)
                .map(|t| format!("{}/{}", t.host, t.session))
                .unwrap_or_default(),
            sent_packets: st.sent_packets,
            dropped_packets: st.dropped_packets,
            connections: st.connections,
            error: st.error,
        });
    let files = args.output.is_some() || args.stream.is_none();
    // The report goes to stdout, which may be a pipe closed early (`| head`): the recording is
    // done and its exit status is the program's, so a failed write is not an error.
    let mut out = std::io::stdout().lock();
    let _ = if args.json {
        let report = Report {
            trace: files.then_some(snapshot.dir.as_path()),
            lost,
            sites: &sites,
            stream,
        };
        writeln!(out, "{}", serde_json::to_string(&report)?)
    } else {
        print_table(&mut out, &snapshot, &sites, lost, files).and_then(|()| match stream {
            Some(s) => writeln!(
                out,
                "streamed to {} as {}: {} packets sent, {} dropped{}",
                s.relay,
                s.session,
                crate::thousands(s.sent_packets),
                crate::thousands(s.dropped_packets),
                s.error.map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            None => Ok(()),
        })
    };
    for p in &snapshot.processes {
        if let Some(e) = &p.error {
            eprintln!("tracer-lsp: {} (pid {}): {e}", p.procname, p.pid);
        }
    }
    Ok(exit_code(status))
}

/// Records `command` into the default directory with default settings, without progress or
/// table; returns the trace directory.
pub fn record_quietly(command: &[String]) -> Result<PathBuf> {
    let Some((program, rest)) = command.split_first() else {
        bail!("nothing to record");
    };
    let dir = default_output(Path::new(""));
    let cfg = recording_config(dir.clone(), Mode::Discard, None, None, &[])?;
    let recorder = Recorder::start(cfg)?;
    let (k, v) = recorder.env();
    let status = Command::new(program)
        .args(rest)
        .env(k, v)
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    recorder.stop_when_ended(EXIT_GRACE);
    if !status.success() {
        eprintln!("tracer-lsp: {program} exited with {status}");
    }
    Ok(dir)
}

fn print_table(
    out: &mut impl Write,
    snapshot: &RecordingSnapshot,
    sites: &[SiteCount],
    lost: u64,
    files: bool,
) -> std::io::Result<()> {
    let place = |s: &SiteCount| format!("{}:{}", s.file, s.line);
    let w = sites.iter().map(|s| place(s).len()).max().unwrap_or(0);
    let e = sites
        .iter()
        .map(|s| s.provider.len() + s.event.len() + 1)
        .max()
        .unwrap_or(0);
    if sites.is_empty() {
        eprintln!(
            "No tracepoint was registered: is the program instrumented (tracer-core or the C API)?"
        );
    }
    for s in sites {
        writeln!(
            out,
            "{:<w$}  {:<e$}  {:>12}",
            place(s),
            format!("{}:{}", s.provider, s.event),
            crate::thousands(s.count)
        )?;
    }
    writeln!(
        out,
        "\n{} events in {} process(es), {} lost",
        crate::thousands(snapshot.events()),
        snapshot.processes.len(),
        crate::thousands(lost)
    )?;
    if files {
        writeln!(out, "trace: {}", snapshot.dir.display())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("4m"), Ok(4 << 20));
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn a_stream_queue_holds_something() {
        assert_eq!(parse_queue_size("256K"), Ok(256 << 10));
        assert_eq!(parse_queue_size("4M"), Ok(4 << 20));
        assert!(parse_queue_size("0")
            .unwrap_err()
            .contains("at least one packet"));
        assert!(parse_queue_size("0K").is_err());
        assert!(parse_queue_size("").is_err());
        assert!(parse_queue_size("-1").unwrap_err().contains("not a size"));
        assert!(parse_queue_size("4 MiB").is_err());
        assert!(parse_queue_size(&usize::MAX.to_string()).is_err());
    }

    #[test]
    fn a_stream_queue_takes_two_sub_buffers() {
        assert!(check_queue(1 << 20, 512 << 10).is_ok());
        assert!(check_queue(64 << 10, 4 << 10).is_ok());
        let e = check_queue(256 << 10, 512 << 10).unwrap_err().to_string();
        assert!(e.contains("--stream-queue 256K"), "{e}");
        assert!(e.contains("at least 1M"), "{e}");
        assert!(e.contains("--subbuf-size 512K"), "{e}");
        assert_eq!(size_text(5000), "5000");
        assert_eq!(size_text(3 << 30), "3G");
    }

    #[test]
    fn the_stream_queue_reaches_the_target() {
        let mut a = StreamArgs {
            addr: "relay:5345".into(),
            token: None,
            session: Some("s".into()),
            hostname: Some("h".into()),
            queue_bytes: None,
        };
        assert_eq!(stream_target(&a).unwrap().queue_bytes, 64 << 20);
        a.queue_bytes = Some(256 << 10);
        assert_eq!(stream_target(&a).unwrap().queue_bytes, 256 << 10);
    }

    #[test]
    fn the_default_output_is_dated_and_new() {
        let base = std::env::temp_dir().join(format!("tracer-output-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let p = default_output(&base);
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(name.len(), 15);
        assert!(name.starts_with("20"));
        assert!(p.starts_with(base.join(".tracer/traces")));
        std::fs::create_dir_all(&p).unwrap();
        let again = default_output(&base);
        assert_ne!(
            again, p,
            "a second recording of the same second gets its own directory"
        );
        assert!(again.to_str().unwrap().starts_with(p.to_str().unwrap()));
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn rates_are_short() {
        assert_eq!(short_rate(950.0), "950");
        assert_eq!(short_rate(3210.0), "3.2k");
        assert_eq!(
            progress_text(12345, 3210.0, 17),
            "12,345 events, 3.2k/s, 17 lost"
        );
    }
}
