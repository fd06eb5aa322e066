//! Triggers: events and webhooks that start every workflow subscribed to
//! them, as declared in the workflows' manifests.

use serde_json::Value;

use crate::journal::{StoreError, UnixMs, WriteOp, WriteOutcome};

use crate::runtime::versions::{Manifest, TriggerDecl};
use crate::runtime::{Runtime, StartError, StartOptions};

/// What arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum Fired<'a> {
    /// `cairn emit NAME` / `POST /v1/events/NAME`.
    Event(&'a str),
    /// A verified delivery from a webhook source, of an event type.
    Webhook { source: &'a str, event: &'a str },
}

impl Fired<'_> {
    fn matches(&self, t: &TriggerDecl) -> bool {
        match (self, t) {
            (Fired::Event(name), TriggerDecl::Event { name: n }) => name == n,
            (
                Fired::Webhook { source, event },
                TriggerDecl::Webhook {
                    source: s,
                    event: e,
                },
            ) => source == s && (event == e || e == "*"),
            _ => false,
        }
    }
}

/// A webhook delivery already handled.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// False when this delivery id was seen before: nothing new started.
    pub new: bool,
    /// The runs the delivery started (then or now).
    pub runs: Vec<String>,
}

impl Runtime {
    /// The workflows (by active version) subscribed to `fired`.
    pub async fn subscribers(&self, fired: &Fired<'_>) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for (workflow, sha, manifest) in self.store.active_manifests().await? {
            let manifest: Manifest = serde_json::from_str(&manifest)
                .map_err(|e| StoreError::Corrupt(format!("manifest of {sha}: {e}")))?;
            let subscribed = manifest
                .workflows
                .iter()
                .filter(|w| w.name == workflow)
                .flat_map(|w| &w.triggers)
                .any(|t| fired.matches(t));
            if subscribed {
                out.push(workflow);
            }
        }
        Ok(out)
    }

    /// Starts every workflow subscribed to the event `name`, with `payload`
    /// as input; returns the run ids. With `owned`, this worker owns them
    /// (and the caller activates them); otherwise they are left pending.
    pub async fn emit_event(
        &self,
        name: &str,
        payload: &Value,
        owned: bool,
    ) -> Result<Vec<String>, StartError> {
        let input = payload.to_string();
        // Every subscriber's checks first: a payload one of them refuses
        // starts none, rather than some.
        let mut runs = Vec::new();
        for workflow in self.subscribers(&Fired::Event(name)).await? {
            let options = StartOptions {
                owned,
                ..StartOptions::default()
            };
            runs.push(self.new_run(&workflow, &input, options).await?);
        }
        let mut ids = Vec::new();
        for run in runs {
            ids.push(self.create(run).await?.0.id);
        }
        Ok(ids)
    }

    /// Starts the workflows subscribed to a webhook event, once per
    /// delivery id: a delivery seen before starts nothing new.
    pub async fn deliver_webhook(
        &self,
        source: &str,
        event: &str,
        delivery_id: &str,
        payload: &Value,
        at: UnixMs,
    ) -> Result<Delivery, StartError> {
        let input = payload.to_string();
        let mut runs = Vec::new();
        for workflow in self.subscribers(&Fired::Webhook { source, event }).await? {
            runs.push(
                self.new_run(&workflow, &input, StartOptions::default())
                    .await?,
            );
        }
        let out = self
            .store
            .write(WriteOp::Delivery {
                source: source.to_string(),
                delivery_id: delivery_id.to_string(),
                at,
                runs,
            })
            .await?;
        let WriteOutcome::Delivered { new, runs } = out else {
            return Err(StoreError::Corrupt(format!("delivery answered {out:?}")).into());
        };
        if new {
            self.notify_work();
        }
        Ok(Delivery { new, runs })
    }
}
