//! `harness init [--yes] [--force]`: writes a commented config.toml from the providers found in
//! the environment (`config::template`), mode 0600 in a 0700 directory. It never overwrites
//! without `--force` (and then keeps the old file as `config.toml.bak`); on a terminal without
//! `--yes` it shows the file and asks first.

use super::args::InitArgs;
use super::{CliContext, CliError, CliResult, print_out};
use crate::config::env_providers;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub async fn run(ctx: &CliContext, args: InitArgs) -> CliResult {
    let path = ctx.paths.config_file.clone();
    if path.exists() && !args.force {
        return Err(CliError::usage(format!(
            "{} already exists: edit it, or run `harness init --force` to replace it (the old file is kept as {})",
            path.display(),
            backup_path(&path).display()
        )));
    }
    let env = |k: &str| std::env::var(k).ok();
    let found =
        env_providers::detect(&env, &|| env_providers::local_ollama_live(&env)).map_err(|e| {
            CliError::usage(format!("{e}: fix or unset it, then run harness init again"))
        })?;
    let text = crate::config::template::render(&found);

    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !args.yes && interactive {
        print_out(&format!("{text}\n"));
        print_out(&format!("Write this to {}? [Y/n] ", path.display()));
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| CliError::failed(format!("cannot read the answer: {e}")))?;
        if matches!(answer.trim().to_lowercase().as_str(), "n" | "no") {
            print_out("nothing written\n");
            return Ok(());
        }
    }

    write_private(&path, &text).map_err(|e| {
        CliError::failed(format!(
            "cannot write {}: {e}: check the directory is writable, or set HARNESS_HOME",
            path.display()
        ))
    })?;
    let summary = if found.is_empty() {
        "no provider found in the environment: every provider block is commented out; \
         uncomment one and export its key"
            .to_string()
    } else {
        format!(
            "providers: {}",
            found
                .iter()
                .map(|p| format!("{} ({})", p.name, p.origin.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    print_out(&format!(
        "wrote {}\n{summary}\nnext: `harness doctor` checks the setup, `harness` starts a chat\n",
        path.display()
    ));
    Ok(())
}

fn backup_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

/// Write `text` to `path` with mode 0600 (its directory 0700 when created), replacing it in one
/// rename; an existing file is kept as `<name>.bak`.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    crate::config::paths::create_private_dir(&dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".config.toml.")
        .tempfile_in(&dir)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    if path.exists() {
        std::fs::copy(path, backup_path(path))?;
        std::fs::set_permissions(backup_path(path), std::fs::Permissions::from_mode(0o600))?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_0600_keeps_a_backup_and_creates_a_private_dir() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("new/config.toml");
        write_private(&path, "a = 1\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        write_private(&path, "b = 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b = 2\n");
        assert_eq!(
            std::fs::read_to_string(backup_path(&path)).unwrap(),
            "a = 1\n"
        );
        assert_eq!(mode(&backup_path(&path)), 0o600);
        let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }
}
