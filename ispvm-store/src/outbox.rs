//! The notification outbox: notifications written before their first delivery attempt and
//! deleted once a receiver accepted them, so that nothing is lost when a receiver is down or
//! the agent restarts (`ispvm-notify` drives it; at-least-once delivery).

use chrono::{DateTime, Utc};

use crate::store::{begin_write, from_micros, micros, on_pool};
use crate::{Store, StoreError};

/// One notification waiting for delivery to one sink.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboxEntry {
    /// Its row id (increasing in enqueue order).
    pub id: i64,
    /// The sink it goes to (a webhook URL, or any name the caller gives a destination).
    pub sink: String,
    /// The notification's idempotency key (unique per sink).
    pub key: String,
    /// The body to deliver (JSON text).
    pub payload: String,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// The earliest time of the next attempt.
    pub next_attempt_at: DateTime<Utc>,
}

impl OutboxEntry {
    /// A new entry, due at `created_at`, never attempted (for outboxes kept elsewhere, such as
    /// `ispvm-notify`'s in-memory one).
    #[must_use]
    pub fn new(
        id: i64,
        sink: String,
        key: String,
        payload: String,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            sink,
            key,
            payload,
            created_at,
            attempts: 0,
            next_attempt_at: created_at,
        }
    }
}

type Row = (i64, String, String, String, i64, i64, i64);

fn entry(
    (id, sink, key, payload, created_at, attempts, next): Row,
) -> Result<OutboxEntry, StoreError> {
    Ok(OutboxEntry {
        id,
        sink,
        key,
        payload,
        created_at: from_micros(created_at)?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::corrupt(format!("outbox attempts {attempts}")))?,
        next_attempt_at: from_micros(next)?,
    })
}

impl Store {
    /// Enqueues a notification for `sink`, due at `at`. Returns `false` (and changes nothing)
    /// when a notification with the same key is already waiting for this sink.
    ///
    /// # Errors
    /// Database errors.
    ///
    /// # Examples
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = ispvm_store::Store::open_data_dir(dir.path()).await?;
    /// let at = "2026-03-14T09:05:00Z".parse()?;
    /// assert!(store.enqueue_notification("https://hooks.example/ispvm", "k1", "{}", at).await?);
    /// assert!(!store.enqueue_notification("https://hooks.example/ispvm", "k1", "{}", at).await?);
    /// let due = store.due_notifications("https://hooks.example/ispvm", at, 10).await?;
    /// assert_eq!(due.len(), 1);
    /// store.ack_notification(due[0].id).await?;
    /// assert!(store.due_notifications("https://hooks.example/ispvm", at, 10).await?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn enqueue_notification(
        &self,
        sink: &str,
        key: &str,
        payload: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let at = micros(at);
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            let done = sqlx::query(
                "INSERT INTO notification_outbox (sink, idempotency_key, payload, created_at, attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, 0, $4) ON CONFLICT (sink, idempotency_key) DO NOTHING")
                .bind(sink).bind(key).bind(payload).bind(at)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// The notifications of `sink` due at `now` (next attempt not after it), oldest first, at
    /// most `limit`.
    ///
    /// # Errors
    /// Database errors; [`StoreError::Corrupt`] when a row does not decode.
    pub async fn due_notifications(
        &self,
        sink: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, sink, idempotency_key, payload, created_at, CAST(attempts AS BIGINT), next_attempt_at \
             FROM notification_outbox WHERE sink = $1 AND next_attempt_at <= $2 ORDER BY id LIMIT $3")
            .bind(sink).bind(micros(now)).bind(i64::from(limit)).fetch_all(p).await?);
        rows.into_iter().map(entry).collect()
    }

    /// How many notifications wait for `sink` (due or not).
    ///
    /// # Errors
    /// Database errors.
    pub async fn pending_notifications(&self, sink: &str) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM notification_outbox WHERE sink = $1")
            .bind(sink).fetch_one(p).await?);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Removes a delivered notification (no error when it is already gone).
    ///
    /// # Errors
    /// Database errors.
    pub async fn ack_notification(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            sqlx::query("DELETE FROM notification_outbox WHERE id = $1")
                .bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records a failed attempt: one more attempt, the next one not before `next_attempt_at`,
    /// and why it failed (one line, never a secret).
    ///
    /// # Errors
    /// Database errors.
    pub async fn retry_notification(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(500).collect();
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            sqlx::query("UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1")
                .bind(id).bind(micros(next_attempt_at)).bind(&error).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
