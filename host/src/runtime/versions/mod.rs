//! Versions: what a deployed component declares, loading and caching it,
//! deploys, and moving runs between versions.
//!
//! `load.rs` loads, links and caches deployed versions and performs
//! deploys; `manifest.rs` is the stored `Manifest`, and `manifest_ext.rs`
//! parses the component's `describe-ext` document into it; `upgrade.rs` is
//! the side-effect-free replay check and the moves it allows.

mod load;
mod manifest;
pub mod manifest_ext;
pub mod upgrade;

pub use load::{DeployOptions, DeployReport, LoadedVersion, VersionError, Versions};
pub use manifest::{Manifest, RetryPolicy, StepDecl, TriggerDecl, WorkflowDecl};
