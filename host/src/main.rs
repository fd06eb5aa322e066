//! The `cairn` command line.

mod cli;

fn main() -> std::process::ExitCode {
    restore_sigpipe();
    cli::main()
}

/// Rust ignores SIGPIPE, so `cairn runs | head` would panic on a closed
/// pipe; a command-line tool should end quietly instead.
#[allow(unsafe_code)] // one libc call with no preconditions
fn restore_sigpipe() {
    // SAFETY: resetting a signal disposition to its default is always sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
