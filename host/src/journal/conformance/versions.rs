//! Conformance scenarios on deployed versions: deploy, the active
//! version, the list, compiled artefacts and garbage collection.

use std::sync::Arc;

use super::{T0, create, write};
use crate::journal::{Storage, VersionRecord, WriteOp, WriteOutcome};

fn version(sha: &str, at: i64) -> VersionRecord {
    VersionRecord {
        sha: sha.to_string(),
        bytes: sha.as_bytes().to_vec(),
        manifest: r#"{"workflows":[{"name":"wf"}]}"#.to_string(),
        deployed_at: at,
        allow_http: vec!["example.com".to_string()],
        strict: true,
        pin: false,
    }
}

fn deploy(sha: &str, at: i64, activate: bool) -> WriteOp {
    WriteOp::Deploy {
        version: version(sha, at),
        workflows: vec!["wf".to_string()],
        activate,
    }
}

/// Deploy stores a version once per sha and makes it active; the list
/// says which is active for what, newest first.
pub async fn deploy_activates_and_reports_new_bytes(s: Arc<dyn Storage>) {
    assert_eq!(
        write(&s, deploy("v1", T0, true)).await.unwrap(),
        WriteOutcome::Deployed { new: true }
    );
    assert_eq!(
        write(&s, deploy("v1", T0, true)).await.unwrap(),
        WriteOutcome::Deployed { new: false }
    );
    assert_eq!(s.version("v1").await.unwrap(), Some(version("v1", T0)));
    assert_eq!(s.active_version("wf").await.unwrap().as_deref(), Some("v1"));
    write(&s, deploy("v2", T0 + 1, true)).await.unwrap();
    write(&s, deploy("v3", T0 + 2, false)).await.unwrap();
    assert_eq!(s.active_version("wf").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(s.active_version("other").await.unwrap(), None);
    let list = s.versions().await.unwrap();
    let shas: Vec<_> = list.iter().map(|v| v.sha.as_str()).collect();
    assert_eq!(shas, ["v3", "v2", "v1"]);
    assert_eq!(list[1].active_for, vec!["wf".to_string()]);
    assert!(list[0].active_for.is_empty() && list[2].active_for.is_empty());
    assert_eq!(list[2].workflows, vec!["wf".to_string()]);
    let manifests = s.active_manifests().await.unwrap();
    assert_eq!(manifests.len(), 1);
    assert_eq!(
        (manifests[0].0.as_str(), manifests[0].1.as_str()),
        ("wf", "v2")
    );
}

/// GC removes exactly the versions no run holds and no workflow has
/// active, with their compiled artefacts.
pub async fn gc_removes_versions_nothing_holds(s: Arc<dyn Storage>) {
    write(&s, deploy("v1", T0, true)).await.unwrap();
    write(&s, deploy("v2", T0 + 1, true)).await.unwrap();
    write(&s, deploy("v3", T0 + 2, false)).await.unwrap();
    create(&s, "r", None).await;
    for sha in ["v1", "v3"] {
        let put = WriteOp::PutCompiled {
            sha: sha.to_string(),
            engine_hash: "e".to_string(),
            bytes: vec![1, 2, 3],
        };
        write(&s, put).await.unwrap();
    }
    assert_eq!(s.compiled("v3", "e").await.unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(s.compiled("v3", "other-engine").await.unwrap(), None);
    let out = write(&s, WriteOp::GcVersions).await.unwrap();
    assert_eq!(out, WriteOutcome::Removed(vec!["v3".to_string()]));
    assert_eq!(s.version("v3").await.unwrap(), None);
    assert_eq!(s.compiled("v3", "e").await.unwrap(), None);
    assert_eq!(
        s.compiled("v1", "e").await.unwrap(),
        Some(vec![1, 2, 3]),
        "run r holds v1"
    );
    assert!(s.version("v2").await.unwrap().is_some(), "v2 is active");
    let again = write(&s, WriteOp::GcVersions).await.unwrap();
    assert_eq!(again, WriteOutcome::Removed(Vec::new()));
}
