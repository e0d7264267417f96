//! Errors of the session API. Each says what failed and, for I/O, on which file.

use std::path::PathBuf;

/// A session operation that could not be done.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing a trace file failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The channel configuration is unusable.
    Config(crate::ringbuffer::config::ConfigError),
    /// The operation does not fit the session's state (e.g. adding a channel after start).
    State(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Config(e) => e.fmt(f),
            Error::State(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Config(e) => Some(e),
            Error::State(_) => None,
        }
    }
}

impl From<crate::ringbuffer::config::ConfigError> for Error {
    fn from(e: crate::ringbuffer::config::ConfigError) -> Self {
        Error::Config(e)
    }
}

/// Attaches the path to an I/O error.
pub(crate) fn io_at(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
