//! The one place where the store's queries learn their profile. Every job a [`super::Store`]
//! handle sends to the store thread runs inside [`scoped`], which sets the handle's profile for
//! the job; SQL reads it back through the `harness_profile()` function registered on the
//! connection, so a query filters with `profile = harness_profile()` and no caller passes (or
//! can forget to pass, or can forge) a profile. Jobs run one at a time on the store thread, so
//! the value is that of the job running.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use std::cell::RefCell;

use crate::profile::DEFAULT_PROFILE;

thread_local! {
    static CURRENT: RefCell<String> = RefCell::new(DEFAULT_PROFILE.to_string());
}

/// Register `harness_profile()` on `conn`. Not deterministic: its value changes between jobs,
/// so SQLite must not fold it into a cached plan.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function("harness_profile", 0, FunctionFlags::SQLITE_UTF8, |_| {
        Ok(CURRENT.with(|c| c.borrow().clone()))
    })
}

/// Run `f` with `profile` as the value of `harness_profile()` on this thread.
pub fn scoped<R>(profile: &str, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace(profile.to_string()));
    let result = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_answers_the_scoped_profile_and_restores_it() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let ask = || -> String {
            conn.query_row("SELECT harness_profile()", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(ask(), "default");
        assert_eq!(scoped("work", ask), "work");
        assert_eq!(scoped("a", || scoped("b", ask)), "b");
        assert_eq!(ask(), "default");
    }
}
