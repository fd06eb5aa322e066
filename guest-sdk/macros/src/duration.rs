//! Humane durations in attribute options: `"200ms"`, `"30s"`, `"5m"`,
//! `"1h"`, and sums such as `"1m30s"`.

/// Milliseconds in `text`, or a message saying what is wrong.
pub(crate) fn parse_millis(text: &str) -> Result<u64, String> {
    let hint = "write a duration such as \"200ms\", \"30s\", \"5m\", \"1h\" or \"1m30s\"";
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("empty duration; {hint}"));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("`{text}` is not a duration; {hint}"));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}` is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        rest = &rest[unit_len..];
        let scale = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" if text == "0" => 0,
            "" => return Err(format!("`{text}` has no unit; {hint}")),
            other => return Err(format!("unknown unit `{other}` in `{text}`; {hint}")),
        };
        total = number
            .checked_mul(scale)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| format!("`{text}` is too large"))?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::parse_millis;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(parse_millis("200ms"), Ok(200));
        assert_eq!(parse_millis("30s"), Ok(30_000));
        assert_eq!(parse_millis("5m"), Ok(300_000));
        assert_eq!(parse_millis("1h"), Ok(3_600_000));
        assert_eq!(parse_millis("1m30s"), Ok(90_000));
        assert_eq!(parse_millis("0"), Ok(0));
    }

    #[test]
    fn refuses_nonsense() {
        assert!(parse_millis("").is_err());
        assert!(parse_millis("30").is_err());
        assert!(parse_millis("3d").is_err());
        assert!(parse_millis("s").is_err());
        assert!(parse_millis("1.5s").is_err());
    }
}
