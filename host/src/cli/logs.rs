//! The host's own log lines on standard error: `RUST_LOG` picks what is
//! logged (default `warn`), `--log-format` how each line is written.

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: time, level, the span's fields, the message (in
    /// colour on a terminal only).
    #[default]
    Text,
    /// One JSON object a line (`timestamp`, `level`, `fields` with the
    /// `message`, `span` and `spans`), for log shippers.
    Json,
}

/// Installs the subscriber for the process.
pub fn init(format: LogFormat) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a file or a pipe gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}
