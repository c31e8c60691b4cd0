//! RouterOS value formats: durations, dates and versions.

use std::fmt;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Parses a RouterOS duration: `1w2d3h4m5s6ms` (units `w d h m s ms us ns`, any subset, in
/// that order), a clock form `HH:MM:SS` with optional fraction and optional `Nw`/`Nd` prefix
/// (`1d02:03:04`), or a bare number of seconds.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_routeros::adapter::parse_duration;
/// assert_eq!(parse_duration("1w2d3h4m5s6ms"), Some(Duration::from_millis(788_645_006)));
/// assert_eq!(parse_duration("1d02:03:04"), Some(Duration::from_secs(93_784)));
/// assert_eq!(parse_duration("00:00:01.5"), Some(Duration::from_millis(1500)));
/// assert_eq!(parse_duration("3m"), Some(Duration::from_secs(180)));
/// assert_eq!(parse_duration("soon"), None);
/// ```
#[must_use]
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    // Unit-suffixed parts, possibly followed by a clock part.
    const UNITS: [(&str, u64); 8] = [
        ("w", 604_800_000_000_000),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
    ];
    let order = |u: &str| match u {
        "w" => 0,
        "d" => 1,
        "h" => 2,
        "m" => 3,
        "s" => 4,
        "ms" => 5,
        "us" => 6,
        _ => 7,
    };
    let mut last = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let (num, after) = rest.split_at(digits);
        if after.starts_with(':') {
            total = total.checked_add(parse_clock(rest)?)?;
            return Some(total);
        }
        let n: u64 = num.parse().ok()?;
        let (unit, nanos) = UNITS.iter().find(|(u, _)| after.starts_with(u))?;
        let o = order(unit);
        if last.is_some_and(|l| l >= o) {
            return None;
        }
        last = Some(o);
        total = total.checked_add(Duration::from_nanos(n.checked_mul(*nanos)?))?;
        rest = &after[unit.len()..];
    }
    Some(total)
}

fn parse_clock(s: &str) -> Option<Duration> {
    let mut parts = s.split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec = parts.next()?;
    if parts.next().is_some() || m >= 60 {
        return None;
    }
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let whole: u64 = whole.parse().ok()?;
    if whole >= 60 || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let nanos = if frac.is_empty() {
        0
    } else {
        let v: u32 = frac.parse().ok()?;
        v * 10u32.pow(9 - u32::try_from(frac.len()).ok()?)
    };
    Some(Duration::new(
        h.checked_mul(3600)?.checked_add(m * 60 + whole)?,
        nanos,
    ))
}

/// Parses a RouterOS date or date-time, old style (`jun/26/2023`, `jun/26/2023 10:12:13`) or
/// ISO (`2023-06-26`, `2023-06-26 10:12:13`, `2023-06-26T10:12:13`). Times are the device's
/// local time (RouterOS does not say which zone).
///
/// # Examples
/// ```
/// use ispvm_routeros::adapter::parse_datetime;
/// let a = parse_datetime("jun/26/2023 10:12:13").unwrap();
/// let b = parse_datetime("2023-06-26 10:12:13").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(parse_datetime("Jun/26/2023").unwrap().to_string(), "2023-06-26 00:00:00");
/// assert!(parse_datetime("feb/30/2023").is_none());
/// ```
#[must_use]
pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim_end_matches('Z'))),
        None => (s, None),
    };
    let date = if date.contains('/') {
        let mut it = date.split('/');
        let mon = it.next()?.to_ascii_lowercase();
        let day: u32 = it.next()?.parse().ok()?;
        let year: i32 = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        const MONTHS: [&str; 12] = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        let m = MONTHS.iter().position(|&x| x == mon)?;
        NaiveDate::from_ymd_opt(year, u32::try_from(m).ok()? + 1, day)?
    } else {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?
    };
    let time = match time {
        None => NaiveTime::MIN,
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M:%S").ok()?,
    };
    Some(date.and_time(time))
}

/// A RouterOS version such as `7.18.2 (stable)` or `6.49.10 (long-term)`.
///
/// # Examples
/// ```
/// use ispvm_routeros::adapter::RouterOsVersion;
/// let v: RouterOsVersion = "7.18.2 (stable)".parse().unwrap();
/// assert_eq!((v.major, v.minor, v.patch), (7, 18, 2));
/// assert!(v.has_empty_reply());
/// let old: RouterOsVersion = "6.42".parse().unwrap();
/// assert!(!old.has_plain_login());
/// assert!("7.19beta2".parse::<RouterOsVersion>().unwrap() > v);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct RouterOsVersion {
    /// Major (6 or 7).
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch (0 when absent).
    pub patch: u32,
}

impl RouterOsVersion {
    /// A version.
    #[must_use]
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
    /// RouterOS 6.43 introduced the plain-text login.
    #[must_use]
    pub fn has_plain_login(&self) -> bool {
        *self >= Self::new(6, 43, 0)
    }
    /// RouterOS 7.18 introduced the `!empty` reply.
    #[must_use]
    pub fn has_empty_reply(&self) -> bool {
        *self >= Self::new(7, 18, 0)
    }
    /// RouterOS 7 moved BGP to `/routing/bgp/session` and `/routing/bgp/connection`.
    #[must_use]
    pub fn is_v7(&self) -> bool {
        self.major >= 7
    }
}

impl fmt::Display for RouterOsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a RouterOS version: {:?}", ispvm_model::quote::bounded(.0))]
pub struct VersionError(pub String);

impl std::str::FromStr for RouterOsVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError(s.to_owned());
        let head = s.split_whitespace().next().ok_or_else(err)?;
        let mut nums = head.split('.').map(|p| {
            let d: String = p.chars().take_while(char::is_ascii_digit).collect();
            d.parse::<u32>().ok()
        });
        let major = nums.next().flatten().ok_or_else(err)?;
        let minor = nums.next().flatten().ok_or_else(err)?;
        let patch = nums.next().flatten().unwrap_or(0);
        Ok(Self::new(major, minor, patch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations() {
        let d = |s| parse_duration(s).map(|d| d.as_nanos());
        assert_eq!(d("0s"), Some(0));
        assert_eq!(d("1w"), Some(604_800 * 1_000_000_000));
        assert_eq!(d("5s6ms"), Some(5_006_000_000));
        assert_eq!(d("10us"), Some(10_000));
        assert_eq!(d("2w1d00:00:01"), Some((15 * 86_400 + 1) * 1_000_000_000));
        assert_eq!(d("4m5s"), Some(245_000_000_000));
        assert_eq!(d("5s4m"), None, "units out of order");
        assert_eq!(d("1x"), None);
        assert_eq!(d(""), None);
        assert_eq!(d("00:61:00"), None);
        assert_eq!(d("99999999999999999999w"), None);
        assert_eq!(d("1d"), Some(86_400_000_000_000));
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_datetime("2023-06-26T10:12:13Z").unwrap().to_string(),
            "2023-06-26 10:12:13"
        );
        assert!(parse_datetime("jux/26/2023").is_none());
        assert!(parse_datetime("jun/26").is_none());
        assert!(parse_datetime("2023-13-01").is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn unit_durations_round_trip(w in 0u64..10, d in 0u64..7, h in 0u64..24, m in 0u64..60, s in 0u64..60, ms in 0u64..1000) {
            let mut text = String::new();
            for (n, u) in [(w, "w"), (d, "d"), (h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
                if n > 0 { text.push_str(&format!("{n}{u}")); }
            }
            if text.is_empty() { text.push_str("0s"); }
            let expect = Duration::from_millis(((((w * 7 + d) * 24 + h) * 60 + m) * 60 + s) * 1000 + ms);
            prop_assert_eq!(parse_duration(&text), Some(expect));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_duration(&s);
            let _ = parse_datetime(&s);
            let _ = s.parse::<RouterOsVersion>();
        }
    }
}
