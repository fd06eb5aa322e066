//! Deployed versions: validation at deploy, the compiled-artefact cache,
//! and the pre-instantiated components runs use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::engine::bindings::WorkflowPre;
use crate::engine::{CairnEngine, LoadError, SandboxKind, linker};
use crate::journal::{Storage, StoreError, VersionRecord, WriteOp, WriteOutcome};
use crate::runtime::body::BodyState;
use crate::runtime::step::StepState;

use super::manifest::{Manifest, RetryPolicy};

/// A version ready to run: compiled, linked, with its manifest.
pub struct LoadedVersion {
    pub sha: String,
    pub manifest: Manifest,
    pub allow_http: Vec<String>,
    pub strict: bool,
    /// Deployed with `--pin`: runs on older versions do not move to it.
    pub pin: bool,
    pub body: WorkflowPre<BodyState>,
    pub step: WorkflowPre<StepState>,
    steps: HashMap<String, RetryPolicy>,
}

impl LoadedVersion {
    /// The retry policy of `step`, if the component declares it.
    pub fn policy(&self, step: &str) -> Option<RetryPolicy> {
        self.steps.get(step).copied()
    }
}

/// Why a version could not be loaded or deployed.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("version {0} is not deployed")]
    Unknown(String),
    #[error("describe() failed: {0}")]
    Describe(String),
    #[error("the component exports no workflow")]
    NoWorkflows,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The versions this process has loaded.
pub struct Versions {
    engine: Arc<CairnEngine>,
    loaded: Mutex<HashMap<String, Arc<LoadedVersion>>>,
}

/// What a deploy did.
#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    pub version: String,
    /// False when these exact bytes were deployed before.
    pub new: bool,
    pub workflows: Vec<String>,
    pub steps: Vec<String>,
    pub allow_http: Vec<String>,
}

/// Options of `cairn deploy`.
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    pub allow_http: Vec<String>,
    /// Divergence fails runs of this version.
    pub strict: bool,
    /// Runs in flight on older versions stay there.
    pub pin: bool,
}

impl Versions {
    pub fn new(engine: Arc<CairnEngine>) -> Versions {
        Versions {
            engine,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The loaded version `sha`, compiling (or reading the compiled
    /// artefact from the database) on first use.
    pub async fn get(
        &self,
        store: &dyn Storage,
        sha: &str,
    ) -> Result<Arc<LoadedVersion>, VersionError> {
        if let Some(v) = self.loaded.lock().expect("versions").get(sha) {
            return Ok(v.clone());
        }
        let record = store
            .version(sha)
            .await?
            .ok_or_else(|| VersionError::Unknown(sha.to_string()))?;
        let component = match self.cached(store, sha).await? {
            Some(c) => c,
            None => {
                let c = self.engine.compile(&record.bytes)?;
                self.cache(store, sha, &c).await?;
                c
            }
        };
        let manifest: Manifest = serde_json::from_str(&record.manifest)
            .map_err(|e| StoreError::Corrupt(format!("manifest of {sha}: {e}")))?;
        let loaded = Arc::new(self.link(&record, component, manifest)?);
        self.loaded
            .lock()
            .expect("versions")
            .insert(sha.to_string(), loaded.clone());
        Ok(loaded)
    }

    /// The compiled artefact of `sha` this engine cached earlier, if any
    /// (at a deploy, a load, or a `cairn replay --with` of the same bytes).
    async fn cached(
        &self,
        store: &dyn Storage,
        sha: &str,
    ) -> Result<Option<wasmtime::component::Component>, VersionError> {
        let Some(cwasm) = store.compiled(sha, self.engine.compat_hash()).await? else {
            return Ok(None);
        };
        match self.engine.deserialize(&cwasm) {
            Ok(c) => Ok(Some(c)),
            Err(e) => {
                tracing::warn!(error = %e, "cached artefact unusable, recompiling");
                Ok(None)
            }
        }
    }

    /// Caches the compiled artefact of `sha`, keyed by this engine's
    /// compatibility hash.
    async fn cache(
        &self,
        store: &dyn Storage,
        sha: &str,
        component: &wasmtime::component::Component,
    ) -> Result<(), VersionError> {
        if let Ok(bytes) = self.engine.serialize(component) {
            store
                .write(WriteOp::PutCompiled {
                    sha: sha.to_string(),
                    engine_hash: self.engine.compat_hash().to_string(),
                    bytes,
                })
                .await?;
        }
        Ok(())
    }

    fn link(
        &self,
        record: &VersionRecord,
        component: wasmtime::component::Component,
        manifest: Manifest,
    ) -> Result<LoadedVersion, VersionError> {
        let engine = self.engine.engine();
        let wrong = |e: wasmtime::Error| LoadError::WrongWorld(format!("{e:#}"));
        let body = linker::<BodyState>(engine, SandboxKind::Body).map_err(wrong)?;
        let step = linker::<StepState>(engine, SandboxKind::Step).map_err(wrong)?;
        let body =
            WorkflowPre::new(body.instantiate_pre(&component).map_err(wrong)?).map_err(wrong)?;
        let step =
            WorkflowPre::new(step.instantiate_pre(&component).map_err(wrong)?).map_err(wrong)?;
        let steps = manifest
            .steps
            .iter()
            .map(|s| (s.name.clone(), s.policy))
            .collect();
        Ok(LoadedVersion {
            sha: record.sha.clone(),
            manifest,
            allow_http: record.allow_http.clone(),
            strict: record.strict,
            pin: record.pin,
            body,
            step,
            steps,
        })
    }

    /// Compiles and links `bytes` and reads its manifest, storing only the
    /// compiled artefact (by the sha256 of the bytes, as a deploy does, so
    /// the next load of the same file does not compile again): what
    /// `deploy` checks, and what `cairn replay --with` runs.
    pub async fn load_bytes(
        &self,
        store: &dyn Storage,
        bytes: Vec<u8>,
    ) -> Result<LoadedVersion, VersionError> {
        self.load_unstored(store, &bytes, &DeployOptions::default())
            .await
    }

    async fn load_unstored(
        &self,
        store: &dyn Storage,
        bytes: &[u8],
        opts: &DeployOptions,
    ) -> Result<LoadedVersion, VersionError> {
        let sha = hex::encode(Sha256::digest(bytes));
        let cached = self.cached(store, &sha).await?;
        let fresh = cached.is_none();
        let component = match cached {
            Some(c) => c,
            None => self.engine.compile(bytes)?,
        };
        // Link first: a component of another world fails here, with the
        // missing or mismatched export named.
        let record = VersionRecord {
            sha,
            bytes: Vec::new(),
            manifest: String::new(),
            deployed_at: crate::clock::now_ms(),
            allow_http: opts.allow_http.clone(),
            strict: opts.strict,
            pin: opts.pin,
        };
        let placeholder = Manifest {
            sdk_version: String::new(),
            workflows: Vec::new(),
            steps: Vec::new(),
        };
        let linked = self.link(&record, component.clone(), placeholder)?;
        let manifest = crate::runtime::step::describe(&self.engine, &linked)
            .await
            .map_err(VersionError::Describe)?;
        if manifest.workflows.is_empty() {
            return Err(VersionError::NoWorkflows);
        }
        let loaded = self.link(&record, component.clone(), manifest)?;
        // Only a component found good is cached.
        if fresh {
            self.cache(store, &record.sha, &component).await?;
        }
        Ok(loaded)
    }

    /// Validates `bytes`, reads its manifest, stores it and makes it active.
    pub async fn deploy(
        &self,
        store: &dyn Storage,
        bytes: Vec<u8>,
        opts: &DeployOptions,
    ) -> Result<DeployReport, VersionError> {
        let loaded = self.load_unstored(store, &bytes, opts).await?;
        let sha = loaded.sha.clone();
        let workflows: Vec<String> = loaded
            .manifest
            .workflows
            .iter()
            .map(|w| w.name.clone())
            .collect();
        let record = VersionRecord {
            sha: sha.clone(),
            bytes,
            manifest: serde_json::to_string(&loaded.manifest).expect("manifest serializes"),
            deployed_at: crate::clock::now_ms(),
            allow_http: opts.allow_http.clone(),
            strict: opts.strict,
            pin: opts.pin,
        };
        let outcome = store
            .write(WriteOp::Deploy {
                version: record,
                workflows: workflows.clone(),
                activate: true,
            })
            .await?;
        let stored = store
            .version(&sha)
            .await?
            .ok_or_else(|| VersionError::Unknown(sha.clone()))?;
        Ok(DeployReport {
            version: sha,
            new: outcome == WriteOutcome::Deployed { new: true },
            steps: loaded
                .manifest
                .steps
                .iter()
                .map(|s| s.name.clone())
                .collect(),
            workflows,
            allow_http: stored.allow_http,
        })
    }
}
