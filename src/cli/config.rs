//! `harness config path|show|check`. `show` prints the effective configuration (every layer
//! applied) as TOML with keys as `***`; `check` validates and names every problem with its line.

use super::args::ConfigCommand;
use super::{CliContext, CliError, CliResult, print_out};
use crate::config::Overrides;

pub async fn run(ctx: &CliContext, cmd: ConfigCommand) -> CliResult {
    match cmd {
        ConfigCommand::Path => {
            print_out(&format!("{}\n", ctx.paths.config_file.display()));
            Ok(())
        }
        ConfigCommand::Show => {
            let config = ctx.load_config(&Overrides::default())?;
            let text = toml::to_string_pretty(&config)
                .map_err(|e| CliError::failed(format!("cannot render the config: {e}")))?;
            let origin = if ctx.paths.config_file.exists() {
                format!("# {}\n", ctx.paths.config_file.display())
            } else {
                format!(
                    "# {} does not exist; these are the defaults\n",
                    ctx.paths.config_file.display()
                )
            };
            print_out(&origin);
            print_out(&text);
            if !text.ends_with('\n') {
                print_out("\n");
            }
            Ok(())
        }
        ConfigCommand::Check => {
            let config = ctx.load_config(&Overrides::default())?;
            let problems = crate::core::check::problems(&config, &ctx.paths);
            if problems.is_empty() {
                let where_ = if ctx.paths.config_file.exists() {
                    ctx.paths.config_file.display().to_string()
                } else {
                    format!(
                        "{} (not present; defaults)",
                        ctx.paths.config_file.display()
                    )
                };
                print_out(&format!(
                    "config OK: {where_}: {} provider(s), {} model alias(es), {} router rule(s)\n",
                    config.providers.len(),
                    config.models.len(),
                    config.router.rules.len()
                ));
                Ok(())
            } else {
                let file = ctx.paths.config_file.display();
                let lines: Vec<String> = problems
                    .iter()
                    .map(|p| match p.line {
                        Some(line) => format!("{file}:{line}: {}", p.message),
                        None => format!("{file}: {}", p.message),
                    })
                    .collect();
                Err(CliError::usage(format!(
                    "config has {} problem(s):\n{}",
                    lines.len(),
                    lines.join("\n")
                )))
            }
        }
    }
}
