//! `harness hooks list [--json] | trust | untrust`: the hooks in force here (config.toml and the
//! project's `.harness/hooks.toml`), and the user's approval of the project file's current
//! content (it runs code, so it runs only once approved, and again only after every change is
//! approved).

use super::args::HooksCommand;
use super::{CliContext, CliError, CliResult, print_json, print_out};
use crate::config::Overrides;
use crate::hooks::{Hooks, PROJECT_HOOKS_FILE, ProjectHooks, trust};
use serde::Serialize;

#[derive(Serialize)]
struct HookRow<'a> {
    event: &'static str,
    matcher: Option<&'a str>,
    command: &'a str,
    timeout_secs: u64,
}

#[derive(Serialize)]
struct Listing<'a> {
    hooks: Vec<HookRow<'a>>,
    /// `absent`, `trusted`, `untrusted` or `invalid`.
    project_file: &'static str,
    project_error: Option<&'a str>,
}

pub async fn run(ctx: &CliContext, command: HooksCommand) -> CliResult {
    let workspace = std::env::current_dir()
        .map_err(|e| CliError::usage(format!("cannot read the current directory: {e}")))?;
    let trust_file = trust::trust_file(&ctx.paths.db);
    let project_file = workspace.join(PROJECT_HOOKS_FILE);
    match command {
        HooksCommand::List(flags) => {
            let config = ctx.load_config(&Overrides::default())?;
            let hooks = Hooks::load(
                &config.hooks,
                &workspace,
                &trust_file,
                &config.sandbox.env_allow,
            );
            let (state, error) = match hooks.project() {
                ProjectHooks::Absent => ("absent", None),
                ProjectHooks::Trusted(_) => ("trusted", None),
                ProjectHooks::Untrusted(_) => ("untrusted", None),
                ProjectHooks::Invalid { error, .. } => ("invalid", Some(error.as_str())),
            };
            let listing = Listing {
                hooks: hooks
                    .listed()
                    .into_iter()
                    .map(|(event, spec)| HookRow {
                        event: event.as_str(),
                        matcher: spec.matcher.as_deref(),
                        command: &spec.command,
                        timeout_secs: spec.timeout_secs,
                    })
                    .collect(),
                project_file: state,
                project_error: error,
            };
            if flags.json {
                return print_json(&listing);
            }
            let mut out = String::new();
            if listing.hooks.is_empty() {
                out.push_str("no hooks in force\n");
            }
            for row in &listing.hooks {
                out.push_str(&format!(
                    "{:<13} {:<10} {} ({}s)\n",
                    row.event,
                    row.matcher.unwrap_or("*"),
                    row.command,
                    row.timeout_secs
                ));
            }
            if let Some(notice) = hooks.project_notice() {
                out.push_str(&format!("note: {notice}\n"));
            }
            print_out(&crate::sanitize::strip(&out));
            Ok(())
        }
        HooksCommand::Trust => {
            let text = std::fs::read_to_string(&project_file).map_err(|e| {
                CliError::usage(format!(
                    "cannot read {}: {e} (run this in the project's directory)",
                    project_file.display()
                ))
            })?;
            let parsed = crate::hooks::parse_project(&text).map_err(|e| {
                CliError::usage(format!("{} is not valid: {e}", project_file.display()))
            })?;
            trust::trust(&trust_file, &project_file, &text).map_err(|e| {
                CliError::failed(format!(
                    "cannot save the approval in {}: {e}",
                    trust_file.display()
                ))
            })?;
            let count = parsed.all().count();
            print_out(&format!(
                "trusted {} ({count} hook{}); a change to it needs `harness hooks trust` again\n",
                project_file.display(),
                if count == 1 { "" } else { "s" }
            ));
            Ok(())
        }
        HooksCommand::Untrust => {
            let had = trust::untrust(&trust_file, &project_file).map_err(|e| {
                CliError::failed(format!("cannot save {}: {e}", trust_file.display()))
            })?;
            print_out(&if had {
                format!("{} is no longer trusted\n", project_file.display())
            } else {
                format!("{} was not trusted\n", project_file.display())
            });
            Ok(())
        }
    }
}

/// `doctor`'s line about hooks: how many are in force, and the project file's state (an
/// invalid approved file fails; an untrusted one is only pointed out).
pub fn doctor_checks(
    config: Option<&crate::config::Config>,
    ctx: &CliContext,
) -> Vec<super::doctor::Check> {
    let Some(config) = config else {
        return Vec::new();
    };
    let Ok(workspace) = std::env::current_dir() else {
        return Vec::new();
    };
    let hooks = Hooks::load(
        &config.hooks,
        &workspace,
        &trust::trust_file(&ctx.paths.db),
        &config.sandbox.env_allow,
    );
    if hooks.listed().is_empty() && hooks.project() == &ProjectHooks::Absent {
        return Vec::new();
    }
    let count = hooks.listed().len();
    let summary = format!("{count} hook{} in force", if count == 1 { "" } else { "s" });
    match (hooks.project(), hooks.project_notice()) {
        (ProjectHooks::Invalid { .. }, Some(notice)) => {
            vec![super::doctor::Check::fail(
                "hooks",
                format!("{summary}; {notice}"),
            )]
        }
        (_, Some(notice)) => vec![super::doctor::Check::pass(
            "hooks",
            format!("{summary}; {notice}"),
        )],
        (_, None) => vec![super::doctor::Check::pass("hooks", summary)],
    }
}
