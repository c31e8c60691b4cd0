//! [`ErrorCause`]: the underlying error of an ispvm error, kept for `source()` while the error
//! stays `Clone + PartialEq`.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// The original error behind an ispvm error (an `io::Error`, a TLS error, a client error),
/// shared behind an `Arc` so that the error holding it can still be `Clone`, `PartialEq` and
/// `Eq` (tests `assert_eq!` on errors; a closed connection hands the same error to every
/// pending command).
///
/// It is transparent: its `Display` and `Debug` are those of the original error and its
/// [`source`](Error::source) is the original's source, so walking the chain of an
/// [`AdapterError`](crate::AdapterError) reaches the `io::Error` at the bottom. Two causes are
/// equal when they are the same allocation or print the same message.
///
/// # Examples
/// ```
/// use std::error::Error as _;
/// use std::io;
/// use ispvm_model::ErrorCause;
///
/// let cause = ErrorCause::new(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
/// assert_eq!(cause.to_string(), "refused");
/// assert_eq!(
///     cause.downcast_ref::<io::Error>().map(io::Error::kind),
///     Some(io::ErrorKind::ConnectionRefused)
/// );
/// assert!(cause.source().is_none());
/// assert_eq!(cause.clone(), cause);
/// ```
#[derive(Clone)]
pub struct ErrorCause(Arc<dyn Error + Send + Sync + 'static>);

impl ErrorCause {
    /// Keeps `error` as a cause.
    #[must_use]
    pub fn new<E: Error + Send + Sync + 'static>(error: E) -> Self {
        Self(Arc::new(error))
    }

    /// The original error.
    #[must_use]
    pub fn get(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The original error as `E`, if it is one.
    #[must_use]
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }
}

impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Error for ErrorCause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for ErrorCause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for ErrorCause {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] io::Error);

    #[test]
    fn transparent_for_the_chain() {
        let c = ErrorCause::new(Outer(io::Error::other("inner")));
        assert_eq!(c.to_string(), "outer");
        assert_eq!(
            c.source().map(ToString::to_string).as_deref(),
            Some("inner")
        );
        assert!(c.downcast_ref::<Outer>().is_some());
        assert!(c.downcast_ref::<io::Error>().is_none());
        assert_ne!(c, ErrorCause::new(io::Error::other("other")));
        assert_eq!(ErrorCause::new(io::Error::other("outer")), c);
    }
}
