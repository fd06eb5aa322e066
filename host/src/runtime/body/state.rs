//! `ctx.state-get`, `state-set`, `state-delete`: run and session state.
//!
//! A read is journaled with the value it saw; a write or delete is
//! journaled with its effect, which the writer applies in the same
//! transaction as the entry.

use crate::engine::bindings::context::{Scope, StateError};
use crate::journal::{EntryKind, StateEffect, StateKey};
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::input_hash;

use super::BodyCx;

/// The body read `key` in `scope`.
pub async fn get(
    cx: &mut BodyCx,
    scope: Scope,
    key: String,
) -> wasmtime::Result<Result<Option<String>, StateError>> {
    let skey = match state_key(cx, scope, &key) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    let jkey = cx
        .log
        .next_key(EntryKind::StateGet, &format!("{}:{key}", scope_name(scope)));
    if let Some(e) = cx.replayed(&jkey, None)? {
        return Ok(Ok(e.value));
    }
    // Our own earlier writes must be visible to the read.
    cx.barrier().await?;
    let value = cx
        .rt
        .store
        .state_value(&skey)
        .await
        .map_err(|e| Interrupt::from_store(e).trap())?;
    cx.record(&jkey, None, true, value.clone(), None, Vec::new());
    Ok(Ok(value))
}

/// The body set `key` in `scope` to `value`.
pub fn set(
    cx: &mut BodyCx,
    scope: Scope,
    key: String,
    value: String,
) -> wasmtime::Result<Result<(), StateError>> {
    let skey = match state_key(cx, scope, &key) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    cx.check_size(&format!("state value `{key}`"), &value)?;
    let hash = input_hash(&[value.as_bytes()]);
    let jkey = cx
        .log
        .next_key(EntryKind::StateSet, &format!("{}:{key}", scope_name(scope)));
    if cx.replayed(&jkey, Some(&hash))?.is_none() {
        // The value is journaled too, so a restart from a later position
        // can rebuild the run's state as it was there.
        let journaled = Some(value.clone());
        let effect = StateEffect::Set { key: skey, value };
        cx.record(&jkey, Some(hash), true, journaled, Some(effect), Vec::new());
    }
    Ok(Ok(()))
}

/// The body deleted `key` in `scope`.
pub fn delete(
    cx: &mut BodyCx,
    scope: Scope,
    key: String,
) -> wasmtime::Result<Result<(), StateError>> {
    let skey = match state_key(cx, scope, &key) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    let jkey = cx.log.next_key(
        EntryKind::StateDelete,
        &format!("{}:{key}", scope_name(scope)),
    );
    if cx.replayed(&jkey, None)?.is_none() {
        let effect = StateEffect::Delete { key: skey };
        cx.record(&jkey, None, true, None, Some(effect), Vec::new());
    }
    Ok(Ok(()))
}

/// Where `key` of `scope` is stored for the body's run; keys starting with
/// `_` are cairn's.
fn state_key(cx: &BodyCx, scope: Scope, key: &str) -> Result<StateKey, StateError> {
    if key.starts_with('_') {
        return Err(StateError::ReservedKey(format!(
            "state key `{key}` starts with `_`, which is reserved for cairn"
        )));
    }
    match scope {
        Scope::Run => Ok(StateKey::Run {
            run_id: cx.run.id.clone(),
            key: key.to_string(),
        }),
        Scope::Session => match &cx.run.session_id {
            Some(s) => Ok(StateKey::Session {
                session_id: s.clone(),
                key: key.to_string(),
            }),
            None => Err(StateError::NoSession),
        },
    }
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Run => "run",
        Scope::Session => "session",
    }
}
