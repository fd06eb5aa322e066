//! Captured stdout and stderr of an instance.
//!
//! A body's prints go to the run log, but only when the body is past the
//! end of its journal: while it replays, what it prints was printed before,
//! so the sink is muted.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// `stdout` or `stderr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Most bytes kept per activation; the rest is dropped with a note.
const MAX_CAPTURE: usize = 1 << 20;

/// Collects lines an instance prints.
#[derive(Debug, Default)]
pub struct OutputSink {
    muted: AtomicBool,
    inner: Mutex<SinkInner>,
}

#[derive(Debug, Default)]
struct SinkInner {
    partial: [Vec<u8>; 2],
    lines: Vec<(Stream, String)>,
    bytes: usize,
    truncated: bool,
}

impl OutputSink {
    /// A new, unmuted sink.
    pub fn new() -> Arc<OutputSink> {
        Arc::new(OutputSink::default())
    }

    /// Mutes or unmutes the sink (muted while replaying).
    pub fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    fn write(&self, stream: Stream, bytes: &[u8]) {
        if self.muted.load(Ordering::Relaxed) {
            return;
        }
        let mut inner = self.inner.lock().expect("output sink");
        if inner.bytes + bytes.len() > MAX_CAPTURE {
            inner.truncated = true;
            return;
        }
        inner.bytes += bytes.len();
        let idx = stream as usize;
        inner.partial[idx].extend_from_slice(bytes);
        while let Some(pos) = inner.partial[idx].iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = inner.partial[idx].drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            inner.lines.push((stream, text));
        }
    }

    /// Takes the complete lines printed so far; with `all`, also the
    /// unterminated rest.
    pub fn take(&self, all: bool) -> Vec<(Stream, String)> {
        let mut inner = self.inner.lock().expect("output sink");
        if all {
            for stream in [Stream::Stdout, Stream::Stderr] {
                let rest = std::mem::take(&mut inner.partial[stream as usize]);
                if !rest.is_empty() {
                    inner
                        .lines
                        .push((stream, String::from_utf8_lossy(&rest).into_owned()));
                }
            }
            if std::mem::take(&mut inner.truncated) {
                inner.lines.push((
                    Stream::Stderr,
                    format!("[cairn: output beyond {MAX_CAPTURE} bytes was dropped]"),
                ));
            }
        }
        std::mem::take(&mut inner.lines)
    }
}

/// One of an instance's output streams, writing into a sink.
#[derive(Clone)]
pub struct Capture {
    sink: Arc<OutputSink>,
    stream: Stream,
}

impl Capture {
    /// Captures `stream` into `sink`.
    pub fn new(sink: Arc<OutputSink>, stream: Stream) -> Capture {
        Capture { sink, stream }
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Capture {
    async fn ready(&mut self) {}
}

impl OutputStream for Capture {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.sink.write(self.stream, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for Capture {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.sink.write(self.stream, buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
