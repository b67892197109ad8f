//! What the model has seen of each file, per conversation: the digest of a file's content when
//! the model last read or wrote it. `write` and `edit` refuse to change a file whose content
//! differs from that (someone changed it since: the model would overwrite work it never saw), and
//! refuse to overwrite an existing file the model never read. Creating a new file needs no read.
//! Content digests, not mtime + size: two writes within one timestamp tick that keep the size
//! would look unchanged.

use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// SHA-256 of a file's whole content.
pub type Digest = [u8; 32];

/// The digests of one conversation's files, keyed by their resolved path.
#[derive(Debug, Default)]
pub struct SeenFiles {
    seen: Mutex<HashMap<PathBuf, Digest>>,
}

impl SeenFiles {
    /// The model now knows `path` as having content `digest`.
    pub fn record(&self, path: &Path, digest: Digest) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(path.to_path_buf(), digest);
        }
    }

    /// Whether the model may replace `path`, whose content now has digest `current` (`None`:
    /// the file does not exist). The error tells the model what to do.
    pub fn check(&self, path: &Path, current: Option<Digest>, shown: &str) -> Result<(), String> {
        let Some(current) = current else {
            return Ok(());
        };
        let known = self.seen.lock().ok().and_then(|s| s.get(path).copied());
        match known {
            Some(d) if d == current => Ok(()),
            Some(_) => Err(format!(
                "`{shown}` changed since you last read it; read it again before changing it \
                 (your edit would overwrite changes you have not seen)"
            )),
            None => Err(format!(
                "`{shown}` already exists and you have not read it in this conversation: read \
                 it first, then change it"
            )),
        }
    }
}

pub fn digest(bytes: &[u8]) -> Digest {
    Sha256::digest(bytes).into()
}

/// The digest of everything `reader` yields.
pub fn digest_reader(mut reader: impl Read) -> std::io::Result<Digest> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut reader, &mut hasher)?;
    Ok(hasher.finalize().into())
}

/// A reader that hashes what passes through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The digest of what was read so far.
    pub fn finish(self) -> Digest {
        self.hasher.finalize().into()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_need_a_fresh_read() {
        let seen = SeenFiles::default();
        let p = Path::new("/w/a.txt");
        let v1 = digest(b"one");
        let v2 = digest(b"two");
        // (digest the model saw, digest on disk now, expected outcome)
        type Case = (Option<Digest>, Option<Digest>, Result<(), &'static str>);
        let cases: [Case; 5] = [
            (None, None, Ok(())),
            (Some(v1), None, Ok(())),
            (None, Some(v1), Err("you have not read it")),
            (Some(v1), Some(v1), Ok(())),
            (
                Some(v1),
                Some(v2),
                Err("changed since you last read it; read it again"),
            ),
        ];
        for (known, current, want) in cases {
            let seen_here = SeenFiles::default();
            if let Some(k) = known {
                seen_here.record(p, k);
            }
            let got = seen_here.check(p, current, "a.txt");
            match want {
                Ok(()) => assert_eq!(got, Ok(()), "{known:?} {current:?}"),
                Err(part) => assert!(got.unwrap_err().contains(part), "{known:?} {current:?}"),
            }
        }
        seen.record(p, v1);
        assert!(
            seen.check(Path::new("/w/b.txt"), Some(v1), "b.txt")
                .is_err()
        );
    }

    #[test]
    fn the_hashing_reader_matches_the_digest() {
        let data = b"hello world".repeat(1000);
        let mut r = HashingReader::new(&data[..]);
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert_eq!(r.finish(), digest(&data));
        assert_eq!(digest_reader(&data[..]).unwrap(), digest(&data));
    }
}
