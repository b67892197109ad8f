//! The content-addressed blob store: each file content once, named by its SHA-256 in hex under
//! a two-character fan-out directory. Written through a temporary file and a rename, so a blob
//! that exists is whole.

use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

/// SHA-256 of `bytes` in lower-case hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 and length of the file at `path`, read in chunks.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), len))
}

impl Blobs {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, hash: &str) -> PathBuf {
        let split = hash.len().min(2);
        self.dir.join(&hash[..split]).join(&hash[split..])
    }

    pub fn exists(&self, hash: &str) -> bool {
        self.path(hash).is_file()
    }

    /// Copy the file at `path` into the store; returns its hash and length. The copy is hashed
    /// as it is read, so what is stored is exactly what the hash names.
    pub fn put_file(&self, path: &Path) -> io::Result<(String, u64)> {
        let mut source = std::fs::File::open(path)?;
        crate::config::paths::create_private_dir(&self.dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0u64;
        loop {
            let n = source.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])?;
            len += n as u64;
        }
        let hash = hex::encode(hasher.finalize());
        let target = self.path(&hash);
        if !target.is_file() {
            if let Some(parent) = target.parent() {
                crate::config::paths::create_private_dir(parent)?;
            }
            tmp.persist(&target).map_err(|e| e.error)?;
        }
        Ok((hash, len))
    }

    /// The stored content named `hash`.
    pub fn read(&self, hash: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(hash))
    }

    /// Every stored blob: (hash, path).
    pub fn all(&self) -> io::Result<Vec<(String, PathBuf)>> {
        let mut out = Vec::new();
        let fans = match std::fs::read_dir(&self.dir) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for fan in fans {
            let fan = fan?;
            if !fan.file_type()?.is_dir() {
                continue;
            }
            let prefix = fan.file_name().to_string_lossy().into_owned();
            for blob in std::fs::read_dir(fan.path())? {
                let blob = blob?;
                let name = blob.file_name().to_string_lossy().into_owned();
                out.push((format!("{prefix}{name}"), blob.path()));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_file_is_named_by_its_hash_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        let file = dir.path().join("f.bin");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
        std::fs::write(&file, &bytes).unwrap();
        let (hash, len) = blobs.put_file(&file).unwrap();
        assert_eq!(hash, hash_bytes(&bytes));
        assert_eq!(len, 200_000);
        assert_eq!(hash_file(&file).unwrap(), (hash.clone(), 200_000));
        assert_eq!(blobs.read(&hash).unwrap(), bytes);
        assert_eq!(blobs.put_file(&file).unwrap().0, hash, "stored once");
        assert_eq!(blobs.all().unwrap().len(), 1);
    }
}
