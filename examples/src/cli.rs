//! The conventions every ispvm binary shares: exit codes, logging, reading an input file.
//!
//! - Exit codes ([`Exit`]): 0 success, 1 runtime failure (output cannot be written, a device
//!   broke the protocol...), 2 usage or invalid input (bad arguments, a file that cannot be read
//!   or is not valid); `ispvm-poll` adds 3 when the device cannot be reached or refuses the login
//!   (worth retrying later).
//! - Logs ([`init_tracing`]): `tracing` events to standard error, filtered by `RUST_LOG`
//!   (default `error`: a failure is reported as the program's own one line on standard error;
//!   `RUST_LOG=warn` or `RUST_LOG=ispvm_routeros=debug` shows more), so standard output stays
//!   the program's result.
//! - Input ([`read_input`]): a file, or standard input for `-`, refused past a size limit.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// The exit status of an ispvm binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// 0: success.
    Ok,
    /// 1: a runtime failure (network, device, output cannot be written).
    Runtime,
    /// 2: bad arguments or invalid input.
    Usage,
    /// 3: the device cannot be reached or refused the login; trying again later may work.
    Unavailable,
}

impl Exit {
    /// The numeric status.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Runtime => 1,
            Exit::Usage => 2,
            Exit::Unavailable => 3,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// Starts logging to standard error, filtered by `RUST_LOG` (`error` when unset or invalid).
/// Calling it again does nothing.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    // Fails only when a subscriber is already set: keep that one.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path given (`-` for standard input), cut to about 80 characters.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The input is larger than the limit.
    #[error("{path} is larger than {limit} bytes")]
    TooLarge {
        /// The path given (`-` for standard input), cut to about 80 characters.
        path: String,
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Reads the file at `path`, or standard input when `path` is `-`, whole, refusing more than
/// `limit` bytes. The buffer is sized from the file's length up front (no regrowth copies).
///
/// # Errors
/// [`ReadError::Io`] when it cannot be read, [`ReadError::TooLarge`] past `limit`.
pub fn read_input(path: impl AsRef<Path>, limit: u64) -> Result<Vec<u8>, ReadError> {
    let path = path.as_ref();
    let shown = || {
        let text = path.to_string_lossy();
        ispvm_model::quote::bounded(&text).to_string()
    };
    let io = |source| ReadError::Io {
        path: shown(),
        source,
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        // One spare byte, so reading to the end needs no second allocation.
        let want = len.min(limit).saturating_add(1);
        bytes.reserve_exact(usize::try_from(want).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: shown(),
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_files_and_refuses_large_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, b"0123456789").unwrap();
        let p = path.to_str().unwrap();
        assert_eq!(read_input(p, 10).unwrap(), b"0123456789");
        let e = read_input(p, 9).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { limit: 9, .. }), "{e}");
        assert_eq!(e.to_string(), format!("{p} is larger than 9 bytes"));
        let e = read_input("/nonexistent/x.json", 10).unwrap_err();
        assert!(matches!(e, ReadError::Io { .. }));
        assert!(
            e.to_string()
                .starts_with("cannot read /nonexistent/x.json: ")
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(
            [Exit::Ok, Exit::Runtime, Exit::Usage, Exit::Unavailable].map(Exit::code),
            [0, 1, 2, 3]
        );
    }
}
