//! What `wasi:http` may do: nothing in a body, allow-listed hosts in a step.

use wasmtime_wasi_http::{RequestOptions, WasiHttpHooks};

/// Asked before each request of a step goes out: `Err` (a message) stops
/// it. The runtime refuses once this worker may have lost the run (its
/// lease lapsed while the attempt ran), so a paused worker that wakes up
/// mid-attempt sends nothing more.
#[derive(Clone)]
pub struct Gate(pub std::sync::Arc<dyn Fn() -> Result<(), String> + Send + Sync>);

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gate")
    }
}

/// Where outbound HTTP is going from.
#[derive(Debug, Clone)]
pub enum HttpPolicy {
    /// The workflow body: every request fails with the rule's message.
    Body,
    /// A step: only these hosts (`host` or `host:port`; `*` allows all),
    /// and only while the gate, if any, allows.
    Step {
        allow: std::sync::Arc<[String]>,
        gate: Option<Gate>,
    },
}

/// The message a body gets for any request.
pub const BODY_RULE: &str = "outbound HTTP is only allowed inside a step (cairn runs the workflow \
    body without network access so it can be replayed; move the call into a #[step])";

impl HttpPolicy {
    /// `Ok` if a request to `host[:port]` may go out.
    pub fn check(&self, host: &str, port: Option<u16>) -> Result<(), String> {
        match self {
            HttpPolicy::Body => Err(BODY_RULE.to_string()),
            HttpPolicy::Step { allow, gate } => {
                if let Some(Gate(gate)) = gate {
                    gate()?;
                }
                let with_port = port.map(|p| format!("{host}:{p}"));
                let ok = allow.iter().any(|a| {
                    a == "*" || a.eq_ignore_ascii_case(host) || Some(a) == with_port.as_ref()
                });
                let target = with_port.as_deref().unwrap_or(host);
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "outbound HTTP to {} is not allowed: this workflow's steps may call {} \
                         (add it with `cairn deploy --allow-http {}`)",
                        target,
                        if allow.is_empty() {
                            "no host".to_string()
                        } else {
                            allow.join(", ")
                        },
                        target
                    ))
                }
            }
        }
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for HttpPolicy {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> ResponseFuture {
        let uri = request.uri();
        let host = uri.host().unwrap_or("").to_string();
        let port = uri.port_u16();
        match self.check(&host, port) {
            Err(msg) => {
                tracing::debug!(%host, "outbound HTTP refused");
                Box::new(async move { Err(wasmtime_wasi_http::Error::InternalError(Some(msg))) })
            }
            Ok(()) => {
                // Allowed: the stock client does the rest.
                let mut default = DefaultHooks;
                default.send_request(request, options, fut)
            }
        }
    }
}

/// The stock hooks of wasmtime-wasi-http (real network, TLS).
struct DefaultHooks;
impl WasiHttpHooks for DefaultHooks {}
