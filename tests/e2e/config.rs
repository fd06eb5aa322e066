//! Configuration a user got wrong: every mistake is an exit 2 naming the
//! file or variable and the key, never a panic (issue 9, item 18).

use crate::support::Cairn;

/// Writes `cairn.toml` into the test's directory (the working directory of
/// every command) and runs `cairn runs` with `envs`.
fn check(toml: &[u8], envs: &[(&str, &str)], expect: &[&str]) {
    let mut c = Cairn::new();
    for (k, v) in envs {
        c = c.env(k, v);
    }
    std::fs::write(c.dir.path().join("cairn.toml"), toml).unwrap();
    let out = c.run(&["runs"]).code(2);
    for needle in expect {
        assert!(
            out.stderr.contains(needle),
            "{:?} with {envs:?}: expected {needle:?} in {out:#?}",
            String::from_utf8_lossy(toml)
        );
    }
    assert!(!c.db.exists(), "nothing was created: {out:?}");
}

#[test]
fn a_section_given_a_plain_value_and_an_override_inside_it_is_an_error_not_a_panic() {
    // The reported case: this reached an `expect` in config.rs.
    check(
        b"limits = 1\n",
        &[("CAIRN_LIMITS_MEMORY_MB", "64")],
        &["CAIRN_LIMITS_MEMORY_MB", "[limits]", "cairn.toml"],
    );
    check(
        b"runtime = [1, 2]\n",
        &[("CAIRN_RUNTIME_POLL_MS", "10")],
        &["CAIRN_RUNTIME_POLL_MS", "[runtime]"],
    );
    check(b"limits = 1\n", &[], &["cairn.toml", "limits"]);
}

#[test]
fn values_the_host_cannot_honour_are_refused_with_their_range() {
    check(
        b"[limits]\nmemory_mb = 0\n",
        &[],
        &["limits.memory_mb = 0", "1 to 4096"],
    );
    check(
        b"",
        &[("CAIRN_RUNTIME_LEASE_SECS", "9223372036854775807")],
        &["runtime.lease_secs", "out of range"],
    );
    check(
        b"[runtime]\nmax_active_runs = 0\n",
        &[],
        &["runtime.max_active_runs", "no run would ever execute"],
    );
    check(b"", &[("CAIRN_LIMITS_MEMORY_MB", "-5")], &["memory_mb"]);
    check(
        b"",
        &[("CAIRN_ENGINE_POOLING", "maybe")],
        &["CAIRN_ENGINE_POOLING", "true or false"],
    );
    check(b"\xff\xfe not text", &[], &["cairn.toml"]);
    check(b"durability = \"sometimes\"\n", &[], &["durability"]);
}

#[test]
fn a_missing_config_file_is_named() {
    let c = Cairn::new();
    let out = c.run(&["--config", "nowhere.toml", "runs"]).code(2);
    assert!(out.stderr.contains("cannot read nowhere.toml"), "{out:?}");
}
