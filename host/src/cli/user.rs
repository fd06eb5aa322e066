//! Who is at the keyboard: the default of `--by` for `respond` and
//! `signal`.

/// `$USER` (or `$LOGNAME`, `$USERNAME`); when none is set (a container, a
/// cron job, `env -i`), the name of the process's user in the user
/// database; failing that, `uid:N`.
pub fn os_user() -> String {
    if let Some(name) = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    {
        return name;
    }
    let uid = uid();
    user_name(uid).unwrap_or_else(|| format!("uid:{uid}"))
}

#[allow(unsafe_code)] // one libc call with no preconditions
fn uid() -> libc::uid_t {
    // SAFETY: getuid takes nothing, always succeeds and touches no memory.
    unsafe { libc::getuid() }
}

/// The user database's name for `uid` (through NSS, so LDAP users too).
#[allow(unsafe_code)] // getpwuid_r into buffers this function owns
fn user_name(uid: libc::uid_t) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: `passwd` is plain data; all-zero is a valid value of it.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, `buf.len()` is the
    // buffer's length, and `pwd`'s strings point into `buf`, which
    // outlives their use below.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success `pw_name` is a NUL-terminated string in `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    name.to_str()
        .ok()
        .filter(|n| !n.is_empty())
        .map(String::from)
}
