//! Typed key-value state: [`State`] for one scope (run or session) and
//! [`StateError`] for what can go wrong.
//!
//! Values are stored as JSON by the host and journaled when read, so a
//! replay reads what the first activation read.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::{host, types};
use crate::{Ctx, WorkflowError};

/// State of one scope, from [`Ctx::state`] (this run) or [`Ctx::session`]
/// (all runs of the session).
///
/// Keys starting with `_` are reserved for cairn and refused with
/// [`StateError::ReservedKey`].
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[workflow]
/// fn remember(ctx: &Ctx, note: String) -> Result<Vec<String>, WorkflowError> {
///     let mut notes: Vec<String> = ctx.session().get("notes")?.unwrap_or_default();
///     notes.push(note);
///     ctx.session().set("notes", &notes)?;
///     ctx.state().delete("draft")?;
///     Ok(notes)
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct State<'a> {
    scope: types::Scope,
    _ctx: PhantomData<&'a Ctx>,
}

impl State<'_> {
    pub(crate) fn new(scope: types::Scope) -> Self {
        State {
            scope,
            _ctx: PhantomData,
        }
    }

    /// Reads `key`; `Ok(None)` if it was never set or was deleted.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), StateError> {
    /// let count: Option<u32> = ctx.state().get("count")?;
    /// # Ok(()) }
    /// ```
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StateError> {
        check_key(key)?;
        match host::state_get(self.scope, key).map_err(StateError::from)? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| {
                let message = format!("state key `{key}` does not hold the type asked for: {e}");
                crate::log::unreadable(&message);
                StateError::Serde(message)
            }),
        }
    }

    /// Writes `key`.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), StateError> {
    /// ctx.state().set("count", &3)?;
    /// ctx.state().set("name", "ana")?;
    /// # Ok(()) }
    /// ```
    pub fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), StateError> {
        check_key(key)?;
        let json = serde_json::to_string(value).map_err(|e| {
            StateError::Serde(format!(
                "value for state key `{key}` does not serialize: {e}"
            ))
        })?;
        host::state_set(self.scope, key, &json).map_err(StateError::from)
    }

    /// Removes `key` (removing an absent key is not an error).
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), StateError> {
    /// ctx.state().delete("count")?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, key: &str) -> Result<(), StateError> {
        check_key(key)?;
        host::state_delete(self.scope, key).map_err(StateError::from)
    }
}

fn check_key(key: &str) -> Result<(), StateError> {
    if key.starts_with('_') {
        Err(StateError::ReservedKey(key.to_owned()))
    } else {
        Ok(())
    }
}

/// Why a state call failed.
///
/// `?` in a workflow body turns it into a [`WorkflowError`] whose code is
/// `"reserved-key"`, `"no-session"` or `"state-serde"`.
///
/// ```no_run
/// # use cairn_sdk::prelude::*;
/// # fn f(ctx: &Ctx) {
/// match ctx.session().get::<u64>("visits") {
///     Err(StateError::NoSession) => { /* started without --session */ }
///     other => { /* ... */ }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateError {
    /// Keys starting with `_` are reserved for cairn.
    ReservedKey(String),
    /// [`Ctx::session`] was used by a run started without a session.
    NoSession,
    /// The value did not serialize, or the stored value did not
    /// deserialize into the requested type.
    Serde(String),
}

impl StateError {
    fn code(&self) -> &'static str {
        match self {
            StateError::ReservedKey(_) => "reserved-key",
            StateError::NoSession => "no-session",
            StateError::Serde(_) => "state-serde",
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::ReservedKey(key) => write!(
                f,
                "state key `{key}` is reserved: keys starting with `_` belong to cairn"
            ),
            StateError::NoSession => {
                f.write_str("session state needs a session: start the run with `--session ID`")
            }
            StateError::Serde(message) => f.write_str(message),
        }
    }
}

impl From<types::StateError> for StateError {
    fn from(e: types::StateError) -> Self {
        match e {
            types::StateError::ReservedKey(key) => StateError::ReservedKey(key),
            types::StateError::NoSession => StateError::NoSession,
        }
    }
}

impl From<StateError> for WorkflowError {
    fn from(e: StateError) -> Self {
        WorkflowError::new(e.to_string()).with_code(e.code())
    }
}
