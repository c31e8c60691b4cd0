//! RADIUS packet codec (RFC 2865), Message-Authenticator (RFC 2869 / RFC 3579) and the
//! Status-Server request (RFC 5997). No I/O: [`decode`] takes untrusted bytes and never panics.

use ispvm_model::Secret;
use std::fmt;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

/// Smallest valid packet: code, identifier, length, authenticator.
pub const HEADER_LEN: usize = 20;
/// Largest valid packet (RFC 2865 section 3).
pub const MAX_PACKET_LEN: usize = 4096;
/// Attribute type of Message-Authenticator (RFC 2869 section 5.14).
pub const MESSAGE_AUTHENTICATOR: u8 = 80;
/// Longest accepted shared secret, in bytes.
pub const MAX_SECRET_LEN: usize = 256;

/// A RADIUS packet code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// 1
    AccessRequest,
    /// 2
    AccessAccept,
    /// 3
    AccessReject,
    /// 4
    AccountingRequest,
    /// 5
    AccountingResponse,
    /// 11
    AccessChallenge,
    /// 12 (RFC 5997)
    StatusServer,
    /// Any other code.
    Other(u8),
}

impl Code {
    /// The code byte.
    #[must_use]
    pub const fn as_u8(self) -> u8 {
        match self {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccountingRequest => 4,
            Code::AccountingResponse => 5,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::Other(c) => c,
        }
    }

    /// The code of a byte.
    #[must_use]
    pub const fn from_u8(b: u8) -> Self {
        match b {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            c => Code::Other(c),
        }
    }
}

/// One attribute: type and raw value (at most 253 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attribute {
    /// The attribute type.
    pub kind: u8,
    /// The value bytes.
    pub value: Vec<u8>,
}

impl Attribute {
    /// An attribute.
    ///
    /// # Errors
    /// [`EncodeError::AttributeTooLong`] for a value over 253 bytes.
    pub fn new(kind: u8, value: Vec<u8>) -> Result<Self, EncodeError> {
        if value.len() > 253 {
            return Err(EncodeError::AttributeTooLong {
                kind,
                len: value.len(),
            });
        }
        Ok(Self { kind, value })
    }
}

/// A decoded packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Packet {
    /// The code.
    pub code: Code,
    /// The identifier that pairs a response with its request.
    pub identifier: u8,
    /// The request or response authenticator.
    pub authenticator: [u8; 16],
    /// The attributes, in wire order.
    pub attributes: Vec<Attribute>,
}

/// Why bytes are not a RADIUS packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer than 20 bytes.
    #[error("packet of {len} bytes is shorter than the 20-byte header")]
    TooShort {
        /// Bytes received.
        len: usize,
    },
    /// The length field is under 20 or over 4096.
    #[error("length field {length} is outside 20..=4096")]
    BadLength {
        /// The length field.
        length: usize,
    },
    /// The length field is larger than the bytes received.
    #[error("length field {length} exceeds the {received} bytes received")]
    Truncated {
        /// The length field.
        length: usize,
        /// Bytes received.
        received: usize,
    },
    /// An attribute's length byte is under 2 or runs past the packet.
    #[error("attribute at offset {offset} has a bad length {length}")]
    BadAttribute {
        /// Offset of the attribute in the packet.
        offset: usize,
        /// Its length byte.
        length: usize,
    },
}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An attribute value is longer than 253 bytes.
    #[error("attribute {kind} value of {len} bytes is longer than 253")]
    AttributeTooLong {
        /// The attribute type.
        kind: u8,
        /// The value length.
        len: usize,
    },
    /// The packet would be larger than 4096 bytes.
    #[error("packet of {len} bytes is larger than 4096")]
    TooLong {
        /// The packet length.
        len: usize,
    },
}

/// Why a response was not accepted as the answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a RADIUS packet.
    #[error("malformed response: {0}")]
    Malformed(#[from] DecodeError),
    /// The identifier does not match the request's.
    #[error("response identifier {got} does not match request identifier {expected}")]
    IdentifierMismatch {
        /// The request's identifier.
        expected: u8,
        /// The response's identifier.
        got: u8,
    },
    /// The Response Authenticator is wrong: usually a wrong shared secret.
    #[error("response authenticator does not verify (wrong shared secret?)")]
    BadResponseAuthenticator,
    /// The Message-Authenticator is wrong or malformed.
    #[error("message-authenticator does not verify (wrong shared secret?)")]
    BadMessageAuthenticator,
}

/// A RADIUS shared secret. Its `Debug` is redacted and it has no `Display` or `Serialize`.
///
/// # Examples
/// ```
/// use ispvm_pppoe::radius::RadiusSecret;
/// let s = RadiusSecret::new("testing123").unwrap();
/// assert_eq!(format!("{s:?}"), "RadiusSecret(<redacted>)");
/// ```
///
/// Storage, redaction and zeroizing on drop are those of [`ispvm_model::Secret`]; this type adds
/// the RADIUS length rules.
#[derive(Clone)]
pub struct RadiusSecret(Secret);

/// Why a shared secret was refused (never carries the secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Empty secret.
    #[error("RADIUS shared secret is empty")]
    Empty,
    /// Longer than [`MAX_SECRET_LEN`].
    #[error("RADIUS shared secret is {len} bytes long, at most {MAX_SECRET_LEN} are accepted")]
    TooLong {
        /// Its length.
        len: usize,
    },
}

impl RadiusSecret {
    /// Wraps a secret.
    ///
    /// # Errors
    /// [`SecretError`] when empty or too long.
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, SecretError> {
        let s = secret.as_ref();
        if s.is_empty() {
            return Err(SecretError::Empty);
        }
        if s.len() > MAX_SECRET_LEN {
            return Err(SecretError::TooLong { len: s.len() });
        }
        Ok(Self(Secret::new(s)))
    }

    fn bytes(&self) -> &[u8] {
        self.0.expose()
    }
}

impl fmt::Debug for RadiusSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RadiusSecret(<redacted>)")
    }
}

/// Decodes one packet from untrusted bytes. Bytes past the length field are padding and ignored
/// (RFC 2865 section 3).
///
/// # Errors
/// [`DecodeError`] for anything that is not a well-formed packet.
///
/// # Examples
/// ```
/// use ispvm_pppoe::radius::packet::{decode, Code, DecodeError};
/// let mut bytes = vec![2, 7, 0, 20];
/// bytes.extend([0u8; 16]);
/// let p = decode(&bytes)?;
/// assert_eq!((p.code, p.identifier), (Code::AccessAccept, 7));
/// assert_eq!(decode(&bytes[..10]), Err(DecodeError::TooShort { len: 10 }));
/// # Ok::<(), DecodeError>(())
/// ```
pub fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
    let header: &[u8; HEADER_LEN] = bytes
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(DecodeError::TooShort { len: bytes.len() })?;
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&length) {
        return Err(DecodeError::BadLength { length });
    }
    let body = bytes
        .get(HEADER_LEN..length)
        .ok_or(DecodeError::Truncated {
            length,
            received: bytes.len(),
        })?;
    let mut authenticator = [0u8; 16];
    authenticator.copy_from_slice(&header[4..]);
    let mut attributes = Vec::new();
    let mut rest = body;
    let mut offset = HEADER_LEN;
    while let [kind, len, ..] = *rest {
        let len = usize::from(len);
        let value = rest
            .get(2..len)
            .filter(|_| len >= 2)
            .ok_or(DecodeError::BadAttribute {
                offset,
                length: len,
            })?;
        attributes.push(Attribute {
            kind,
            value: value.to_vec(),
        });
        rest = rest.get(len..).unwrap_or(&[]);
        offset += len;
    }
    if !rest.is_empty() {
        return Err(DecodeError::BadAttribute {
            offset,
            length: rest.len(),
        });
    }
    Ok(Packet {
        code: Code::from_u8(header[0]),
        identifier: header[1],
        authenticator,
        attributes,
    })
}

impl Packet {
    /// A packet with no attributes.
    #[must_use]
    pub fn new(code: Code, identifier: u8, authenticator: [u8; 16]) -> Self {
        Self {
            code,
            identifier,
            authenticator,
            attributes: Vec::new(),
        }
    }

    /// The first attribute of type `kind`.
    #[must_use]
    pub fn attribute(&self, kind: u8) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.value.as_slice())
    }

    /// Encodes the packet as it stands (authenticators are not computed here).
    ///
    /// # Errors
    /// [`EncodeError`] for an attribute over 253 bytes or a packet over 4096 bytes.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut len = HEADER_LEN;
        for a in &self.attributes {
            if a.value.len() > 253 {
                return Err(EncodeError::AttributeTooLong {
                    kind: a.kind,
                    len: a.value.len(),
                });
            }
            len += 2 + a.value.len();
        }
        if len > MAX_PACKET_LEN {
            return Err(EncodeError::TooLong { len });
        }
        let mut out = Vec::with_capacity(len);
        out.push(self.code.as_u8());
        out.push(self.identifier);
        out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(&self.authenticator);
        for a in &self.attributes {
            out.push(a.kind);
            out.push(u8::try_from(a.value.len() + 2).unwrap_or(u8::MAX));
            out.extend_from_slice(&a.value);
        }
        Ok(out)
    }
}

/// Offset of the value of the first Message-Authenticator in an encoded packet, if any.
fn message_authenticator_offset(wire: &[u8]) -> Option<usize> {
    let mut off = HEADER_LEN;
    while let (Some(&kind), Some(&len)) = (wire.get(off), wire.get(off + 1)) {
        let len = usize::from(len);
        if len < 2 {
            return None;
        }
        if kind == MESSAGE_AUTHENTICATOR {
            return (len == 18).then_some(off + 2);
        }
        off += len;
    }
    None
}

fn hmac_md5(secret: &RadiusSecret, data: &[u8]) -> [u8; 16] {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(secret.bytes())
        .unwrap_or_else(|_| <Hmac<Md5> as Mac>::new(&Default::default()));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Encodes an RFC 5997 Status-Server request with a Message-Authenticator (mandatory for
/// Status-Server) computed with `secret`. `authenticator` must be random for each request.
///
/// # Examples
/// ```
/// use ispvm_pppoe::radius::{packet, RadiusSecret};
/// let secret = RadiusSecret::new("testing123").unwrap();
/// let wire = packet::status_server_request(42, [7u8; 16], &secret);
/// let p = packet::decode(&wire).unwrap();
/// assert_eq!(p.code, packet::Code::StatusServer);
/// assert_eq!(p.attribute(packet::MESSAGE_AUTHENTICATOR).map(<[u8]>::len), Some(16));
/// assert!(packet::verify_request_message_authenticator(&wire, &secret));
/// ```
#[must_use]
pub fn status_server_request(
    identifier: u8,
    authenticator: [u8; 16],
    secret: &RadiusSecret,
) -> Vec<u8> {
    let mut wire = Vec::with_capacity(HEADER_LEN + 18);
    wire.push(Code::StatusServer.as_u8());
    wire.push(identifier);
    wire.extend_from_slice(&38u16.to_be_bytes());
    wire.extend_from_slice(&authenticator);
    wire.push(MESSAGE_AUTHENTICATOR);
    wire.push(18);
    wire.extend_from_slice(&[0u8; 16]);
    let mac = hmac_md5(secret, &wire);
    wire.truncate(HEADER_LEN + 2);
    wire.extend_from_slice(&mac);
    wire
}

/// Checks the Message-Authenticator of a request (as a server would): HMAC-MD5 over the packet
/// with the field zeroed. `false` when absent or wrong.
#[must_use]
pub fn verify_request_message_authenticator(wire: &[u8], secret: &RadiusSecret) -> bool {
    let Some(off) = message_authenticator_offset(wire) else {
        return false;
    };
    let Some(got) = wire.get(off..off + 16) else {
        return false;
    };
    let mut copy = wire.to_vec();
    if let Some(f) = copy.get_mut(off..off + 16) {
        f.fill(0);
    }
    ct_eq(&hmac_md5(secret, &copy), got)
}

/// The Response Authenticator a server puts in `response` (RFC 2865 section 3):
/// `MD5(Code + Identifier + Length + RequestAuthenticator + Attributes + Secret)`.
/// `response` must be an encoded packet of at least 20 bytes (its own authenticator is ignored).
#[must_use]
pub fn response_authenticator(
    response: &[u8],
    request_authenticator: &[u8; 16],
    secret: &RadiusSecret,
) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(response.get(..4).unwrap_or(&[]));
    md5.update(request_authenticator);
    md5.update(response.get(HEADER_LEN..).unwrap_or(&[]));
    md5.update(secret.bytes());
    md5.finalize().into()
}

/// Signs an encoded response in place, as a RADIUS server does: Message-Authenticator (if the
/// packet has one) over the packet with the request authenticator, then the Response
/// Authenticator. Used by tests and fake servers.
pub fn sign_response(response: &mut [u8], request_authenticator: &[u8; 16], secret: &RadiusSecret) {
    if response.len() < HEADER_LEN {
        return;
    }
    if let Some(off) = message_authenticator_offset(response) {
        let mut copy = response.to_vec();
        if let Some(a) = copy.get_mut(4..HEADER_LEN) {
            a.copy_from_slice(request_authenticator);
        }
        if let Some(f) = copy.get_mut(off..off + 16) {
            f.fill(0);
        }
        let mac = hmac_md5(secret, &copy);
        if let Some(f) = response.get_mut(off..off + 16) {
            f.copy_from_slice(&mac);
        }
    }
    let ra = response_authenticator(response, request_authenticator, secret);
    if let Some(a) = response.get_mut(4..HEADER_LEN) {
        a.copy_from_slice(&ra);
    }
}

/// Decodes `wire` and checks it answers the request with `identifier` and
/// `request_authenticator`: identifier, Response Authenticator and, when present, the
/// Message-Authenticator (computed with the request authenticator, RFC 3579 section 3.2).
///
/// # Errors
/// [`VerifyError`] naming the first check that failed.
pub fn verify_response(
    wire: &[u8],
    identifier: u8,
    request_authenticator: &[u8; 16],
    secret: &RadiusSecret,
) -> Result<Packet, VerifyError> {
    let packet = decode(wire)?;
    if packet.identifier != identifier {
        return Err(VerifyError::IdentifierMismatch {
            expected: identifier,
            got: packet.identifier,
        });
    }
    // Only the bytes covered by the length field count (the rest is padding).
    let len = usize::from(u16::from_be_bytes([
        wire.get(2).copied().unwrap_or(0),
        wire.get(3).copied().unwrap_or(0),
    ]));
    let wire = wire.get(..len).unwrap_or(wire);
    let expected = response_authenticator(wire, request_authenticator, secret);
    if !ct_eq(&expected, &packet.authenticator) {
        return Err(VerifyError::BadResponseAuthenticator);
    }
    if packet.attribute(MESSAGE_AUTHENTICATOR).is_some() {
        let off = message_authenticator_offset(wire).ok_or(VerifyError::BadMessageAuthenticator)?;
        let mut copy = wire.to_vec();
        if let Some(a) = copy.get_mut(4..HEADER_LEN) {
            a.copy_from_slice(request_authenticator);
        }
        let got = wire
            .get(off..off + 16)
            .ok_or(VerifyError::BadMessageAuthenticator)?;
        if let Some(f) = copy.get_mut(off..off + 16) {
            f.fill(0);
        }
        if !ct_eq(&hmac_md5(secret, &copy), got) {
            return Err(VerifyError::BadMessageAuthenticator);
        }
    }
    Ok(packet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secret() -> RadiusSecret {
        RadiusSecret::new("testing123").unwrap()
    }

    #[test]
    fn rfc5997_example_message_authenticator() {
        // RFC 5997 section 6 example: Status-Server, id 218, secret "xyzzy5461".
        let wire = hex::decode(concat!(
            "0cda0026",
            "8a54f4686fb394c52866e302185d0623",
            "5012",
            "5a665e2e1e8411f3e243822097c84fa3"
        ))
        .unwrap();
        let s = RadiusSecret::new("xyzzy5461").unwrap();
        assert!(verify_request_message_authenticator(&wire, &s));
        let mut auth = [0u8; 16];
        auth.copy_from_slice(&wire[4..20]);
        assert_eq!(status_server_request(0xda, auth, &s), wire);
        assert!(!verify_request_message_authenticator(&wire, &secret()));
        // ... and the server's Access-Accept from the same example.
        let accept = hex::decode("02da0014ef0d552a4bf2d693ec2b6fe8b5411d66").unwrap();
        let p = verify_response(&accept, 0xda, &auth, &s).unwrap();
        assert_eq!(p.code, Code::AccessAccept);
        assert_eq!(
            verify_response(&accept, 0xda, &auth, &secret()),
            Err(VerifyError::BadResponseAuthenticator)
        );
    }

    #[test]
    fn signed_response_verifies() {
        let req_auth = [3u8; 16];
        let mut p = Packet::new(Code::AccessAccept, 9, [0; 16]);
        p.attributes
            .push(Attribute::new(MESSAGE_AUTHENTICATOR, vec![0; 16]).unwrap());
        p.attributes
            .push(Attribute::new(18, b"alive".to_vec()).unwrap());
        let mut wire = p.encode().unwrap();
        sign_response(&mut wire, &req_auth, &secret());
        let ok = verify_response(&wire, 9, &req_auth, &secret()).unwrap();
        assert_eq!(ok.attribute(18), Some(&b"alive"[..]));
        let wrong = RadiusSecret::new("nope").unwrap();
        assert_eq!(
            verify_response(&wire, 9, &req_auth, &wrong),
            Err(VerifyError::BadResponseAuthenticator)
        );
        assert_eq!(
            verify_response(&wire, 10, &req_auth, &secret()),
            Err(VerifyError::IdentifierMismatch {
                expected: 10,
                got: 9
            })
        );
        // A tampered Message-Authenticator with a recomputed response authenticator.
        let mut tampered = wire.clone();
        tampered[22] ^= 1;
        let ra = response_authenticator(&tampered, &req_auth, &secret());
        tampered[4..20].copy_from_slice(&ra);
        assert_eq!(
            verify_response(&tampered, 9, &req_auth, &secret()),
            Err(VerifyError::BadMessageAuthenticator)
        );
        // Padding after the length is ignored.
        let mut padded = wire.clone();
        padded.extend([0xAA; 7]);
        assert!(verify_response(&padded, 9, &req_auth, &secret()).is_ok());
    }

    #[test]
    fn decode_errors() {
        let mut h = vec![2, 1, 0, 19];
        h.extend([0; 16]);
        assert_eq!(decode(&h), Err(DecodeError::BadLength { length: 19 }));
        h[3] = 30;
        assert_eq!(
            decode(&h),
            Err(DecodeError::Truncated {
                length: 30,
                received: 20
            })
        );
        h[3] = 23;
        h.extend([1, 1, 0]);
        assert_eq!(
            decode(&h),
            Err(DecodeError::BadAttribute {
                offset: 20,
                length: 1
            })
        );
        h[21] = 4;
        assert_eq!(
            decode(&h),
            Err(DecodeError::BadAttribute {
                offset: 20,
                length: 4
            })
        );
        h[3] = 21;
        assert_eq!(
            decode(&h),
            Err(DecodeError::BadAttribute {
                offset: 20,
                length: 1
            })
        );
        assert_eq!(RadiusSecret::new("").unwrap_err(), SecretError::Empty);
        assert!(matches!(
            Attribute::new(1, vec![0; 254]),
            Err(EncodeError::AttributeTooLong { kind: 1, len: 254 })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// decode never panics, and what it accepts re-encodes to the same bytes (up to the
        /// length field).
        #[test]
        fn decode_encode_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(p) = decode(&bytes) {
                let wire = p.encode().unwrap();
                let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
                prop_assert_eq!(&wire[..], &bytes[..len]);
            }
        }

        /// Encoded packets always decode back to themselves.
        #[test]
        fn encode_decode(code in any::<u8>(), id in any::<u8>(), auth in any::<[u8; 16]>(),
                         attrs in proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..20)) {
            let mut p = Packet::new(Code::from_u8(code), id, auth);
            for (k, v) in attrs {
                p.attributes.push(Attribute::new(k, v).unwrap());
            }
            let wire = p.encode().unwrap();
            prop_assert_eq!(decode(&wire).unwrap(), p);
        }
    }
}
