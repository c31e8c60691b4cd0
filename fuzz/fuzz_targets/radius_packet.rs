//! Arbitrary bytes as a RADIUS packet (`ispvm_pppoe::radius::packet`).
//!
//! - `decode` never panics; an accepted packet re-encodes to exactly the bytes its length field
//!   covers (the codec keeps every attribute as it came, so nothing is lost), and decoding the
//!   re-encoding gives the same packet.
//! - The authenticator checks (`verify_response`, `verify_request_message_authenticator`) and
//!   `sign_response` never panic on any input; a response signed by `sign_response` for the
//!   request authenticator verifies.
#![no_main]

use ispvm_pppoe::radius::RadiusSecret;
use ispvm_pppoe::radius::packet::{
    decode, sign_response, verify_request_message_authenticator, verify_response,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let secret = RadiusSecret::new("testing123").expect("valid secret");
    let request_auth = [0x5au8; 16];
    let _ = verify_request_message_authenticator(data, &secret);
    let _ = verify_response(data, data.get(1).copied().unwrap_or(0), &request_auth, &secret);
    let Ok(packet) = decode(data) else {
        return;
    };
    let length = usize::from(u16::from_be_bytes([data[2], data[3]]));
    let wire = packet.encode().expect("a decoded packet re-encodes");
    assert_eq!(wire.as_slice(), &data[..length]);
    assert_eq!(decode(&wire).expect("re-encoding decodes"), packet);

    // Signing then verifying agrees (the packet as a response to our request).
    let mut signed = wire.clone();
    sign_response(&mut signed, &request_auth, &secret);
    let again = verify_response(&signed, packet.identifier, &request_auth, &secret);
    // A packet whose Message-Authenticator attribute is malformed (not 16 bytes) is refused;
    // anything else must verify.
    if again.is_err() {
        let p = decode(&signed).expect("signed packet decodes");
        assert!(
            p.attributes.iter().any(|a| a.kind == 80 && a.value.len() != 16),
            "signed response did not verify: {again:?}"
        );
    }
});
