//! Fault injection for the tests that kill levers at each step of a write: when the
//! environment variable `LEVERS_FAULT` names a point, the process aborts there, as `kill -9`
//! would stop it (no destructors, no flushing). Unset, a point costs one lookup of the
//! environment, at steps that write files anyway.

/// Aborts the process if `LEVERS_FAULT` is `name`.
pub(crate) fn point(name: &str) {
    if std::env::var_os("LEVERS_FAULT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}
