//! The embedded SQLite store (filled in by the foundation issue).

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store error: {0}")]
    Other(String),
}

#[derive(Clone)]
pub struct Store {}

impl Store {
    pub fn open(_path: &Path) -> Result<(Self, Option<String>), StoreError> {
        Err(StoreError::Other("not built yet".into()))
    }
}
