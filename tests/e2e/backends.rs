//! Choosing the backend with `--db` (issue 10): a path or a `sqlite:` URL
//! opens SQLite; a PostgreSQL URL is refused with exit 2 until that
//! backend is built in; another scheme is refused naming the forms cairn
//! accepts.

use std::path::Path;

use crate::support::{Cairn, wasm};

#[test]
fn a_postgres_url_exits_2_saying_postgresql_is_not_built_in_yet() {
    let c = Cairn::new();
    for url in [
        "postgres://x/y",
        "postgresql://cairn@db.internal:5432/cairn",
    ] {
        let out = c.run_on(Path::new(url), &["runs"]).code(2);
        assert!(
            out.stderr
                .contains("PostgreSQL is not built into this cairn yet"),
            "{out:#?}"
        );
        assert!(out.stderr.contains(url), "the setting is named: {out:#?}");
        let json = c.run_on(Path::new(url), &["runs", "--json"]).code(2).json();
        assert_eq!(json["error"]["code"], "bad-input");
    }
    assert!(
        std::fs::read_dir(c.dir.path()).unwrap().next().is_none(),
        "no file is created for a URL"
    );
}

#[test]
fn another_scheme_exits_2_naming_the_accepted_forms() {
    let c = Cairn::new();
    let out = c.run_on(Path::new("mysql://h/db"), &["runs"]).code(2);
    for form in ["a path", "sqlite:PATH", "sqlite://PATH", "postgres://"] {
        assert!(out.stderr.contains(form), "names {form}: {out:#?}");
    }
}

#[test]
fn sqlite_urls_open_the_file_they_name() {
    let c = Cairn::new();
    let w = wasm("counter");
    c.run_on(&c.db, &["deploy", w.to_str().unwrap()]).code(0);
    let plain = c.db.display().to_string();
    for db in [format!("sqlite:{plain}"), format!("sqlite://{plain}")] {
        let out = c.run_on(Path::new(&db), &["versions", "--json"]).code(0);
        let versions = out.json()["versions"].as_array().unwrap().len();
        assert_eq!(versions, 1, "{db} is the database deployed to");
    }
    c.run_on(Path::new("sqlite:relative.db"), &["runs"]).code(0);
    assert!(
        c.dir.path().join("relative.db").exists(),
        "a relative sqlite: path is taken from the working directory"
    );
}
