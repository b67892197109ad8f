//! What to do when a test's prerequisite (Docker, tmux, the sandbox test base) is missing: on a
//! developer's machine the test is skipped with the reason printed; with `CI=true` it fails, so
//! a CI run can never pass by skipping what it was meant to test.

/// Whether missing prerequisites fail tests (`CI=true`).
pub fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Report a missing prerequisite: panics under `CI=true`, else prints `SKIPPED` and returns
/// (the caller then returns from the test).
pub fn missing(test: &str, why: &str) {
    if strict() {
        panic!(
            "{test}: {why}; CI=true, so this fails instead of skipping (scripts/test installs it)"
        );
    }
    eprintln!("SKIPPED {test}: {why}");
}
