//! `ctx.patched(id)`: the versioning marker.
//!
//! The branch a run takes is journaled the first time the run reaches the
//! marker. A run that reaches it while its journal still holds entries was
//! recorded by code without the marker, so it gets `false` and keeps the
//! old path; a run that reaches it live gets `true`.

use crate::journal::EntryKind;

use super::BodyCx;
use crate::runtime::run::interrupt::Interrupt;

/// The body reached a patch marker.
pub async fn patched(cx: &mut BodyCx, change_id: String) -> wasmtime::Result<bool> {
    let key = cx.log.next_key(EntryKind::Patched, &change_id);
    if let Some(e) = cx.log.take(&key) {
        cx.clock.advance_to(e.created_at);
        return Ok(e.value.as_deref() == Some("true"));
    }
    let new_code = !cx.log.replaying();
    if cx.dry {
        if new_code {
            return Err(Interrupt::DryFrontier.trap());
        }
        return Ok(false);
    }
    cx.record(
        &key,
        None,
        true,
        Some(new_code.to_string()),
        None,
        Vec::new(),
    );
    Ok(new_code)
}
