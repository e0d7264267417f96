//! `tracer-lsp`: the command line. Each sub-command is a thin layer over the indexer (and,
//! as they land, the tracer core and the language server).

mod counts;
mod demo;
mod load;
mod lsp;
mod lttng_sites;
mod record;
mod relay;
mod report;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "tracer-lsp",
    version,
    about = "Static tracepoints, first-class in the editor",
    long_about = "Static tracepoints, first-class in the editor.\n\nWith no command (or with \
                  --stdio), speaks the Language Server Protocol on stdin/stdout."
)]
struct Cli {
    /// Speak LSP on stdin/stdout (the default when no command is given).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Index a source tree and summarize its tracepoint declarations and probe sites.
    Index {
        /// Root of the tree (a kernel tree, a project, …).
        dir: PathBuf,
        /// Print one JSON document on stdout instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Index the bundled examples, record the example programs, and print every probe-site
    /// line with its event count.
    Demo {
        /// The examples directory (default: `examples/` of the current directory or the
        /// source checkout).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Run a program under a new recording and print the event count of every call site.
    #[command(
        after_help = "Examples:\n  tracer-lsp record -- ./hello\n  tracer-lsp record --json --enable 'hello_world:*' -- ./hello 10\n  tracer-lsp record --stream relay-host:5345 --token T --session demo -- ./hello 10"
    )]
    Record {
        /// Trace directory (default: .tracer/traces/<date-time> under the current directory;
        /// with --stream, no files unless given).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Stream the traces to a `tracer-lsp relay`'s targets address (HOST:PORT).
        #[arg(long, value_name = "HOST:PORT")]
        stream: Option<String>,
        /// The relay's shared secret (default: $TRACER_RELAY_TOKEN).
        #[arg(long, requires = "stream")]
        token: Option<String>,
        /// Session name on the relay (default: <date-time>).
        #[arg(long, requires = "stream")]
        session: Option<String>,
        /// Host name on the relay (default: this machine's).
        #[arg(long, requires = "stream")]
        hostname: Option<String>,
        /// Bytes queued for the relay at most; beyond that, and while the link is down,
        /// whole packets are dropped and counted (default 64M; suffixes K, M, G; at least
        /// two sub-buffers).
        #[arg(long, value_name = "SIZE", requires = "stream", value_parser = record::parse_queue_size)]
        stream_queue: Option<usize>,
        /// What a full buffer does: drop new events (discard) or the oldest (overwrite).
        #[arg(long, value_enum, default_value = "discard")]
        mode: ModeArg,
        /// Bytes per sub-buffer (power of two, at least 4K; suffixes K, M).
        #[arg(long, value_parser = record::parse_size)]
        subbuf_size: Option<usize>,
        /// Sub-buffers per stream (power of two, at least 2).
        #[arg(long)]
        num_subbuf: Option<usize>,
        /// Record only events matching PATTERN (`provider:event`, `provider:*`); repeatable.
        #[arg(long, value_name = "PATTERN")]
        enable: Vec<String>,
        /// Print `{"trace", "lost", "sites": [...]}` on stdout instead of the table.
        #[arg(long)]
        json: bool,
        /// The program and its arguments.
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Count the events of a CTF trace (ours or LTTng's), per event and per probe site.
    #[command(
        after_help = "Examples:\n  tracer-lsp counts .tracer/traces/20261127-101500 --workspace .\n  tracer-lsp counts --live net://localhost/host/myhost/demo --workspace . --json"
    )]
    Counts {
        /// The trace directory (every trace below it is read).
        #[arg(required_unless_present = "live", conflicts_with = "live")]
        trace: Option<PathBuf>,
        /// Follow a live session through a relay (`net://HOST[:PORT]/host/HOSTNAME/SESSION`,
        /// default port 5344) until it ends or Ctrl-C, then print its counts.
        #[arg(long, value_name = "URL")]
        live: Option<String>,
        /// Source tree whose probe sites get the counts.
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Print `{"events", "sites", "lost", "errors"}` on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Print the probe-site lines of the sources with their event counts (like `git blame`),
    /// from a trace or from recording a program.
    #[command(
        after_help = "Examples:\n  tracer-lsp annotate --trace .tracer/traces/20261127-101500\n  tracer-lsp annotate --workspace examples -- target/release/hello-rs 100"
    )]
    Annotate {
        /// The trace directory to read.
        #[arg(long, conflicts_with = "command")]
        trace: Option<PathBuf>,
        /// Source tree to annotate (default: the current directory).
        #[arg(long, default_value = ".")]
        workspace: PathBuf,
        /// Only these files (paths or path suffixes).
        #[arg(value_name = "FILES")]
        files: Vec<PathBuf>,
        /// Record this program first.
        #[arg(last = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Serve recordings to live viewers (babeltrace2, Trace Compass) with the LTTng live
    /// protocol while they are being written.
    #[command(
        after_help = "Serves ROOT/<host>/<session>/ (a `record --output` directory, or a target's\n`record --stream`, received on --targets); a viewer reads it live:\n  tracer-lsp relay --root traces &\n  tracer-lsp record --output traces/myhost/demo -- ./hello 100 &\n  tracer-lsp record --stream localhost:5345 --session demo2 -- ./hello 100 &\n  babeltrace2 --input-format=lttng-live net://localhost/host/myhost/demo"
    )]
    Relay {
        /// Directory holding `<host>/<session>/` recordings.
        #[arg(long)]
        root: PathBuf,
        /// Address to listen on (port 0: any free port; the bound address is printed).
        #[arg(long, default_value = relay::DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
        /// Address targets stream to (`record --stream`; default: --listen's address, port
        /// + 1, so 127.0.0.1:5345; port 0 when --listen's is 0).
        #[arg(long)]
        targets: Option<std::net::SocketAddr>,
        /// Allow non-loopback --listen and --targets addresses.
        #[arg(long, requires = "token")]
        allow_remote: bool,
        /// Shared secret targets must present (viewers are not asked for it: the LTTng live
        /// protocol has no token). Default: $TRACER_RELAY_TOKEN.
        #[arg(long)]
        token: Option<String>,
        /// Seconds a silent target is kept (targets send a keepalive every second), and a
        /// session it left without ending waits for it to reconnect before it is ended.
        #[arg(long, value_name = "SECS", default_value_t = relay::DEFAULT_TARGET_TIMEOUT.as_secs_f64(), value_parser = parse_timeout)]
        target_timeout: f64,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ModeArg {
    Discard,
    Overwrite,
}

/// `--target-timeout`: seconds, at least 1 (a keepalive a second must fit in it) and at
/// most a day.
fn parse_timeout(s: &str) -> Result<f64, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if (1.0..=86_400.0).contains(&secs) {
        Ok(secs)
    } else {
        Err(format!("{s} s is out of range (1 to 86400)"))
    }
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        None => lsp::run_stdio(),
        Some(Command::Index { dir, json }) => index(&dir, json),
        Some(Command::Demo { dir }) => demo(dir),
        Some(Command::Record {
            output,
            stream,
            token,
            session,
            hostname,
            stream_queue,
            mode,
            subbuf_size,
            num_subbuf,
            enable,
            json,
            command,
        }) => record::run(record::RecordArgs {
            output,
            stream: stream.map(|addr| record::StreamArgs {
                addr,
                token: token.or_else(|| std::env::var("TRACER_RELAY_TOKEN").ok()),
                session,
                hostname,
                queue_bytes: stream_queue,
            }),
            mode: match mode {
                ModeArg::Discard => tracer_core::Mode::Discard,
                ModeArg::Overwrite => tracer_core::Mode::Overwrite,
            },
            subbuf_size,
            num_subbuf,
            enable,
            json,
            command,
        })
        .map(|code| std::process::exit(code)),
        Some(Command::Counts {
            trace,
            live,
            workspace,
            json,
        }) => match (live, trace) {
            (Some(url), _) => counts::counts_live_command(&url, workspace.as_deref(), json),
            (None, Some(trace)) => counts::counts_command(&trace, workspace.as_deref(), json),
            (None, None) => Err(anyhow::anyhow!(
                "counts needs a trace directory or --live URL"
            )),
        },
        Some(Command::Annotate {
            trace,
            workspace,
            files,
            command,
        }) => annotate(trace, &workspace, &files, command),
        Some(Command::Relay {
            root,
            listen,
            targets,
            allow_remote,
            token,
            target_timeout,
        }) => relay::run(relay::RelayArgs {
            root,
            targets: targets.unwrap_or_else(|| {
                let port = if listen.port() == 0 {
                    0
                } else {
                    listen.port().wrapping_add(1)
                };
                std::net::SocketAddr::new(listen.ip(), port)
            }),
            listen,
            allow_remote,
            token: token.or_else(|| std::env::var("TRACER_RELAY_TOKEN").ok()),
            target_timeout: std::time::Duration::from_secs_f64(target_timeout),
        }),
    };
    if let Err(e) = result {
        eprintln!("tracer-lsp: {e:#}");
        std::process::exit(1);
    }
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
fn progress_bar(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn index(dir: &Path, json: bool) -> Result<()> {
    let bar = progress_bar("indexing");
    let on_progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let (ws, stats) = load::load_tree(dir, load::PathKeys::Relative, &on_progress)?;
    bar.finish_and_clear();
    let report = report::index_report(&ws, stats.files_indexed);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    let t = report.totals();
    let n = |v: usize| thousands(v as u64);
    writeln!(
        out,
        "Indexed {} in {:.2} s",
        dir.display(),
        stats.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "  files walked     {:>9}  ({} MB read)",
        n(stats.files_walked),
        thousands(stats.bytes_read / 1_000_000)
    )?;
    writeln!(out, "  files indexed    {:>9}", n(stats.files_indexed))?;
    writeln!(
        out,
        "  events           {:>9}  ({} distinct)",
        n(t.events),
        n(t.distinct_events)
    )?;
    writeln!(out, "  classes          {:>9}", n(t.classes))?;
    writeln!(out, "  probe sites      {:>9}", n(t.sites))?;
    writeln!(out, "  unresolved sites {:>9}", n(t.unresolved))?;
    for s in report.sites.iter().filter(|s| !s.resolved).take(10) {
        writeln!(
            out,
            "    {}:{}: no declaration of `{}` in this tree",
            s.file, s.line, s.event
        )?;
    }
    for e in stats.errors.iter().take(10) {
        writeln!(out, "  skipped {e}")?;
    }
    Ok(())
}

fn annotate(
    trace: Option<PathBuf>,
    workspace: &Path,
    files: &[PathBuf],
    command: Vec<String>,
) -> Result<()> {
    let trace = match (trace, command.is_empty()) {
        (Some(t), _) => t,
        (None, false) => {
            let dir = record::record_quietly(&command)?;
            eprintln!("recorded into {}", dir.display());
            dir
        }
        (None, true) => anyhow::bail!("give --trace DIR or a program after `--` to record"),
    };
    let imported = counts::import(&trace);
    for e in &imported.errors {
        eprintln!("tracer-lsp: {e}");
    }
    let (ws, _) = load::load_tree(workspace, load::PathKeys::Relative, &|_, _| {})?;
    let attribution = ws.attribute_counts(&imported.traces);
    counts::print_annotated(&ws, &attribution, files, &mut std::io::stdout().lock())
}

fn demo(dir: Option<PathBuf>) -> Result<()> {
    let dir = match dir {
        Some(d) => d,
        None => [
            "examples",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"),
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_dir())
        .context("no examples/ directory here; pass --dir DIR")?,
    };
    let (ws, stats) = load::load_tree(&dir, load::PathKeys::Relative, &|_, _| {})?;
    let report = report::index_report(&ws, stats.files_indexed);
    let t = report.totals();
    println!(
        "Indexed {}: {} events, {} probe sites in {} files",
        dir.display(),
        t.events,
        t.sites,
        stats.files_indexed
    );
    let programs = demo::example_programs(&dir);
    let out = PathBuf::from(".tracer/traces").join("demo");
    let _ = std::fs::remove_dir_all(&out);
    let recorder = tracer_core::Recorder::start(tracer_core::RecordingConfig::new(&out))?;
    let (k, v) = recorder.env();
    for p in &programs {
        match p {
            Ok(cmd) => {
                println!("Recording {}", cmd.join(" "));
                let status = std::process::Command::new(&cmd[0])
                    .args(&cmd[1..])
                    .env(k, &v)
                    .stdout(std::process::Stdio::null())
                    .status()
                    .with_context(|| format!("cannot start {}", cmd[0]))?;
                anyhow::ensure!(status.success(), "{} failed: {status}", cmd[0]);
            }
            Err(why) => println!("Not recording: {why}"),
        }
    }
    let snap = recorder.stop_when_ended(record::EXIT_GRACE);
    let attribution = ws.attribute_counts(&counts::snapshot_counts(&snap));
    println!();
    counts::print_annotated(&ws, &attribution, &[], &mut std::io::stdout().lock())?;
    println!(
        "{} events recorded, {} lost; trace (CTF 1.8, babeltrace2 reads it): {}",
        thousands(snap.events()),
        thousands(snap.lost()),
        snap.dir.display()
    );
    Ok(())
}

/// `1234567` → `1,234,567`.
fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_bad_stream_queue_is_refused_by_name() {
        use clap::Parser;
        let parse = |size: &str| {
            let args = [
                "tracer-lsp",
                "record",
                "--stream",
                "relay:5345",
                "--stream-queue",
            ];
            super::Cli::try_parse_from(args.iter().copied().chain([size, "--", "./app"]))
        };
        for bad in ["0", "lots", "4X"] {
            let e = parse(bad).err().expect(bad).to_string();
            assert!(e.contains("--stream-queue"), "{e}");
            assert!(e.contains(bad), "{e}");
        }
        match parse("256K").unwrap().command {
            Some(super::Command::Record { stream_queue, .. }) => {
                assert_eq!(stream_queue, Some(256 << 10))
            }
            _ => panic!("not a record command"),
        }
        // Without --stream there is no queue to size.
        let alone = [
            "tracer-lsp",
            "record",
            "--stream-queue",
            "4M",
            "--",
            "./app",
        ];
        assert!(super::Cli::try_parse_from(alone).is_err());
    }
}
