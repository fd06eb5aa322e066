//! Linkers for the two sandboxes.

use wasmtime::component::{HasSelf, Linker, Resource};
use wasmtime_wasi::p2::DynPollable;

use super::HostView;
use super::bindings::{Workflow, context, types};

/// Which sandbox a linker serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxKind {
    Body,
    Step,
}

/// What a body gets for `std::thread::sleep` and friends.
const SLEEP_RULE: &str = "a workflow body cannot block on the clock (std::thread::sleep or a \
    WASI timer): it would not be journaled; use ctx.sleep(..) for a durable sleep";

/// The linker for `kind`: WASI p2, wasi:http and cairn's `context`.
pub fn linker<T>(engine: &wasmtime::Engine, kind: SandboxKind) -> wasmtime::Result<Linker<T>>
where
    T: HostView + context::Host + types::Host,
{
    let mut l = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut l)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut l)?;
    Workflow::add_to_linker::<_, HasSelf<_>>(&mut l, |s| s)?;
    if kind == SandboxKind::Body {
        // The stock timers really sleep; in a body that would be an
        // unjournaled wait, so they trap with the rule instead.
        l.allow_shadowing(true);
        let mut clock = l.instance("wasi:clocks/monotonic-clock@0.2.12")?;
        clock.func_wrap(
            "subscribe-duration",
            |_, (_,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
                Err(wasmtime::Error::msg(SLEEP_RULE))
            },
        )?;
        clock.func_wrap(
            "subscribe-instant",
            |_, (_,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
                Err(wasmtime::Error::msg(SLEEP_RULE))
            },
        )?;
        l.allow_shadowing(false);
    }
    Ok(l)
}
