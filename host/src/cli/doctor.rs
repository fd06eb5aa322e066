//! `cairn doctor`: examine the database without changing it, say what is
//! wrong and what to do; exit 0 when healthy, 2 on any problem, 3 when
//! there is no database at all.

use cairn::journal::Location;
use cairn::journal::sqlite::check::{Diagnosis, diagnose};

use super::format::print_json;
use super::{Env, Exit, ExitKind};

pub fn doctor(env: &Env) -> Result<ExitKind, Exit> {
    let Location::Sqlite(path) = Location::parse(&env.config.db).map_err(Exit::from_store)?;
    let d = diagnose(&path, env.open_options().lock_timeout);
    if env.json {
        let mut v = serde_json::to_value(&d).expect("a diagnosis serializes");
        v["ok"] = d.ok().into();
        print_json(&v);
    } else {
        print_text(&d);
    }
    Ok(if !d.exists && d.problems.is_empty() {
        ExitKind::NotFound
    } else if d.ok() {
        ExitKind::Success
    } else {
        ExitKind::Usage
    })
}

fn print_text(d: &Diagnosis) {
    println!("database   {}", d.path);
    if !d.exists {
        for p in &d.problems {
            println!("problem    {p}");
        }
        if d.problems.is_empty() {
            println!(
                "           there is no database here; cairn creates it on first use \
                 (`cairn deploy`)"
            );
        }
        return;
    }
    println!("size       {}", bytes(d.size_bytes));
    let schema = match d.schema_version {
        Some(v) if v < d.supported_schema_version => format!(
            "version {v}; this cairn migrates it to {} on first use",
            d.supported_schema_version
        ),
        Some(v) => format!(
            "version {v} (this cairn writes {})",
            d.supported_schema_version
        ),
        None => "unreadable".to_string(),
    };
    println!(
        "cairn      {}",
        if d.cairn { "yes" } else { "no (see below)" }
    );
    println!("schema     {schema}");
    println!("writable   {}", yes_no(d.writable));
    if let Some(free) = d.lock_free {
        println!(
            "lock       {}",
            if free {
                "free"
            } else {
                "held by another process"
            }
        );
    }
    let check = d
        .check_ms
        .map(|ms| format!(" ({ms} ms)"))
        .unwrap_or_default();
    match d.integrity.as_slice() {
        [one] if one == "ok" => println!("integrity  ok{check}"),
        [] => println!("integrity  not checked"),
        reports => {
            println!("integrity  {} problem(s){check}:", reports.len());
            for r in reports {
                println!("           {r}");
            }
        }
    }
    if let (Some(runs), Some(versions)) = (d.runs, d.versions) {
        println!("holds      {runs} run(s), {versions} version(s)");
    }
    if d.problems.is_empty() {
        println!("healthy");
    }
    for p in &d.problems {
        println!("problem    {p}");
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}
