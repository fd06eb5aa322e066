//! Prompts and answers: what a well-formed prompt is, and whether an
//! answer fits one. Used by `ctx.wait_for_user` (to refuse a malformed
//! prompt and check its default) and by `cairn respond` (to refuse an
//! answer that does not fit, saying what would).

use serde_json::{Value, json};

use crate::engine::bindings::types::{InputType, Prompt};
use crate::journal::{PromptInput, PromptOptionRecord, PromptRecord, UnixMs};

/// An input type as journaled.
pub fn prompt_input(t: InputType) -> PromptInput {
    match t {
        InputType::Approval => PromptInput::Approval,
        InputType::Text => PromptInput::Text,
        InputType::Choice => PromptInput::Choice,
        InputType::Number => PromptInput::Number,
        InputType::Json => PromptInput::Json,
    }
}

/// Checks and normalises a prompt from the body: an approval without
/// options gets Approve / Reject (`approve`, `reject`). `Err` is the
/// `bad-prompt` message.
pub fn prompt_record(p: &Prompt, deadline: Option<UnixMs>) -> Result<PromptRecord, String> {
    let input_type = prompt_input(p.input_type);
    if p.question.trim().is_empty() {
        return Err("the prompt's question is empty".into());
    }
    let options = prompt_options(p)?;
    if let (Some(min), Some(max)) = (p.min, p.max)
        && min > max
    {
        return Err(format!("the prompt's min ({min}) is above its max ({max})"));
    }
    let schema = prompt_schema(p)?;
    let context = p
        .context
        .as_ref()
        .map(|c| serde_json::from_str(c).unwrap_or_else(|_| Value::String(c.clone())));
    let mut record = PromptRecord {
        question: p.question.clone(),
        input_type,
        options,
        min: p.min,
        max: p.max,
        schema,
        default: None,
        context,
        deadline,
    };
    if let Some(d) = &p.default {
        let value: Value = serde_json::from_str(d)
            .map_err(|e| format!("the prompt's default is not JSON: {e}"))?;
        let value = check_answer(&record, value)
            .map_err(|e| format!("the prompt's default does not fit it: {e}"))?;
        record.default = Some(value);
    }
    Ok(record)
}

/// The prompt's options, labelled, with Approve / Reject for an approval
/// that gives none.
fn prompt_options(p: &Prompt) -> Result<Vec<PromptOptionRecord>, String> {
    let mut options: Vec<PromptOptionRecord> = p
        .options
        .iter()
        .map(|o| PromptOptionRecord {
            id: o.id.clone(),
            label: if o.label.is_empty() {
                o.id.clone()
            } else {
                o.label.clone()
            },
        })
        .collect();
    match p.input_type {
        InputType::Approval if options.is_empty() => {
            options = vec![
                PromptOptionRecord {
                    id: "approve".into(),
                    label: "Approve".into(),
                },
                PromptOptionRecord {
                    id: "reject".into(),
                    label: "Reject".into(),
                },
            ];
        }
        InputType::Choice if options.is_empty() => {
            return Err("a choice prompt needs at least one option".into());
        }
        _ => {}
    }
    for (i, o) in options.iter().enumerate() {
        if o.id.is_empty() {
            return Err(format!("option {} of the prompt has an empty id", i + 1));
        }
        if options[..i].iter().any(|p| p.id == o.id) {
            return Err(format!("the prompt has two options with id `{}`", o.id));
        }
    }
    Ok(options)
}

/// The prompt's JSON Schema, checked to be one.
fn prompt_schema(p: &Prompt) -> Result<Option<Value>, String> {
    Ok(match &p.schema {
        None => None,
        Some(text) => {
            let schema: Value = serde_json::from_str(text)
                .map_err(|e| format!("the prompt's JSON Schema is not JSON: {e}"))?;
            jsonschema::validator_for(&schema)
                .map_err(|e| format!("the prompt's JSON Schema is not valid: {e}"))?;
            Some(schema)
        }
    })
}

/// Reads an answer given on the command line as plain text: an option id
/// (or label) for approval and choice, a number, any text, or JSON text
/// for a `json` prompt.
pub fn parse_plain(prompt: &PromptRecord, text: &str) -> Result<Value, String> {
    match prompt.input_type {
        PromptInput::Number => {
            let t = text.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(json!(i));
            }
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(json!(f)),
                _ => Err(format!("`{text}` is not a number; {}", what_fits(prompt))),
            }
        }
        PromptInput::Json => serde_json::from_str(text)
            .map_err(|e| format!("the answer is not valid JSON ({e}); {}", what_fits(prompt))),
        _ => Ok(Value::String(text.to_string())),
    }
}

/// Checks that `value` answers `prompt`; returns it normalised (an option
/// given by its label becomes its id). `Err` says what would fit.
pub fn check_answer(prompt: &PromptRecord, value: Value) -> Result<Value, String> {
    match prompt.input_type {
        PromptInput::Approval | PromptInput::Choice => {
            let given = match &value {
                Value::String(s) => s.clone(),
                other => {
                    return Err(format!(
                        "{other} is not one of the options; {}",
                        what_fits(prompt)
                    ));
                }
            };
            if let Some(o) = prompt.options.iter().find(|o| o.id == given) {
                return Ok(Value::String(o.id.clone()));
            }
            if let Some(o) = prompt
                .options
                .iter()
                .find(|o| o.label.eq_ignore_ascii_case(&given))
            {
                return Ok(Value::String(o.id.clone()));
            }
            Err(format!(
                "`{given}` is not one of the options; {}",
                what_fits(prompt)
            ))
        }
        PromptInput::Text => match value {
            Value::String(_) => Ok(value),
            other => Err(format!("{other} is not text; {}", what_fits(prompt))),
        },
        PromptInput::Number => {
            let Some(n) = value.as_f64().filter(|n| n.is_finite()) else {
                return Err(format!("{value} is not a number; {}", what_fits(prompt)));
            };
            if prompt.min.is_some_and(|min| n < min) || prompt.max.is_some_and(|max| n > max) {
                return Err(format!("{n} is out of range; {}", what_fits(prompt)));
            }
            Ok(value)
        }
        PromptInput::Json => {
            if let Some(schema) = &prompt.schema {
                let validator = jsonschema::validator_for(schema)
                    .map_err(|e| format!("the prompt's JSON Schema is not valid: {e}"))?;
                let errors: Vec<String> = validator
                    .iter_errors(&value)
                    .take(5)
                    .map(|e| {
                        let path = e.instance_path().to_string();
                        if path.is_empty() {
                            e.to_string()
                        } else {
                            format!("at {path}: {e}")
                        }
                    })
                    .collect();
                if !errors.is_empty() {
                    return Err(format!(
                        "the answer does not match the prompt's JSON Schema ({}); {}",
                        errors.join("; "),
                        what_fits(prompt)
                    ));
                }
            }
            Ok(value)
        }
    }
}

/// What a fitting answer looks like, for refusal messages and listings.
pub fn what_fits(prompt: &PromptRecord) -> String {
    match prompt.input_type {
        PromptInput::Approval | PromptInput::Choice => {
            let ids: Vec<String> = prompt
                .options
                .iter()
                .map(|o| {
                    if o.label == o.id {
                        format!("`{}`", o.id)
                    } else {
                        format!("`{}` ({})", o.id, o.label)
                    }
                })
                .collect();
            format!("answer one of: {}", ids.join(", "))
        }
        PromptInput::Text => "any text fits".into(),
        PromptInput::Number => match (prompt.min, prompt.max) {
            (Some(a), Some(b)) => format!("answer a number from {a} to {b}"),
            (Some(a), None) => format!("answer a number of at least {a}"),
            (None, Some(b)) => format!("answer a number of at most {b}"),
            (None, None) => "answer a number".into(),
        },
        PromptInput::Json => match &prompt.schema {
            Some(s) => format!("answer JSON matching the schema {s}"),
            None => "answer any JSON value".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::bindings::types::PromptOption;

    fn prompt(t: InputType) -> Prompt {
        Prompt {
            question: "q?".into(),
            input_type: t,
            options: vec![],
            min: None,
            max: None,
            schema: None,
            timeout_ms: None,
            default: None,
            context: None,
        }
    }

    #[test]
    fn approval_gets_approve_and_reject() {
        let r = prompt_record(&prompt(InputType::Approval), None).unwrap();
        let ids: Vec<&str> = r.options.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["approve", "reject"]);
        assert_eq!(
            check_answer(&r, json!("approve")).unwrap(),
            json!("approve")
        );
        assert_eq!(check_answer(&r, json!("Reject")).unwrap(), json!("reject"));
        let e = check_answer(&r, json!("maybe")).unwrap_err();
        assert!(e.contains("`approve` (Approve)"), "{e}");
    }

    #[test]
    fn malformed_prompts_are_refused() {
        assert!(prompt_record(&prompt(InputType::Choice), None).is_err());
        let mut p = prompt(InputType::Choice);
        p.options = vec![
            PromptOption {
                id: "a".into(),
                label: "A".into(),
            },
            PromptOption {
                id: "a".into(),
                label: "B".into(),
            },
        ];
        assert!(prompt_record(&p, None).unwrap_err().contains("two options"));
        let mut p = prompt(InputType::Number);
        p.min = Some(5.0);
        p.max = Some(1.0);
        assert!(prompt_record(&p, None).is_err());
        let mut p = prompt(InputType::Json);
        p.schema = Some("{\"type\": 12}".into());
        assert!(prompt_record(&p, None).is_err());
        let mut p = prompt(InputType::Approval);
        p.default = Some("\"later\"".into());
        assert!(prompt_record(&p, None).unwrap_err().contains("default"));
    }

    #[test]
    fn numbers_and_json_are_checked() {
        let mut p = prompt(InputType::Number);
        p.min = Some(1.0);
        p.max = Some(10.0);
        let r = prompt_record(&p, None).unwrap();
        assert_eq!(parse_plain(&r, "7").unwrap(), json!(7));
        assert!(
            parse_plain(&r, "seven")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            check_answer(&r, json!(11))
                .unwrap_err()
                .contains("from 1 to 10")
        );
        let mut p = prompt(InputType::Json);
        p.schema = Some(r#"{"type": "object", "required": ["n"]}"#.into());
        let r = prompt_record(&p, None).unwrap();
        assert!(parse_plain(&r, "{").unwrap_err().contains("not valid JSON"));
        assert!(check_answer(&r, json!({"n": 1})).is_ok());
        let e = check_answer(&r, json!({"m": 1})).unwrap_err();
        assert!(e.contains("JSON Schema"), "{e}");
    }
}
