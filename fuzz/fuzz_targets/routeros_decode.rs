//! Arbitrary bytes as a RouterOS API stream (`ispvm_routeros::proto`).
//!
//! - The one-shot decoder (`decode_sentence`) and the incremental one (`Decoder`, fed in two
//!   pieces split at a point chosen by the input) agree on every sentence and on the error.
//! - Every accepted sentence re-encodes, and decoding the re-encoding gives the same words;
//!   when the input used minimal length prefixes, the bytes are identical too.
//! - Reply and query parsing of accepted sentences never panics.
#![no_main]

use bytes::BytesMut;
use ispvm_routeros::proto::{Decoder, Limits, QueryWord, Reply, Sentence, decode_sentence};
use libfuzzer_sys::fuzz_target;

/// Small limits so the limit paths are reached with small inputs.
fn limits() -> Limits {
    Limits::default()
        .with_max_word_len(32 * 1024)
        .with_max_sentence_len(64 * 1024)
        .with_max_words(256)
}

fn check_sentence(sentence: &Sentence, original: &[u8]) {
    let encoded = sentence.to_bytes().expect("a decoded sentence re-encodes");
    assert_eq!(encoded.len(), sentence.encoded_len());
    let (again, used) = decode_sentence(&encoded, &limits())
        .expect("re-encoding decodes")
        .expect("re-encoding is whole");
    assert_eq!(used, encoded.len());
    assert_eq!(&again, sentence);
    // Minimal prefixes everywhere (what the encoder writes).
    let minimal = sentence.encoded_len();
    if original.len() == minimal {
        assert_eq!(
            &encoded[..],
            original,
            "minimal prefixes re-encode byte for byte"
        );
    }
    if let Ok(reply) = Reply::parse(sentence.clone()) {
        let _ = reply.tag();
        let _ = reply.trap();
        let _ = reply.ret();
        let _ = reply.fatal_reason();
        let _ = reply.has_non_utf8();
        for (name, value) in reply.attributes() {
            let _ = name.to_str_lossy();
            let _ = value.as_bool();
            let _ = value.parse::<u64>();
        }
    }
    for word in sentence.words() {
        let _ = QueryWord::parse(word);
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = limits();
    // One shot, sentence after sentence.
    let mut one_shot = Vec::new();
    let mut rest = data;
    let one_shot_err = loop {
        match decode_sentence(rest, &limits) {
            Ok(Some((sentence, used))) => {
                assert!(used > 0 && used <= rest.len());
                // Skip leading empty sentences (lone zero bytes) to find this sentence's bytes.
                let bytes = &rest[..used];
                let start = bytes.iter().take_while(|b| **b == 0).count();
                check_sentence(&sentence, &bytes[start..]);
                one_shot.push(sentence);
                rest = &rest[used..];
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    // Incremental, in two pieces.
    let cut = data
        .first()
        .map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::from(&data[..cut]);
    let mut incremental = Vec::new();
    let mut incremental_err = None;
    'feed: for piece in [&data[cut..], &[][..]] {
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(s)) => incremental.push(s),
                Ok(None) => break,
                Err(e) => {
                    incremental_err = Some(e);
                    break 'feed;
                }
            }
        }
        buf.extend_from_slice(piece);
    }
    assert_eq!(incremental, one_shot);
    assert_eq!(incremental_err, one_shot_err);
});
