//! [`Secret`]: the one type for secrets in ispvm (router passwords, RADIUS shared secrets,
//! subscriber-hash keys).

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Secret bytes that never show in `Debug`, logs or errors, and are zeroized when dropped.
///
/// Its `Debug` prints `Secret(<redacted>)`; it has no `Display` and no `Serialize`, so it cannot
/// leak through a format string or a JSON document by accident. [`Secret::expose`] is the only
/// way to the bytes: call it only where they go on the wire or into a MAC. The buffer is wiped
/// with [`zeroize`] on drop (clones are wiped independently).
///
/// Crates that need rules on top (the RADIUS shared secret's length, the subscriber key's
/// minimum size) wrap a `Secret` and keep this storage.
///
/// # Examples
/// ```
/// use ispvm_model::Secret;
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// assert_eq!(s.expose(), b"hunter2");
/// assert_eq!(s.len(), 7);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps a secret, taking ownership of its buffer (a `String` or `Vec<u8>` is not copied).
    #[must_use]
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Self(value.into())
    }

    /// The secret bytes. Call only where they must go on the wire or into a MAC.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<Vec<u8>> for Secret {
    fn from(value: Vec<u8>) -> Self {
        Self::new(value)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_everywhere_it_could_show() {
        let s = Secret::new(String::from("topsecret"));
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(<redacted>))");
        assert_eq!(s, Secret::from("topsecret"));
        assert_ne!(s, Secret::default());
        assert!(Secret::default().is_empty());
    }

    #[test]
    fn wiped_on_drop_by_zeroize() {
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        zeroize_on_drop::<Secret>();
    }
}
