//! `tracer-lsp relay`: serves recordings to live viewers (babeltrace2, Trace Compass) over the
//! LTTng live reading protocol while tracer-core's recorder is still writing them.
//!
//! `targets.rs` receives recordings streamed by targets (`record --stream`) and writes them
//! under the root as a local recorder would; `catalog.rs` finds the sessions under the root
//! and names them with protocol ids, `client.rs` is the viewer side used by `tracer.attach`
//! and `counts --live`, `viewer.rs` answers one viewer (indexes read from the growing stream
//! files), `wire.rs` is the protocol's byte layout. One thread per viewer connection: viewers are few and their
//! requests are small; a malformed message ends that viewer's connection only.

mod catalog;
pub mod client;
mod targets;
mod viewer;
mod wire;

use anyhow::{bail, Context, Result};
use catalog::Catalog;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use targets::Targets;
pub use targets::DEFAULT_TARGET_TIMEOUT;
use viewer::{log, Viewer};

/// The LTTng live protocol's usual port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5344";

/// What `relay` was asked to do.
pub struct RelayArgs {
    pub root: PathBuf,
    pub listen: SocketAddr,
    /// Where targets stream to.
    pub targets: SocketAddr,
    pub allow_remote: bool,
    pub token: Option<String>,
    /// How long a silent target is kept, and a session it left without ending waits for it.
    pub target_timeout: std::time::Duration,
}

/// Listens until killed; prints `listening on ADDR, serving ROOT, targets on ADDR` (the bound
/// addresses) on stdout first.
pub fn run(args: RelayArgs) -> Result<()> {
    for addr in [args.listen, args.targets] {
        if addr.ip().is_loopback() {
            continue;
        }
        if !args.allow_remote {
            bail!(
                "{addr} is not a loopback address: pass --allow-remote and --token to listen on it"
            );
        }
        // The token is what targets present when they stream to the relay; the LTTng viewer
        // protocol has no place for one, so viewers are not asked for it.
        if args.token.as_deref().is_none_or(str::is_empty) {
            bail!("--allow-remote needs --token T (the secret targets present)");
        }
    }
    anyhow::ensure!(
        args.root.is_dir(),
        "{} is not a directory (the relay serves ROOT/<host>/<session>/)",
        args.root.display()
    );
    let listener = TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let target_listener = TcpListener::bind(args.targets)
        .with_context(|| format!("cannot listen for targets on {}", args.targets))?;
    let targets_addr = target_listener.local_addr()?;
    let targets = Targets::new(args.root.clone(), args.token.clone(), args.target_timeout);
    std::thread::Builder::new()
        .name("relay-targets".into())
        .spawn(move || targets.accept(target_listener))?;
    println!(
        "listening on {addr}, serving {}, targets on {targets_addr}",
        args.root.display()
    );
    std::io::stdout().flush()?;
    let catalog = Arc::new(Catalog::new(args.root));
    let next_id = AtomicU64::new(1);
    for conn in listener.incoming() {
        let conn = match conn {
            Ok(c) => c,
            Err(e) => {
                eprintln!("tracer-lsp relay: accept: {e}");
                continue;
            }
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let catalog = catalog.clone();
        std::thread::Builder::new()
            .name(format!("relay-viewer-{id}"))
            .spawn(move || {
                if let Err(e) = serve(conn, Viewer::new(catalog, id)) {
                    log(id, &format!("{e}; connection closed"));
                }
            })?;
    }
    Ok(())
}

/// Reads requests and writes replies until the viewer leaves or sends something malformed.
fn serve(mut conn: TcpStream, mut viewer: Viewer) -> std::result::Result<(), String> {
    conn.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut connected = false;
    loop {
        let mut header = [0u8; wire::HEADER_LEN];
        match conn.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.to_string()),
        }
        let (len, cmd) =
            wire::parse_header(&header).map_err(|e| format!("malformed message: {e}"))?;
        let mut payload = vec![0u8; len];
        conn.read_exact(&mut payload)
            .map_err(|e| format!("command {cmd} cut short: {e}"))?;
        let req =
            wire::parse_request(cmd, &payload).map_err(|e| format!("malformed message: {e}"))?;
        if !connected && !matches!(req, wire::Request::Connect { .. }) {
            return Err(format!("malformed message: {req:?} before CONNECT"));
        }
        connected = true;
        let reply = viewer.handle(req)?;
        conn.write_all(&reply.0).map_err(|e| e.to_string())?;
    }
}
