//! The outbox: every webhook notification is written here before its first delivery attempt
//! and removed once the receiver accepted it.
//!
//! Backed by the store ([`ispvm_store::Store`], table `notification_outbox`) when the agent has
//! one, so notifications survive a restart; else bounded in memory: when full, the oldest
//! waiting notification is dropped and counted ([`Enqueued::Overflowed`], metric
//! `ispvm_notifications_total{sink="webhook",result="dropped"}`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use ispvm_store::{OutboxEntry, Store, StoreError};

/// Default capacity of the in-memory outbox (notifications, all sinks together).
pub const DEFAULT_MEMORY_CAPACITY: usize = 10_000;

/// What [`Outbox::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enqueued {
    /// Added.
    Added,
    /// A notification with the same key already waits for this sink: nothing changed.
    Duplicate,
    /// Added, and the in-memory outbox was full: its oldest notification was dropped.
    Overflowed,
}

/// Where notifications wait.
#[derive(Debug, Clone)]
pub struct Outbox(Inner);

#[derive(Debug, Clone)]
enum Inner {
    Memory(Arc<Mutex<Memory>>),
    Store(Store),
}

#[derive(Debug)]
struct Memory {
    capacity: usize,
    next_id: i64,
    entries: VecDeque<OutboxEntry>,
}

/// An outbox failure (the store's; the in-memory outbox does not fail).
#[derive(Debug, thiserror::Error)]
#[error("outbox: {0}")]
pub struct OutboxError(#[from] pub StoreError);

impl OutboxError {
    /// Whether trying again later may succeed (the database is unreachable or busy).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.0.is_retryable()
    }
}

impl Outbox {
    /// A bounded in-memory outbox holding at most `capacity` notifications (at least 1).
    #[must_use]
    pub fn memory(capacity: usize) -> Self {
        Self(Inner::Memory(Arc::new(Mutex::new(Memory {
            capacity: capacity.max(1),
            next_id: 1,
            entries: VecDeque::new(),
        }))))
    }

    /// An outbox in the store: notifications survive a restart of the agent.
    #[must_use]
    pub fn store(store: Store) -> Self {
        Self(Inner::Store(store))
    }

    /// Whether notifications survive a restart.
    #[must_use]
    pub fn is_durable(&self) -> bool {
        matches!(self.0, Inner::Store(_))
    }

    /// Adds a notification for `sink`, due at `now`.
    ///
    /// # Errors
    /// [`OutboxError`] from the store.
    pub async fn enqueue(
        &self,
        sink: &str,
        key: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> Result<Enqueued, OutboxError> {
        match &self.0 {
            Inner::Store(s) => Ok(if s.enqueue_notification(sink, key, payload, now).await? {
                Enqueued::Added
            } else {
                Enqueued::Duplicate
            }),
            Inner::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if m.entries.iter().any(|e| e.sink == sink && e.key == key) {
                    return Ok(Enqueued::Duplicate);
                }
                let mut result = Enqueued::Added;
                if m.entries.len() >= m.capacity {
                    m.entries.pop_front();
                    result = Enqueued::Overflowed;
                }
                let id = m.next_id;
                m.next_id += 1;
                m.entries.push_back(OutboxEntry::new(
                    id,
                    sink.to_owned(),
                    key.to_owned(),
                    payload.to_owned(),
                    now,
                ));
                Ok(result)
            }
        }
    }

    /// The notifications of `sink` due at `now`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`OutboxError`] from the store.
    pub async fn due(
        &self,
        sink: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, OutboxError> {
        match &self.0 {
            Inner::Store(s) => Ok(s.due_notifications(sink, now, limit).await?),
            Inner::Memory(m) => {
                let m = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                Ok(m.entries
                    .iter()
                    .filter(|e| e.sink == sink && e.next_attempt_at <= now)
                    .take(usize::try_from(limit).unwrap_or(usize::MAX))
                    .cloned()
                    .collect())
            }
        }
    }

    /// How many notifications wait for `sink`.
    ///
    /// # Errors
    /// [`OutboxError`] from the store.
    pub async fn pending(&self, sink: &str) -> Result<u64, OutboxError> {
        match &self.0 {
            Inner::Store(s) => Ok(s.pending_notifications(sink).await?),
            Inner::Memory(m) => {
                let m = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                Ok(m.entries.iter().filter(|e| e.sink == sink).count() as u64)
            }
        }
    }

    /// Removes a delivered notification.
    ///
    /// # Errors
    /// [`OutboxError`] from the store.
    pub async fn ack(&self, id: i64) -> Result<(), OutboxError> {
        match &self.0 {
            Inner::Store(s) => Ok(s.ack_notification(id).await?),
            Inner::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                m.entries.retain(|e| e.id != id);
                Ok(())
            }
        }
    }

    /// Records a failed attempt; the next one is not before `next`.
    ///
    /// # Errors
    /// [`OutboxError`] from the store.
    pub async fn retry(
        &self,
        id: i64,
        next: DateTime<Utc>,
        error: &str,
    ) -> Result<(), OutboxError> {
        match &self.0 {
            Inner::Store(s) => Ok(s.retry_notification(id, next, error).await?),
            Inner::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(e) = m.entries.iter_mut().find(|e| e.id == id) {
                    e.attempts = e.attempts.saturating_add(1);
                    e.next_attempt_at = next;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn memory_outbox_dedups_orders_retries_and_drops_the_oldest_when_full() {
        let o = Outbox::memory(2);
        let at = t("2026-03-14T09:05:00Z");
        assert_eq!(
            o.enqueue("h", "k1", "1", at).await.unwrap(),
            Enqueued::Added
        );
        assert_eq!(
            o.enqueue("h", "k1", "1", at).await.unwrap(),
            Enqueued::Duplicate
        );
        assert_eq!(
            o.enqueue("h", "k2", "2", at).await.unwrap(),
            Enqueued::Added
        );
        assert_eq!(
            o.enqueue("h", "k3", "3", at).await.unwrap(),
            Enqueued::Overflowed
        );
        let due = o.due("h", at, 10).await.unwrap();
        assert_eq!(
            due.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            vec!["k2", "k3"]
        );
        let later = at + chrono::TimeDelta::seconds(5);
        o.retry(due[0].id, later, "refused").await.unwrap();
        let due_now = o.due("h", at, 10).await.unwrap();
        assert_eq!(
            due_now.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            vec!["k3"]
        );
        let due_later = o.due("h", later, 10).await.unwrap();
        assert_eq!(due_later[0].attempts, 1);
        o.ack(due_later[0].id).await.unwrap();
        assert_eq!(o.pending("h").await.unwrap(), 1);
        assert_eq!(o.pending("other").await.unwrap(), 0);
        assert!(!o.is_durable());
    }
}
