//! The notifier: the tasks around the pure [`AlertPlanner`].
//!
//! ```text
//! submit(analysis, context) ──mpsc──> planner task ── AlertPlanner::observe / tick
//!                                        │ alerts ──POST /api/v2/alerts──> every Alertmanager
//!                                        │ notifications ──enqueue──> Outbox (store | memory)
//!                                        ▼ wake
//!                                 one delivery task per webhook: due ─sign, POST─> ack | retry+backoff
//! ```

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ispvm_schemas::analysis::AnalysisDocument;
use rand::Rng;
use tokio::sync::{Notify, mpsc, watch};

use crate::alert::Alert;
use crate::backoff::Backoff;
use crate::outbox::{DEFAULT_MEMORY_CAPACITY, Enqueued, Outbox};
use crate::planner::{AlertPlanner, Context, PlannerConfig};
use crate::sink::{self, DeliveryError, Webhook};

/// Counts one notification outcome: `(sink, result)` with sink `alertmanager` or `webhook`
/// and result `ok`, `error` (retried), `rejected` (refused for good) or `dropped` (the
/// in-memory outbox overflowed). The agent maps it to `ispvm_notifications_total`.
pub type CountHook = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// The `sink` label of Alertmanager posts.
pub const SINK_ALERTMANAGER: &str = "alertmanager";
/// The `sink` label of webhook deliveries.
pub const SINK_WEBHOOK: &str = "webhook";

/// Ended alerts kept per Alertmanager while it is unreachable, to post once it is back.
const MAX_PENDING_ENDED: usize = 10_000;

/// What a [`Notifier`] sends where.
#[derive(Clone)]
#[non_exhaustive]
pub struct NotifierConfig {
    /// Alertmanager base URLs; every alert goes to each.
    pub alertmanagers: Vec<String>,
    /// Webhooks; every notification goes to each.
    pub webhooks: Vec<Webhook>,
    /// Resend interval and redundancy alerts.
    pub planner: PlannerConfig,
    /// Where webhook notifications wait (default: in memory, 10 000).
    pub outbox: Outbox,
    /// Retry delays of webhook deliveries.
    pub backoff: Backoff,
    /// How often the delivery tasks look for due notifications when not woken (default 1 s).
    pub poll: Duration,
    /// Outcome counter (metrics).
    pub count: Option<CountHook>,
}

impl std::fmt::Debug for NotifierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifierConfig")
            .field("alertmanagers", &self.alertmanagers)
            .field(
                "webhooks",
                &self.webhooks.iter().map(|w| &w.url).collect::<Vec<_>>(),
            )
            .field("planner", &self.planner)
            .field("outbox_durable", &self.outbox.is_durable())
            .finish_non_exhaustive()
    }
}

impl Default for NotifierConfig {
    fn default() -> Self {
        Self {
            alertmanagers: Vec::new(),
            webhooks: Vec::new(),
            planner: PlannerConfig::default(),
            outbox: Outbox::memory(DEFAULT_MEMORY_CAPACITY),
            backoff: Backoff::default(),
            poll: Duration::from_secs(1),
            count: None,
        }
    }
}

impl NotifierConfig {
    /// Adds an Alertmanager base URL.
    #[must_use]
    pub fn alertmanager(mut self, base: impl Into<String>) -> Self {
        self.alertmanagers.push(base.into());
        self
    }
    /// Adds a webhook.
    #[must_use]
    pub fn webhook(mut self, webhook: Webhook) -> Self {
        self.webhooks.push(webhook);
        self
    }
    /// Sets the planner configuration.
    #[must_use]
    pub fn planner(mut self, planner: PlannerConfig) -> Self {
        self.planner = planner;
        self
    }
    /// Sets the outbox.
    #[must_use]
    pub fn outbox(mut self, outbox: Outbox) -> Self {
        self.outbox = outbox;
        self
    }
    /// Sets the retry delays.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
    /// Sets the delivery poll interval (at least 10 ms).
    #[must_use]
    pub fn poll(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(10));
        self
    }
    /// Sets the outcome counter.
    #[must_use]
    pub fn count(mut self, count: CountHook) -> Self {
        self.count = Some(count);
        self
    }
}

/// Why a notifier did not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// A URL that is not `http://` or `https://`.
    #[error("not an http(s) URL: {0}")]
    BadUrl(String),
    /// The HTTP client could not be built.
    #[error("{0}")]
    Client(String),
}

enum Msg {
    Analysis(Arc<AnalysisDocument>, Context),
}

/// A running notifier. Dropping it leaves its tasks running until [`Notifier::shutdown`].
#[derive(Debug)]
pub struct Notifier {
    tx: mpsc::Sender<Msg>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn check_url(u: &str) -> Result<(), NotifyError> {
    if u.starts_with("http://") || u.starts_with("https://") {
        Ok(())
    } else {
        Err(NotifyError::BadUrl(u.chars().take(200).collect()))
    }
}

impl Notifier {
    /// Starts the planner task and one delivery task per webhook (needs a tokio runtime).
    ///
    /// # Errors
    /// [`NotifyError`] for a bad URL or when the HTTP client cannot be built.
    pub fn spawn(config: NotifierConfig) -> Result<Self, NotifyError> {
        for u in &config.alertmanagers {
            check_url(u)?;
        }
        for w in &config.webhooks {
            check_url(&w.url)?;
        }
        let client = sink::client().map_err(NotifyError::Client)?;
        let (tx, rx) = mpsc::channel(64);
        let (stop, stop_rx) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let mut tasks = Vec::new();
        for w in &config.webhooks {
            tasks.push(tokio::spawn(deliver_loop(
                w.clone(),
                client.clone(),
                config.clone(),
                wake.clone(),
                stop_rx.clone(),
            )));
        }
        tasks.push(tokio::spawn(plan_loop(config, client, rx, wake, stop_rx)));
        Ok(Self { tx, stop, tasks })
    }

    /// Hands an analysis to the planner (waits when 64 are already queued).
    pub async fn submit(&self, analysis: Arc<AnalysisDocument>, context: Context) {
        let _ = self.tx.send(Msg::Analysis(analysis, context)).await;
    }

    /// Stops the tasks (an in-flight request is abandoned; what waits in a store outbox is
    /// delivered after the next start).
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn count(config: &NotifierConfig, sink: &str, result: &str) {
    if let Some(c) = &config.count {
        c(sink, result);
    }
}

struct AmTarget {
    base: String,
    pending_ended: Vec<Alert>,
}

async fn post_all(
    config: &NotifierConfig,
    client: &reqwest::Client,
    targets: &mut [AmTarget],
    alerts: &[Alert],
) {
    let now = Utc::now();
    let posts = targets.iter_mut().map(|t| async move {
        let mut body = std::mem::take(&mut t.pending_ended);
        body.extend_from_slice(alerts);
        let r = sink::post_alerts(client, &t.base, &body).await;
        if r.as_ref().is_err_and(DeliveryError::is_retryable) {
            // Firing alerts come back with the next resend; ended ones are kept until posted.
            // (A post refused for good is not repeated: it would fail every later post too.)
            t.pending_ended = body.into_iter().filter(|a| a.is_resolved_at(now)).collect();
            let excess = t.pending_ended.len().saturating_sub(MAX_PENDING_ENDED);
            t.pending_ended.drain(..excess);
        }
        (t.base.clone(), r)
    });
    for (base, r) in futures::future::join_all(posts).await {
        match r {
            Ok(()) => count(config, SINK_ALERTMANAGER, "ok"),
            Err(e) => {
                tracing::warn!(alertmanager = %base, error = %e, "alert post failed; retried with the next resend");
                count(
                    config,
                    SINK_ALERTMANAGER,
                    if e.is_retryable() {
                        "error"
                    } else {
                        "rejected"
                    },
                );
            }
        }
    }
}

async fn plan_loop(
    config: NotifierConfig,
    client: reqwest::Client,
    mut rx: mpsc::Receiver<Msg>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut planner = AlertPlanner::new(config.planner);
    let mut targets: Vec<AmTarget> = config
        .alertmanagers
        .iter()
        .map(|b| AmTarget {
            base: b.clone(),
            pending_ended: Vec::new(),
        })
        .collect();
    let period = config
        .planner
        .resend
        .to_std()
        .unwrap_or(Duration::from_secs(60))
        .min(Duration::from_secs(1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Notifications whose enqueue failed (store unreachable), tried again on the next tick.
    let mut unqueued: Vec<(String, String, String)> = Vec::new();
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(Msg::Analysis(doc, ctx)) = msg else { break };
                let plan = planner.observe(&doc, &ctx);
                if !plan.alerts.is_empty() && !targets.is_empty() {
                    post_all(&config, &client, &mut targets, &plan.alerts).await;
                }
                for n in &plan.notifications {
                    let Ok(payload) = serde_json::to_string(n) else { continue };
                    for w in &config.webhooks {
                        unqueued.push((w.url.clone(), n.key.clone(), payload.clone()));
                    }
                }
            }
            _ = tick.tick() => {
                if let Some(alerts) = planner.tick(Utc::now()) {
                    if !targets.is_empty() {
                        post_all(&config, &client, &mut targets, &alerts).await;
                    }
                }
            }
            _ = stop.changed() => break,
        }
        if !unqueued.is_empty() {
            let now = Utc::now();
            let mut failed = Vec::new();
            for (url, key, payload) in unqueued.drain(..) {
                match config.outbox.enqueue(&url, &key, &payload, now).await {
                    Ok(Enqueued::Overflowed) => {
                        tracing::warn!(
                            "in-memory notification outbox full: the oldest notification was dropped"
                        );
                        count(&config, SINK_WEBHOOK, "dropped");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot enqueue a notification; trying again");
                        failed.push((url, key, payload));
                    }
                }
            }
            let excess = failed.len().saturating_sub(DEFAULT_MEMORY_CAPACITY);
            if excess > 0 {
                failed.drain(..excess);
                for _ in 0..excess {
                    count(&config, SINK_WEBHOOK, "dropped");
                }
            }
            unqueued = failed;
            wake.notify_waiters();
        }
    }
}

async fn deliver_loop(
    hook: Webhook,
    client: reqwest::Client,
    config: NotifierConfig,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let woken = wake.notified();
        let now = Utc::now();
        match config.outbox.due(&hook.url, now, 32).await {
            Ok(due) => {
                for e in due {
                    match hook.deliver(&client, &e, Utc::now().timestamp()).await {
                        Ok(()) => {
                            count(&config, SINK_WEBHOOK, "ok");
                            if let Err(err) = config.outbox.ack(e.id).await {
                                tracing::warn!(error = %err, "cannot remove a delivered notification");
                            }
                        }
                        Err(err) if err.is_retryable() => {
                            count(&config, SINK_WEBHOOK, "error");
                            let unit: f64 = rand::thread_rng().r#gen();
                            let delay = config.backoff.delay(e.attempts.saturating_add(1), unit);
                            let next = Utc::now()
                                + chrono::TimeDelta::from_std(delay)
                                    .unwrap_or(chrono::TimeDelta::seconds(300));
                            tracing::debug!(webhook = %hook.url, error = %err, ?delay, "webhook delivery failed; retrying");
                            let _ = config.outbox.retry(e.id, next, &err.to_string()).await;
                            break;
                        }
                        Err(err) => {
                            count(&config, SINK_WEBHOOK, "rejected");
                            tracing::warn!(webhook = %hook.url, error = %err, key = %e.key, "webhook refused a notification for good; dropped");
                            let _ = config.outbox.ack(e.id).await;
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot read the notification outbox"),
        }
        tokio::select! {
            () = woken => {}
            () = tokio::time::sleep(config.poll) => {}
            _ = stop.changed() => break,
        }
    }
}
