//! Property tests of the sans-I/O codec: round trips, arbitrary split points, no panics.

use crate::proto::word::{decode_len, encode_len};
use crate::proto::{
    Decoder, Limits, Query, QueryWord, Reply, Sentence, decode_sentence, eval_query,
};
use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;

fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 1..40),
        1 => proptest::collection::vec(any::<u8>(), 120..300),
    ]
}

fn sentence() -> impl Strategy<Value = Sentence> {
    proptest::collection::vec(word(), 1..12)
        .prop_map(|ws| Sentence::from_words(ws.into_iter().map(Bytes::from)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lengths_round_trip(len in prop_oneof![0u32..0x100, 0x3F00u32..0x4100, 0x1F_FF00u32..0x20_0100, 0xFFF_FF00u32..0x1000_0100, any::<u32>()]) {
        let mut out = Vec::new();
        encode_len(len, &mut out);
        prop_assert_eq!(decode_len(&out), Ok(Some((u64::from(len), out.len()))));
    }

    #[test]
    fn sentences_round_trip_through_any_split(sentences in proptest::collection::vec(sentence(), 1..5), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let mut wire = BytesMut::new();
        for s in &sentences {
            s.encode(&mut wire).unwrap();
        }
        let wire = wire.freeze();
        // Feed the stream in chunks cut at arbitrary points.
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        points.push(0);
        points.push(wire.len());
        points.sort_unstable();
        let mut dec = Decoder::new(Limits::default());
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for pair in points.windows(2) {
            buf.put_slice(&wire[pair[0]..pair[1]]);
            while let Some(s) = dec.decode(&mut buf).unwrap() {
                got.push(s);
            }
        }
        prop_assert_eq!(&got, &sentences);
        prop_assert!(buf.is_empty());
        // The slice decoder agrees.
        let (first, used) = decode_sentence(&wire, &Limits::default()).unwrap().unwrap();
        prop_assert_eq!(&first, &sentences[0]);
        prop_assert_eq!(used, sentences[0].encoded_len());
    }

    #[test]
    fn decoder_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let limits = Limits::default().with_max_word_len(256).with_max_words(16);
        let mut buf = BytesMut::from(&bytes[..]);
        let mut dec = Decoder::new(limits);
        while let Ok(Some(s)) = dec.decode(&mut buf) {
            let _ = Reply::parse(s);
        }
        let _ = decode_sentence(&bytes, &limits);
    }

    #[test]
    fn attribute_values_survive_any_bytes(name in "[a-z.-]{1,12}", value in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut w = b"=".to_vec();
        w.extend_from_slice(name.as_bytes());
        w.push(b'=');
        w.extend_from_slice(&value);
        let r = Reply::parse(Sentence::from_words([Bytes::from_static(b"!re"), Bytes::from(w)])).unwrap();
        let v = r.get(&name).unwrap();
        prop_assert_eq!(v.as_bytes(), &value[..]);
        prop_assert_eq!(v.is_utf8(), std::str::from_utf8(&value).is_ok());
    }

    #[test]
    fn query_builder_evaluates_like_boolean_logic(a in any::<bool>(), b in any::<bool>(), c in any::<bool>()) {
        // Properties p, q, r are present when a, b, c.
        let item = move |n: &str| match n {
            "p" if a => Some(&b"1"[..]),
            "q" if b => Some(&b"1"[..]),
            "r" if c => Some(&b"1"[..]),
            _ => None,
        };
        let q = Query::has("p").and(Query::has("q")).or(!Query::has("r"));
        let words: Vec<QueryWord> = q.words().iter().map(|w| QueryWord::parse(w).unwrap()).collect();
        prop_assert_eq!(eval_query(&words, item), Ok((a && b) || !c));
        let q = Query::has("p").or(Query::lacks("q")).and(Query::eq("r", "1"));
        let words: Vec<QueryWord> = q.words().iter().map(|w| QueryWord::parse(w).unwrap()).collect();
        prop_assert_eq!(eval_query(&words, item), Ok((a || !b) && c));
    }
}
