//! `ctx.patched(id)`: the versioning marker. (Issue 5.)

use super::body::BodyCx;

/// The body reached a patch marker.
pub async fn patched(_cx: &mut BodyCx, _change_id: String) -> wasmtime::Result<bool> {
    Err(wasmtime::Error::msg("ctx.patched is not implemented yet"))
}
