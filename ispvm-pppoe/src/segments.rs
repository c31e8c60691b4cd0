//! Segments: session counts per plan or PPP profile, without subscriber ids.
//!
//! Phase 2 of the impact model: "3150 subscribers lost" becomes "2900 on 10M, 250 business".
//! A [`SegmentCounts`] is only numbers per [`PlanName`]; nothing in it identifies a subscriber.

use ispvm_model::names;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ispvm_model::{EntityId, EntityKind, Sample, SampleValue};
use serde::{Deserialize, Serialize};

use crate::session::{PlanName, SessionSnapshot};

impl SessionSnapshot {
    /// Active sessions per plan; sessions without a known plan are counted in
    /// [`SegmentCounts::unassigned`].
    #[must_use]
    pub fn segments(&self) -> SegmentCounts {
        let mut by_plan: BTreeMap<PlanName, u64> = BTreeMap::new();
        let mut unassigned = 0u64;
        for s in self.sessions() {
            match &s.plan {
                Some(p) => *by_plan.entry(p.clone()).or_insert(0) += 1,
                None => unassigned += 1,
            }
        }
        SegmentCounts {
            by_plan,
            unassigned,
        }
    }
}

/// Active sessions per plan at one time.
///
/// # Examples
/// ```
/// use ispvm_pppoe::segments::SegmentCounts;
/// let before = SegmentCounts::from_counts([("10M", 2000), ("business", 300)])?;
/// let after = SegmentCounts::from_counts([("10M", 100), ("business", 290)])?;
/// let lost = before.lost_since(&after);
/// assert_eq!(lost.get(&"10M".parse()?), 1900);
/// assert_eq!(lost.get(&"business".parse()?), 10);
/// assert_eq!(lost.total(), 1910);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SegmentCounts {
    by_plan: BTreeMap<PlanName, u64>,
    unassigned: u64,
}

impl SegmentCounts {
    /// Counts from `(plan, sessions)` pairs (a repeated plan adds up).
    ///
    /// # Errors
    /// [`SessionError`](crate::session::SessionError) when a plan name is invalid.
    pub fn from_counts<'a>(
        counts: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<Self, crate::session::SessionError> {
        let mut by_plan = BTreeMap::new();
        for (plan, n) in counts {
            let e: &mut u64 = by_plan.entry(PlanName::new(plan)?).or_insert(0);
            *e = e.saturating_add(n);
        }
        Ok(Self {
            by_plan,
            unassigned: 0,
        })
    }

    /// Sessions on `plan` (0 when absent).
    #[must_use]
    pub fn get(&self, plan: &PlanName) -> u64 {
        self.by_plan.get(plan).copied().unwrap_or(0)
    }

    /// Sessions whose plan is unknown.
    #[must_use]
    pub fn unassigned(&self) -> u64 {
        self.unassigned
    }

    /// All sessions.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.by_plan
            .values()
            .fold(self.unassigned, |a, &b| a.saturating_add(b))
    }

    /// `(plan, sessions)` in plan order.
    pub fn iter(&self) -> impl Iterator<Item = (&PlanName, u64)> {
        self.by_plan.iter().map(|(p, &n)| (p, n))
    }

    /// Sessions lost per plan between `self` (before) and `later` (after): `before - after`
    /// where positive, plans that grew count 0.
    #[must_use]
    pub fn lost_since(&self, later: &SegmentCounts) -> SegmentCounts {
        let by_plan = self
            .by_plan
            .iter()
            .filter_map(|(p, &n)| {
                let lost = n.saturating_sub(later.get(p));
                (lost > 0).then(|| (p.clone(), lost))
            })
            .collect();
        SegmentCounts {
            by_plan,
            unassigned: self.unassigned.saturating_sub(later.unassigned),
        }
    }

    /// One `pppoe.sessions.by_profile` sample per plan (label `profile`); unassigned sessions are
    /// not emitted (they are in `pppoe.sessions.active`).
    #[must_use]
    pub fn to_samples(&self, concentrator: &EntityId, at: DateTime<Utc>) -> Vec<Sample> {
        self.iter()
            .map(|(plan, n)| {
                #[allow(clippy::cast_precision_loss)]
                let v = n as f64;
                Sample::new(
                    at,
                    names::PPPOE_SESSIONS_BY_PROFILE,
                    EntityKind::PppoeConcentrator,
                    concentrator.clone(),
                    SampleValue::Num(v),
                    "1",
                    crate::SOURCE,
                )
                .with_label("profile", plan.as_str())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_ignores_growth_and_new_plans() {
        let before = SegmentCounts::from_counts([("10M", 10), ("50M", 5)]).unwrap();
        let after = SegmentCounts::from_counts([("10M", 12), ("50M", 1), ("new", 7)]).unwrap();
        let lost = before.lost_since(&after);
        assert_eq!(lost.iter().collect::<Vec<_>>().len(), 1);
        assert_eq!(lost.get(&"50M".parse().unwrap()), 4);
        assert_eq!(lost.total(), 4);
    }

    #[test]
    fn samples_conform_to_registry() {
        let c = SegmentCounts::from_counts([("10M", 10), ("business", 5)]).unwrap();
        let samples = c.to_samples(
            &"bras1".parse().unwrap(),
            "2026-01-01T00:00:00Z".parse().unwrap(),
        );
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[1].labels["profile"], "business");
        assert_eq!(samples[1].as_f64(), Some(5.0));
        assert!(ispvm_schemas::conformance::check_samples(&samples).is_empty());
    }
}
