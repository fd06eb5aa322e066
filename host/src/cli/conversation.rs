//! The events an SDK agent emits (`agent.turn`, `agent.tool`; see the Rust
//! SDK's `Agent`) as lines of a conversation, for `runs watch`, `runs
//! show` and the progress of `run --wait`:
//!
//! ```text
//! support turn 1 (21+7 tokens) calls lookup_order {"order_id":"A-1003"}
//! support ← lookup_order done: {"order_id":"A-1003","status":"delivered, damaged",…}
//! support turn 2 (21+7 tokens) says: Your mug is refunded.
//! ```

use serde_json::Value;

use super::format::json_brief;

/// The line for an emitted event of kind `kind`, when it is an agent's.
pub fn agent_line(kind: &str, data: &Value) -> Option<String> {
    let s = |k: &str| data[k].as_str().unwrap_or("?").to_string();
    match kind {
        "agent.turn" => {
            let mut line = format!(
                "{} turn {} ({}+{} tokens)",
                s("agent"),
                data["turn"],
                data["input_tokens"],
                data["output_tokens"]
            );
            let content = data["content"].as_str().unwrap_or_default().trim();
            if !content.is_empty() {
                line.push_str(&format!(" says: {}", brief(content, 200)));
            }
            let calls: Vec<String> = data["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let args = c["arguments"].as_str().unwrap_or_default();
                    format!(
                        "{} {}",
                        c["name"].as_str().unwrap_or("?"),
                        json_brief(args, 120)
                    )
                })
                .collect();
            if !calls.is_empty() {
                line.push_str(&format!(" calls {}", calls.join(", ")));
            }
            Some(line)
        }
        "agent.tool" => Some(format!(
            "{} ← {} {}: {}",
            s("agent"),
            s("tool"),
            s("status"),
            brief(data["result"].as_str().unwrap_or_default(), 200)
        )),
        _ => None,
    }
}

/// `text` on one line, cut to `max` characters.
fn brief(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::agent_line;
    use serde_json::json;

    #[test]
    fn turns_and_tool_results_read_as_a_conversation() {
        let turn = json!({"agent": "support", "turn": 1, "content": "",
            "tool_calls": [{"id": "c1", "name": "lookup_order", "arguments": "{\"order_id\": \"A-1\"}"}],
            "input_tokens": 21, "output_tokens": 7});
        assert_eq!(
            agent_line("agent.turn", &turn).unwrap(),
            "support turn 1 (21+7 tokens) calls lookup_order {\"order_id\":\"A-1\"}"
        );
        let tool = json!({"agent": "support", "tool": "lookup_order", "status": "done",
            "result": "{\"status\":\"shipped\"}"});
        assert_eq!(
            agent_line("agent.tool", &tool).unwrap(),
            "support ← lookup_order done: {\"status\":\"shipped\"}"
        );
        let last = json!({"agent": "a", "turn": 2, "content": "All\ndone.", "tool_calls": [],
            "input_tokens": 1, "output_tokens": 2});
        assert_eq!(
            agent_line("agent.turn", &last).unwrap(),
            "a turn 2 (1+2 tokens) says: All done."
        );
        assert!(agent_line("charged", &json!({})).is_none());
    }
}
