//! A guard between stdio and the LSP service: a malformed message gets a JSON-RPC error and
//! the server keeps serving.
//!
//! tower-lsp-server's reader stops at the first frame it cannot decode, which ends the session
//! on one bad message. Here every frame is read first; a body that is not a JSON object gets
//! `-32700 Parse error` (or `-32600 Invalid Request` for JSON that is not an object) and is
//! dropped, and the rest is passed on unchanged. Outgoing frames are copied whole to stdout,
//! interleaved with those errors.

use serde_json::{json, Value};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::sync::mpsc;
use tower_lsp_server::{ClientSocket, LanguageServer, LspService, Server};

/// One frame read from a stream: its body, or why it was rejected.
enum Frame {
    Body(Vec<u8>),
    Rejected(Value),
}

const PIPE_CAPACITY: usize = 1 << 16;

pub async fn serve<S: LanguageServer>(service: LspService<S>, socket: ClientSocket) {
    let (server_in, mut to_server) = tokio::io::duplex(PIPE_CAPACITY);
    let (server_out, from_server) = tokio::io::duplex(PIPE_CAPACITY);
    let (errors_tx, mut errors_rx) = mpsc::unbounded_channel::<Value>();

    let reader = tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        while let Ok(Some(frame)) = read_frame(&mut stdin).await {
            match frame {
                Frame::Body(body) => {
                    if write_frame(&mut to_server, &body).await.is_err() {
                        break;
                    }
                }
                Frame::Rejected(error) => {
                    let _ = errors_tx.send(error);
                }
            }
        }
    });

    let writer = async move {
        let mut stdout = tokio::io::stdout();
        let mut from_server = BufReader::new(from_server);
        loop {
            tokio::select! {
                frame = read_frame(&mut from_server) => match frame {
                    Ok(Some(Frame::Body(body))) => {
                        if write_frame(&mut stdout, &body).await.is_err() {
                            break;
                        }
                    }
                    Ok(Some(Frame::Rejected(_))) => {}
                    Ok(None) | Err(_) => break,
                },
                Some(error) = errors_rx.recv() => {
                    let body = serde_json::to_vec(&error).unwrap_or_default();
                    if write_frame(&mut stdout, &body).await.is_err() {
                        break;
                    }
                }
            }
        }
    };

    let server = Server::new(server_in, server_out, socket).serve(service);
    tokio::join!(server, writer);
    reader.abort();
}

fn rejection(code: i64, message: String) -> Frame {
    Frame::Rejected(
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}),
    )
}

/// Reads one `Content-Length`-framed message. `Ok(None)` at the end of the stream.
async fn read_frame<R: AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<Option<Frame>> {
    let mut length: Option<usize> = None;
    let mut header_error = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                match value.trim().parse() {
                    Ok(n) => length = Some(n),
                    Err(_) => header_error = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => header_error = Some(format!("not a header line: `{line}`")),
        }
    }
    let Some(length) = length.filter(|_| header_error.is_none()) else {
        let why = header_error.unwrap_or_else(|| "missing Content-Length header".to_string());
        return Ok(Some(rejection(-32700, format!("Parse error: {why}"))));
    };
    let mut body = vec![0; length];
    r.read_exact(&mut body).await?;
    Ok(Some(match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(_)) => Frame::Body(body),
        Ok(_) => rejection(
            -32600,
            "Invalid Request: a message is a JSON object".to_string(),
        ),
        Err(e) => rejection(-32700, format!("Parse error: {e}")),
    }))
}

async fn write_frame<W: AsyncWrite + Unpin>(w: &mut W, body: &[u8]) -> std::io::Result<()> {
    w.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    w.write_all(body).await?;
    w.flush().await
}
