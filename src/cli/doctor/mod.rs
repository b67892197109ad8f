//! `harness doctor`: checks each capability and says, per line, what works and what to fix.
//! Exit 0 when everything needed works, 1 otherwise. This file checks the config, the store and
//! file permissions; `capabilities.rs` checks the providers and the sandbox; `check.rs` is the
//! outcome both produce.

mod capabilities;
mod check;

pub use check::Check;

use super::{CliContext, CliError, CliResult, print_out};
use crate::config::Overrides;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub async fn run(ctx: &CliContext) -> CliResult {
    let checks = collect(ctx).await;
    let mut out = String::new();
    for c in &checks {
        out.push_str(&format!(
            "{} {:<10} {}\n",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        ));
    }
    print_out(&out);
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed == 0 {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "{failed} check(s) failed: see the FAIL lines above"
        )))
    }
}

async fn collect(ctx: &CliContext) -> Vec<Check> {
    let mut checks = Vec::new();
    let config = match ctx.load_config(&Overrides::default()) {
        Ok(config) => {
            let problems = crate::core::check::problems(&config, &ctx.paths);
            if problems.is_empty() {
                checks.push(Check::pass(
                    "config",
                    if ctx.paths.config_file.exists() {
                        format!("{} ({} providers)", ctx.paths.config_file.display(), config.providers.len())
                    } else {
                        format!("{} not present: using defaults and providers from the environment (`harness init` writes one)", ctx.paths.config_file.display())
                    },
                ));
            } else {
                for p in problems {
                    checks.push(Check::fail(
                        "config",
                        match p.line {
                            Some(l) => {
                                format!("{}:{l}: {}", ctx.paths.config_file.display(), p.message)
                            }
                            None => p.message,
                        },
                    ));
                }
            }
            if let Some(warning) = crate::config::exposure::literal_key_exposure(&config) {
                checks.push(Check::fail("secrets", warning));
            }
            Some(config)
        }
        Err(e) => {
            checks.push(Check::fail("config", e.message));
            None
        }
    };

    match crate::store::Store::open(&ctx.paths.db) {
        Ok(store) => {
            let version = store
                .call(|c| Ok(crate::store::migrate::user_version(c)?))
                .await
                .unwrap_or(0);
            checks.push(Check::pass(
                "store",
                format!("{} (schema version {version})", ctx.paths.db.display()),
            ));
            checks.push(permissions_check(&ctx.paths.db, 0o600));
            if let Some(dir) = ctx.paths.db.parent() {
                checks.push(permissions_check(dir, 0o700));
            }
        }
        Err(e) => checks.push(Check::fail("store", e.to_string())),
    }
    checks.extend(capabilities::capability_checks(config.as_ref(), &ctx.paths).await);
    checks.extend(super::mcp::doctor_checks(config.as_ref()).await);
    checks.extend(super::hooks::doctor_checks(config.as_ref(), ctx));
    checks
}

fn permissions_check(path: &Path, want: u32) -> Check {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & !want == 0 {
                Check::pass("perms", format!("{} is {mode:o}", path.display()))
            } else {
                Check::fail(
                    "perms",
                    format!(
                        "{} is {mode:o}, readable by others: run chmod {want:o} {}",
                        path.display(),
                        path.display()
                    ),
                )
            }
        }
        Err(e) => Check::fail("perms", format!("{}: {e}", path.display())),
    }
}
