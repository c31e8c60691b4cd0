//! Notifications: the `[outputs]` of the configuration (Alertmanager, signed webhooks) fed by
//! every tenant's analyses.
//!
//! ```text
//! tenant task ── broadcast (changed analyses) ──> one subscriber task per tenant
//!        ──> ispvm_notify::Notifier (planner, Alertmanager posts, webhook outbox)
//! ```
//! Each analysis goes with its context: the sites of the tenant's topology, and the entities
//! under an operator's silence (an incident whose causes are all silenced is muted).
//! A scanner adds a subscriber for every tenant that appears (after a reload too). A subscriber
//! that lags behind its broadcast submits the tenant's latest analysis instead: the planner
//! works from states, so a skipped intermediate analysis loses no alert.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use ispvm_http::{Backend, WindowKind};
use ispvm_model::TenantId;
use ispvm_notify::outbox::{DEFAULT_MEMORY_CAPACITY, Outbox};
use ispvm_notify::sink::Webhook;
use ispvm_notify::{Context, Notifier, NotifierConfig, PlannerConfig};
use tokio::sync::{broadcast, watch};

use crate::agent::{Agent, ServiceError};
use crate::config::Config;
use crate::tenant::TenantHandle;

/// What the agent notifies, from `[outputs]` and `--alertmanager`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NotifyOptions {
    /// The notifier's configuration (sinks, resend, outbox).
    pub notifier: NotifierConfig,
}

impl NotifyOptions {
    /// The outputs of a configuration (if any) plus extra Alertmanager URLs from the command
    /// line; `None` when no sink is configured. The outbox is in memory; an agent with a
    /// store passes [`Outbox::store`] to [`NotifyOptions::with_outbox`].
    ///
    /// # Errors
    /// [`ServiceError::Runtime`] for a command-line URL that is not http(s), or a webhook
    /// secret that can no longer be read (the configuration's own URLs and secrets were
    /// checked by [`Config::load`]).
    pub fn from_config(
        config: Option<&Config>,
        alertmanagers: &[String],
    ) -> Result<Option<Self>, ServiceError> {
        let mut n = NotifierConfig::default().outbox(Outbox::memory(DEFAULT_MEMORY_CAPACITY));
        let mut planner = PlannerConfig::default();
        if let Some(c) = config {
            let o = &c.outputs;
            for u in &o.alertmanager {
                n = n.alertmanager(u.get_ref().clone());
            }
            if let Some(r) = &o.resend_seconds {
                planner = planner.resend(TimeDelta::seconds(
                    i64::try_from(*r.get_ref()).unwrap_or(60),
                ));
            }
            planner = planner.redundancy_alerts(o.redundancy_alerts);
            for w in &o.webhooks {
                let secret = c.webhook_secret(w).map_err(|m| {
                    ServiceError::Runtime(format!("webhook {}: {m}", w.url.get_ref()))
                })?;
                n = n.webhook(Webhook::new(w.url.get_ref().clone(), secret));
            }
        }
        for u in alertmanagers {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ServiceError::Runtime(format!(
                    "--alertmanager {u}: not an http(s) URL"
                )));
            }
            n = n.alertmanager(u.clone());
        }
        if n.alertmanagers.is_empty() && n.webhooks.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self {
            notifier: n.planner(planner),
        }))
    }

    /// Replaces the outbox (e.g. [`Outbox::store`] for notifications that survive a restart).
    #[must_use]
    pub fn with_outbox(mut self, outbox: Outbox) -> Self {
        self.notifier = self.notifier.outbox(outbox);
        self
    }
}

/// The running notifications of an agent.
#[derive(Debug)]
pub struct Notifications {
    notifier: Arc<Notifier>,
    stop: watch::Sender<bool>,
    scanner: tokio::task::JoinHandle<()>,
}

impl Notifications {
    /// Starts the notifier and feeds it every tenant's analyses; counts outcomes in the
    /// agent's `ispvm_notifications_total`.
    ///
    /// # Errors
    /// [`ServiceError::Runtime`] when the notifier cannot start.
    pub fn start(agent: &Arc<Agent>, options: NotifyOptions) -> Result<Self, ServiceError> {
        let metrics = agent.shared_metrics();
        let config = options
            .notifier
            .count(Arc::new(move |sink: &str, result: &str| {
                metrics.count_notification(sink, result)
            }));
        let notifier = Arc::new(
            Notifier::spawn(config)
                .map_err(|e| ServiceError::Runtime(format!("notifications: {e}")))?,
        );
        let (stop, stop_rx) = watch::channel(false);
        let scanner = tokio::spawn(scan(agent.clone(), notifier.clone(), stop_rx));
        Ok(Self {
            notifier,
            stop,
            scanner,
        })
    }

    /// Stops feeding and stops the notifier (waiting notifications stay in a store outbox).
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        let _ = self.scanner.await;
        if let Ok(n) = Arc::try_unwrap(self.notifier) {
            n.shutdown().await;
        }
    }
}

async fn scan(agent: Arc<Agent>, notifier: Arc<Notifier>, mut stop: watch::Receiver<bool>) {
    let mut fed: BTreeSet<TenantId> = BTreeSet::new();
    let mut feeders = Vec::new();
    loop {
        for id in agent.tenants() {
            if fed.contains(&id) {
                continue;
            }
            if let Some(handle) = agent.tenant(&id) {
                fed.insert(id);
                feeders.push(tokio::spawn(feed(handle, notifier.clone(), stop.clone())));
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => break,
        }
    }
    for f in feeders {
        let _ = f.await;
    }
}

/// The context of an analysis: the sites of the tenant's topology and the entities under a
/// silence active at the evaluation time.
async fn context(handle: &TenantHandle, at: chrono::DateTime<chrono::Utc>) -> Context {
    let mut ctx = handle
        .latest()
        .map(|v| Context::from_topology(&v.topology))
        .unwrap_or_default();
    for w in handle
        .windows(WindowKind::Silence)
        .await
        .unwrap_or_default()
    {
        if w.start <= at && at < w.end {
            ctx.silenced.extend(w.entities);
        }
    }
    ctx
}

async fn submit_latest(handle: &TenantHandle, notifier: &Notifier) {
    if let Some(view) = handle.latest() {
        let ctx = context(handle, view.analysis.evaluated_at).await;
        notifier.submit(view.analysis.clone(), ctx).await;
    }
}

async fn feed(handle: TenantHandle, notifier: Arc<Notifier>, mut stop: watch::Receiver<bool>) {
    let mut rx = handle.subscribe();
    submit_latest(&handle, &notifier).await;
    loop {
        tokio::select! {
            r = rx.recv() => match r {
                Ok(doc) => {
                    let ctx = context(&handle, doc.evaluated_at).await;
                    notifier.submit(doc, ctx).await;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => submit_latest(&handle, &notifier).await,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = stop.changed() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_merge_the_file_and_the_command_line_and_are_none_without_sinks() {
        assert!(NotifyOptions::from_config(None, &[]).unwrap().is_none());
        let o = NotifyOptions::from_config(None, &["http://127.0.0.1:9093".into()])
            .unwrap()
            .unwrap();
        assert_eq!(o.notifier.alertmanagers, vec!["http://127.0.0.1:9093"]);
        assert_eq!(o.notifier.planner, PlannerConfig::default());
        assert!(!o.notifier.outbox.is_durable());
        let e = NotifyOptions::from_config(None, &["127.0.0.1:9093".into()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--alertmanager 127.0.0.1:9093: not an http(s) URL"
        );

        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("hook.key"), "k\n").unwrap();
        std::fs::write(d.path().join("pw"), "p\n").unwrap();
        let text = "[outputs]\nalertmanager = [\"http://am1:9093\"]\nresend_seconds = 15\nredundancy_alerts = true\n[[outputs.webhooks]]\nurl = \"http://127.0.0.1:1/h\"\nsecret_file = \"hook.key\"\n[[tenants]]\nid = \"acme\"\n[[tenants.routers]]\nid = \"r1\"\nhost = \"192.0.2.1\"\nuser = \"u\"\npassword_file = \"pw\"\n";
        let config = Config::parse(text, &d.path().join("agent.toml")).unwrap();
        let o = NotifyOptions::from_config(Some(&config), &["http://am2:9093".into()])
            .unwrap()
            .unwrap();
        assert_eq!(
            o.notifier.alertmanagers,
            vec!["http://am1:9093", "http://am2:9093"]
        );
        assert_eq!(o.notifier.planner.resend, TimeDelta::seconds(15));
        assert!(o.notifier.planner.redundancy_alerts);
        assert_eq!(o.notifier.webhooks.len(), 1);
        assert_eq!(o.notifier.webhooks[0].secret.expose(), b"k");
    }
}
