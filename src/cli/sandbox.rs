//! `harness sandbox build [--base IMAGE] [--tag TAG]` builds the default image (progress on
//! stdout, see `sandbox::docker::default_image`).
//! `harness sandbox list [--json] | prune [--all]`: show and remove this harness's sandbox
//! containers (those carrying its owner labels; nothing else on the daemon is listed or touched).
//! `prune` removes containers whose owner process is gone; `--all` removes every one, including
//! those of running harness sessions and of other hosts sharing the daemon.

use super::args::SandboxCommand;
use super::{CliContext, CliError, CliResult, print_json, print_out};
use crate::sandbox::SandboxError;
use crate::sandbox::docker::connect::{DockerEndpoint, connect};
use crate::sandbox::docker::default_image::{self, BuildOptions};
use crate::sandbox::docker::orphans::{SandboxContainer, list_containers, remove_containers};

pub async fn run(ctx: &CliContext, command: SandboxCommand) -> CliResult {
    let client = connect(&DockerEndpoint::FromEnv).await.map_err(failed)?;
    match command {
        SandboxCommand::Build { base, tag } => {
            let options = BuildOptions { base, tag };
            options.check().map_err(CliError::usage)?;
            print_out(&format!(
                "building {} from {} (the Dockerfile inside harness)\n",
                options.tag(),
                options.base()
            ));
            let built = default_image::build(&client, &options, &mut |line| {
                print_out(&format!("  {}\n", crate::sanitize::strip(line)));
            })
            .await
            .map_err(failed)?;
            print_out(&format!("built {built}\n{}", after_build(ctx, &built)));
            Ok(())
        }
        SandboxCommand::List { json } => {
            let containers = list_containers(&client).await.map_err(failed)?;
            if json {
                print_json(&containers)
            } else {
                print_out(&render_table(&containers));
                Ok(())
            }
        }
        SandboxCommand::Prune { all } => {
            let removed = remove_containers(&client, all).await.map_err(failed)?;
            print_out(&render_removed(&removed, all));
            Ok(())
        }
    }
}

/// What the user does next: nothing when the config already runs this image.
fn after_build(ctx: &CliContext, built: &str) -> String {
    let configured = ctx
        .load_config(&crate::config::Overrides::default())
        .map(|c| c.sandbox.image)
        .unwrap_or_else(|_| default_image::tag().to_string());
    if configured == built {
        "tool calls use it from now on\n".to_string()
    } else {
        format!(
            "the sandbox runs {configured}: set [sandbox] image = \"{built}\" in {} to use this one\n",
            ctx.paths.config_file.display()
        )
    }
}

fn failed(e: SandboxError) -> CliError {
    CliError::failed(e.to_string())
}

fn render_table(containers: &[SandboxContainer]) -> String {
    if containers.is_empty() {
        return "no harness sandbox containers\n".to_string();
    }
    let now = chrono::Utc::now().timestamp();
    let rows: Vec<[String; 7]> = containers
        .iter()
        .map(|c| {
            [
                c.id.chars().take(12).collect(),
                c.name.clone(),
                c.state.clone(),
                format!("{} ({})", c.owner_pid, c.owner.as_str()),
                c.conversation.chars().take(13).collect(),
                age(now - c.created),
                c.workspace.clone(),
            ]
        })
        .collect();
    let header = [
        "CONTAINER",
        "NAME",
        "STATE",
        "OWNER",
        "CONVERSATION",
        "AGE",
        "WORKSPACE",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn render_removed(removed: &[SandboxContainer], all: bool) -> String {
    if removed.is_empty() {
        return if all {
            "no harness sandbox containers to remove\n".to_string()
        } else {
            "no orphaned sandbox containers (owners still running); `--all` removes those too\n"
                .to_string()
        };
    }
    let mut out = format!("removed {} sandbox container(s)\n", removed.len());
    for c in removed {
        out.push_str(&format!(
            "  {} {} (owner {} {})\n",
            c.id.chars().take(12).collect::<String>(),
            c.name,
            c.owner_pid,
            c.owner.as_str()
        ));
    }
    out
}

fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::docker::OwnerState;

    fn container(name: &str, owner: OwnerState) -> SandboxContainer {
        SandboxContainer {
            id: "0123456789abcdef".into(),
            name: name.into(),
            image: "img".into(),
            state: "running".into(),
            status: "Up".into(),
            conversation: "0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee".into(),
            workspace: "/w".into(),
            owner_pid: 42,
            owner,
            created: chrono::Utc::now().timestamp() - 125,
        }
    }

    #[test]
    fn table_aligns_columns_and_says_when_empty() {
        assert_eq!(render_table(&[]), "no harness sandbox containers\n");
        let text = render_table(&[
            container("harness-a", OwnerState::Alive),
            container("harness-long-name", OwnerState::Gone),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("CONTAINER     NAME"), "{text}");
        assert!(
            lines[1].contains("42 (alive)") && lines[2].contains("42 (gone)"),
            "{text}"
        );
        assert!(lines[1].contains(" 2m "), "{text}");
        let col = |l: &str| l.find("running").unwrap();
        assert_eq!(col(lines[1]), col(lines[2]), "{text}");
    }

    #[test]
    fn ages() {
        assert_eq!(age(-3), "0s");
        assert_eq!(age(59), "59s");
        assert_eq!(age(3600 * 5), "5h");
        assert_eq!(age(86_400 * 3), "3d");
    }

    #[test]
    fn prune_report() {
        assert!(render_removed(&[], false).contains("`--all`"));
        let text = render_removed(&[container("harness-x", OwnerState::Gone)], false);
        assert!(text.starts_with("removed 1 sandbox container(s)\n  0123456789ab harness-x"));
    }
}
