//! A trace directory: its metadata, compiled, and its stream files. Opening reads and compiles
//! the metadata only; stream files are mapped when counted or iterated.

use super::layout::{self, EventClass, Layout, Node};
use super::tsdl::{self, Clock};
use super::{metadata_file, ReadError};
use crate::ctf::metadata::EnvValue;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An opened CTF trace.
pub struct Trace {
    dir: PathBuf,
    pub(crate) layout: Layout,
    pub(crate) classes: Vec<Arc<EventClass>>,
    streams: Vec<PathBuf>,
    env: Vec<(String, EnvValue)>,
}

impl Trace {
    /// Opens the trace in `dir` (a directory holding a `metadata` file and stream files).
    pub fn open(dir: impl AsRef<Path>) -> Result<Trace, ReadError> {
        let dir = dir.as_ref().to_path_buf();
        let meta_path = dir.join("metadata");
        let meta = metadata_file::read(&meta_path)?;
        let mut trace = Trace::compile(dir.clone(), &meta_path, meta)?;
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            ReadError::new(&dir, 0, format!("cannot list the trace directory: {e}"))
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let hidden = name.to_string_lossy().starts_with('.');
            // Only regular files at the top level are streams (LTTng's `index/` is not).
            if !hidden && name != "metadata" && entry.file_type().is_ok_and(|t| t.is_file()) {
                trace.streams.push(entry.path());
            }
        }
        trace.streams.sort();
        Ok(trace)
    }

    /// A trace known by its metadata alone (plain or packetized), with no stream files: what
    /// a live viewer has before packets arrive ([`super::count_packets`] counts them). `dir`
    /// names the trace in errors (`dir/metadata`) and in counts.
    pub fn from_metadata(dir: impl AsRef<Path>, metadata: &[u8]) -> Result<Trace, ReadError> {
        let dir = dir.as_ref().to_path_buf();
        let meta_path = dir.join("metadata");
        let meta = metadata_file::parse(&meta_path, metadata.to_vec())?;
        Trace::compile(dir, &meta_path, meta)
    }

    fn compile(
        dir: PathBuf,
        meta_path: &Path,
        meta: metadata_file::MetadataText,
    ) -> Result<Trace, ReadError> {
        let m = tsdl::parse(&meta.text).map_err(|e| {
            ReadError::new(
                meta_path,
                meta.file_offset(e.offset),
                format!("line {}: {}", e.line, e.message),
            )
        })?;
        let layout = layout::compile(&m).map_err(|e| {
            let line =
                1 + memchr::memchr_iter(b'\n', &meta.text[..e.offset.min(meta.text.len())]).count();
            ReadError::new(
                meta_path,
                meta.file_offset(e.offset),
                format!("line {line}: {}", e.message),
            )
        })?;
        Ok(Trace {
            dir,
            classes: layout.classes.iter().cloned().map(Arc::new).collect(),
            layout,
            streams: Vec::new(),
            env: m.env,
        })
    }

    /// The trace directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Event classes, in metadata order.
    pub fn classes(&self) -> &[Arc<EventClass>] {
        &self.classes
    }

    /// The names of the context fields of `class`'s events: its stream's event context, then
    /// its own context (LTTng's `add-context` puts `ip`, `vpid`… in the former).
    pub fn context_fields(&self, class: &EventClass) -> Vec<&str> {
        let Some(s) = self.layout.stream_index(Some(class.stream_id)) else {
            return Vec::new();
        };
        let stream = &self.layout.streams[s];
        let own = stream
            .by_id
            .get(class.id)
            .and_then(|ci| self.layout.class_layouts[ci].context);
        [stream.event_context, own]
            .into_iter()
            .flatten()
            .flat_map(|root| match &self.layout.nodes[root] {
                Node::Struct { members, .. } => members.iter().map(|(n, _)| &**n).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// Stream files, sorted by path.
    pub fn stream_files(&self) -> &[PathBuf] {
        &self.streams
    }

    /// `env` entries.
    pub fn env(&self) -> &[(String, EnvValue)] {
        &self.env
    }

    /// The clock event timestamps are in (the one the event header maps to).
    pub fn clock(&self) -> Option<&Clock> {
        self.layout.clock.as_ref()
    }

    /// The trace UUID, if declared.
    pub fn uuid(&self) -> Option<[u8; 16]> {
        self.layout.uuid
    }
}
