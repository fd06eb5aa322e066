//! How a dry replay takes spawns the journal lacks.

use std::collections::HashSet;

use crate::runtime::body::BodyCx;
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::{Divergence, Key};

/// How a dry replay takes a spawn whose key the journal lacks while later
/// entries remain. Crash recovery tolerates it (the step was in flight when
/// the process died, while later ones had finished); a check against
/// another version must not, unless the run's own version spawns it too:
/// otherwise it is a step the history never had, which a moved run would
/// run only after all of that history.
#[derive(Debug)]
pub enum DrySpawns {
    /// Against the run's own version: tolerated, and noted.
    Tolerate { seen: HashSet<(Key, String)> },
    /// Against another version: only the spawns in `allowed` (the ones the
    /// run's own version is seen to make there) are tolerated; any other is
    /// a divergence, and `refused` says one was met.
    Strict {
        allowed: HashSet<(Key, String)>,
        refused: bool,
    },
}

impl Default for DrySpawns {
    fn default() -> Self {
        DrySpawns::Tolerate {
            seen: HashSet::new(),
        }
    }
}

/// A dry replay met a spawn of `key` (input hash `hash`) the journal lacks.
pub(super) fn unrecorded_in_dry(cx: &mut BodyCx, key: &Key, hash: &str) -> wasmtime::Result<()> {
    // Nothing journaled is left: the spawn is new work past the history.
    let Some(next) = cx.log.first_unconsumed() else {
        return Ok(());
    };
    let spawn = (key.clone(), hash.to_string());
    match &mut cx.dry_spawns {
        DrySpawns::Tolerate { seen } => {
            seen.insert(spawn);
        }
        DrySpawns::Strict { allowed, .. } if allowed.contains(&spawn) => {}
        DrySpawns::Strict { refused, .. } => {
            *refused = true;
            return Err(Interrupt::DryDiverged(Divergence::unrecorded_spawn(key, &next)).trap());
        }
    }
    Ok(())
}
