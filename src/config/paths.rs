//! Where the harness keeps its files. `HARNESS_HOME=DIR` puts everything under DIR; otherwise the
//! platform directories from the `directories` crate (config dir for config/agents/themes, data
//! dir for the db, state or cache dir for logs).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessPaths {
    pub config_file: PathBuf,
    pub db: PathBuf,
    pub agents_dir: PathBuf,
    pub themes_dir: PathBuf,
    pub logs_dir: PathBuf,
    /// `HARNESS_HOME` when set.
    pub home: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "cannot find a home directory for harness files: set HARNESS_HOME to a writable directory"
    )]
    NoHome,
}

impl HarnessPaths {
    /// The user's custom slash commands (`commands/*.md` beside `agents/`; under
    /// `HARNESS_HOME` when it is set).
    pub fn commands_dir(&self) -> PathBuf {
        self.agents_dir.with_file_name("commands")
    }

    /// Resolve from the environment (`HARNESS_HOME`, else platform dirs).
    pub fn from_env() -> Result<Self, PathsError> {
        match std::env::var_os("HARNESS_HOME").filter(|v| !v.is_empty()) {
            Some(home) => Ok(Self::under(Path::new(&home))),
            None => Self::platform(),
        }
    }

    /// Everything under one directory.
    pub fn under(home: &Path) -> Self {
        Self {
            config_file: home.join("config.toml"),
            db: home.join("harness.db"),
            agents_dir: home.join("agents"),
            themes_dir: home.join("themes"),
            logs_dir: home.join("logs"),
            home: Some(home.to_path_buf()),
        }
    }

    fn platform() -> Result<Self, PathsError> {
        let dirs = directories::ProjectDirs::from("dev", "harness", "harness")
            .ok_or(PathsError::NoHome)?;
        let config = dirs.config_dir();
        let logs = dirs
            .state_dir()
            .unwrap_or_else(|| dirs.cache_dir())
            .join("logs");
        Ok(Self {
            config_file: config.join("config.toml"),
            db: dirs.data_dir().join("harness.db"),
            agents_dir: config.join("agents"),
            themes_dir: config.join("themes"),
            logs_dir: logs,
            home: None,
        })
    }

    /// Override the config file (`--config PATH`).
    pub fn with_config_file(mut self, path: Option<PathBuf>) -> Self {
        if let Some(p) = path {
            self.config_file = p;
        }
        self
    }
}

/// Create a directory (and parents) that may hold private data, mode 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_lives_under_harness_home() {
        let p = HarnessPaths::under(Path::new("/tmp/hh"));
        assert_eq!(p.config_file, Path::new("/tmp/hh/config.toml"));
        assert_eq!(p.db, Path::new("/tmp/hh/harness.db"));
        assert_eq!(p.agents_dir, Path::new("/tmp/hh/agents"));
        assert_eq!(p.themes_dir, Path::new("/tmp/hh/themes"));
        assert_eq!(p.logs_dir, Path::new("/tmp/hh/logs"));
        let p = p.with_config_file(Some(PathBuf::from("/etc/x.toml")));
        assert_eq!(p.config_file, Path::new("/etc/x.toml"));
    }
}
