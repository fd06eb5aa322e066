//! Values given on the command line — `run --input`, and the value of
//! `respond`, `signal` and `emit` — inline, from a file (`@FILE`) or from
//! standard input (`-`), so a value larger than the shell's limit on one
//! argument (about 128 KiB) can be given. `@@…` is the text `@…`.
//!
//! A value is read at most to `limits.max_value_bytes` (the journal
//! refuses anything larger), so a huge file is refused without being read
//! whole. One line ending at the end of a file or of standard input is
//! dropped, as a shell's `$(cat FILE)` would: `echo approve | cairn
//! respond RUN -` answers `approve`.

use std::io::Read;

use cairn::engine::limits::human_bytes;

use super::{Exit, ExitKind};

/// The text of a value argument, `what` naming it in messages ("the
/// input", "the answer").
pub fn read_value(arg: &str, what: &str, limit: u64) -> Result<String, Exit> {
    let usage = |m: String| Exit::new(ExitKind::Usage, m);
    let text = if arg == "-" {
        let stdin = std::io::stdin().lock();
        read_limited(stdin, limit, what, "standard input")?
    } else if let Some(literal) = arg.strip_prefix("@@") {
        format!("@{literal}")
    } else if let Some(path) = arg.strip_prefix('@') {
        let file = std::fs::File::open(path)
            .map_err(|e| usage(format!("cannot read {what} from {path}: {e}")))?;
        if let Ok(meta) = file.metadata()
            && meta.is_file()
            && meta.len() > limit
        {
            return Err(too_large(what, path, Some(meta.len()), limit));
        }
        read_limited(file, limit, what, path)?
    } else {
        arg.to_string()
    };
    if text.len() as u64 > limit {
        return Err(too_large(
            what,
            "the command line",
            Some(text.len() as u64),
            limit,
        ));
    }
    Ok(text)
}

/// Parses `text` as JSON, or says which flag made it required.
pub fn parse_json(text: &str, what: &str, flag: &str) -> Result<serde_json::Value, Exit> {
    serde_json::from_str(text).map_err(|e| {
        Exit::new(
            ExitKind::Usage,
            format!("{what} is not valid JSON ({e}); {flag}"),
        )
    })
}

fn read_limited(r: impl Read, limit: u64, what: &str, source: &str) -> Result<String, Exit> {
    let mut bytes = Vec::new();
    r.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Exit::new(
                ExitKind::Usage,
                format!("cannot read {what} from {source}: {e}"),
            )
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(what, source, None, limit));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        Exit::new(
            ExitKind::Usage,
            format!("{what} from {source} is not UTF-8 text ({e})"),
        )
    })?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

fn too_large(what: &str, source: &str, size: Option<u64>, limit: u64) -> Exit {
    let size = match size {
        Some(n) => format!("is {}", human_bytes(n)),
        None => format!("is larger than {}", human_bytes(limit)),
    };
    Exit::new(
        ExitKind::Usage,
        format!(
            "{what} from {source} {size} but limits.max_value_bytes is {}: the journal refuses \
             values this large (raise it in cairn.toml or with CAIRN_LIMITS_MAX_VALUE_BYTES)",
            human_bytes(limit)
        ),
    )
}
