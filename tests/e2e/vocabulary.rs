//! One vocabulary: the names of event kinds, run statuses, journal entry
//! kinds and prompt input types come from the server's types, in the OpenAPI document and in
//! the script the page loads, and the page matches no name the server
//! does not have.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::Cairn;

async fn get_text(base: &str, path: &str) -> String {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    assert!(r.status().is_success(), "GET {path}: {}", r.status());
    r.text().await.unwrap()
}

/// The string array assigned to `const NAME = [...]` in `script`.
fn const_list(script: &str, name: &str) -> Vec<String> {
    let start = script
        .find(&format!("const {name} = "))
        .unwrap_or_else(|| panic!("{name} is not defined in:\n{script}"));
    let rest = &script[start + name.len() + 9..];
    let end = rest.find(';').unwrap();
    serde_json::from_str(&rest[..end]).unwrap()
}

/// Every `"x"` that `script` compares an event's or entry's kind with.
fn kinds_matched(script: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for pat in ["e.kind === \"", "case \""] {
        for (i, _) in script.match_indices(pat) {
            let rest = &script[i + pat.len()..];
            out.insert(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    for (i, _) in script.match_indices("].includes(e.kind)") {
        let open = script[..i].rfind('[').unwrap();
        let list: Vec<String> = serde_json::from_str(&script[open..=i]).unwrap();
        out.extend(list);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_the_api_name_what_the_server_names() {
    let c = Cairn::new();
    let s = c.serve();
    let doc: Value = reqwest::get(format!("{}/v1/openapi.json", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<String> =
        serde_json::from_value(doc["components"]["schemas"]["EventKind"]["enum"].clone())
            .unwrap_or_else(|e| panic!("no EventKind enum in the OpenAPI document ({e})"));
    for k in [
        "status", "step", "log", "emit", "prompt", "answer", "event", "signal", "llm",
    ] {
        assert!(
            kinds.contains(&k.to_string()),
            "{k} is not an EventKind: {kinds:?}"
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["EventView"]["properties"]["kind"]["$ref"],
        "#/components/schemas/EventKind"
    );

    assert_eq!(
        doc["components"]["schemas"]["PromptInput"]["enum"],
        serde_json::json!(["approval", "text", "choice", "number", "json"]),
        "a prompt's input type is an enum in the OpenAPI document"
    );

    let vocabulary = get_text(&s.base, "/vocabulary.js").await;
    assert_eq!(const_list(&vocabulary, "EVENT_KINDS"), kinds);
    let statuses = const_list(&vocabulary, "STATUSES");
    assert_eq!(statuses.len(), 8);
    assert_eq!(
        const_list(&vocabulary, "TERMINAL"),
        ["completed", "failed", "cancelled", "diverged"]
    );
    assert_eq!(const_list(&vocabulary, "RETRYABLE"), ["failed", "diverged"]);
    let entries = const_list(&vocabulary, "ENTRY_KINDS");
    assert!(entries.contains(&"step-attempt".to_string()), "{entries:?}");

    let index = get_text(&s.base, "/").await;
    let (v, r) = (
        index.find("/vocabulary.js").unwrap(),
        index.find("/run.js").unwrap(),
    );
    assert!(
        v < r,
        "the page loads its vocabulary before the scripts using it"
    );
    for script in ["/run.js", "/app.js"] {
        let text = get_text(&s.base, script).await;
        for known in ["const STATUSES", "const TERMINAL", "const RETRYABLE"] {
            assert!(!text.contains(known), "{script} defines {known} itself");
        }
        for k in kinds_matched(&text) {
            assert!(
                kinds.contains(&k) || entries.contains(&k),
                "{script} matches kind {k:?}, which the server does not have"
            );
        }
    }
}
