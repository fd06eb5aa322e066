//! Choosing the backend from the `db` setting: a plain path, `sqlite:PATH`
//! or `sqlite://PATH` opens SQLite; a PostgreSQL URL is recognised and
//! refused until that backend is built in; anything else is refused with
//! the forms accepted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::sqlite::SqliteStore;
use super::{Durability, Storage, StoreError};

/// How long a connection waits for another process's write lock by
/// default (`db_lock_timeout_ms`). cairn's own transactions hold it for
/// milliseconds; a lock held this long is someone else's, and saying so
/// beats a command that seems to hang.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How a store is opened.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    pub durability: Durability,
    /// How long to wait for another process's write lock before giving up
    /// with [`super::ProblemKind::Locked`].
    pub lock_timeout: Duration,
}

impl OpenOptions {
    /// `durability` with the default lock timeout.
    pub fn new(durability: Durability) -> OpenOptions {
        OpenOptions {
            durability,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// The database a `db` setting names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
}

impl Location {
    /// Reads a `db` setting: a path (any string without a URL scheme, as
    /// before URLs were accepted), `sqlite:PATH` or `sqlite://PATH`.
    /// `postgres://…` and `postgresql://…` are [`StoreError::NotBuiltIn`];
    /// another scheme, or a `sqlite:` URL without a path, is
    /// [`StoreError::BadLocation`].
    pub fn parse(db: &Path) -> Result<Location, StoreError> {
        let Some(text) = db.to_str() else {
            return Ok(Location::Sqlite(db.to_path_buf()));
        };
        let bad = || StoreError::BadLocation {
            db: text.to_string(),
        };
        if let Some(rest) = strip_scheme(text, "sqlite") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            return match path {
                "" => Err(bad()),
                p => Ok(Location::Sqlite(PathBuf::from(p))),
            };
        }
        if strip_scheme(text, "postgres")
            .or_else(|| strip_scheme(text, "postgresql"))
            .is_some()
        {
            return Err(StoreError::NotBuiltIn {
                db: text.to_string(),
                backend: "PostgreSQL",
            });
        }
        if has_url_scheme(text) {
            return Err(bad());
        }
        Ok(Location::Sqlite(db.to_path_buf()))
    }
}

/// What follows `scheme:` at the start of `text`, the scheme matched
/// without regard to case.
fn strip_scheme<'a>(text: &'a str, scheme: &str) -> Option<&'a str> {
    let head = text.get(..scheme.len() + 1)?;
    let (name, colon) = head.split_at(scheme.len());
    (name.eq_ignore_ascii_case(scheme) && colon == ":").then(|| &text[scheme.len() + 1..])
}

/// Whether `text` starts with `scheme://` (RFC 3986's scheme characters).
fn has_url_scheme(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Opens (creating if needed) the journal the `db` setting names, with
/// the backend it names; see [`Location::parse`].
pub fn open(db: &Path, options: OpenOptions) -> Result<Arc<dyn Storage>, StoreError> {
    match Location::parse(db)? {
        Location::Sqlite(path) => Ok(Arc::new(SqliteStore::open_with(&path, options)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Location, StoreError> {
        Location::parse(Path::new(s))
    }

    fn sqlite(s: &str) -> Location {
        Location::Sqlite(PathBuf::from(s))
    }

    #[test]
    fn paths_and_sqlite_urls_name_a_sqlite_file() {
        assert_eq!(parse("cairn.db").unwrap(), sqlite("cairn.db"));
        assert_eq!(
            parse("/var/lib/cairn.db").unwrap(),
            sqlite("/var/lib/cairn.db")
        );
        assert_eq!(
            parse("dir:with/colon.db").unwrap(),
            sqlite("dir:with/colon.db")
        );
        assert_eq!(parse("sqlite:cairn.db").unwrap(), sqlite("cairn.db"));
        assert_eq!(parse("SQLite:/tmp/a.db").unwrap(), sqlite("/tmp/a.db"));
        assert_eq!(parse("sqlite://rel/a.db").unwrap(), sqlite("rel/a.db"));
        assert_eq!(parse("sqlite:///abs/a.db").unwrap(), sqlite("/abs/a.db"));
    }

    #[test]
    fn postgres_urls_are_not_built_in_and_other_schemes_are_refused() {
        for url in ["postgres://x/y", "postgresql://u@h:5432/db", "POSTGRES://x"] {
            let e = parse(url).unwrap_err();
            assert!(matches!(e, StoreError::NotBuiltIn { .. }), "{url}: {e:?}");
            assert!(
                e.to_string()
                    .contains("PostgreSQL is not built into this cairn yet")
            );
        }
        for bad in ["mysql://h/db", "sqlite:", "sqlite://"] {
            let e = parse(bad).unwrap_err();
            assert!(matches!(e, StoreError::BadLocation { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains("sqlite:PATH"), "{e}");
        }
    }
}
