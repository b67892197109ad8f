//! Race-free file access under the workspace for the file tools. `paths.rs` resolves a model's
//! path and checks it (with messages that say what was wrong); this module then does the actual
//! opening relative to a handle on the workspace directory with
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, so a directory swapped for a symlink
//! between the check and the use cannot lead outside: the kernel refuses every step that would
//! leave the workspace. New directories and the temporary file of an atomic replace are created
//! with `mkdirat`/`openat(O_EXCL | O_NOFOLLOW)` inside directory handles opened the same way, and
//! the rename stays within one such directory.
//!
//! Kernels without `openat2` (before 5.6, or seccomp filters that refuse it) get the same
//! guarantee from a walk that opens one component at a time with `O_NOFOLLOW`: the paths given
//! here are already resolved, so a symlink met on the way can only be a swap, and is refused.
//!
//! When the harness runs as root, what it creates is given to the workspace's owner (a replaced
//! file keeps its own owner), so a root harness in someone's checkout leaves no root-owned files.

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Component, Path};

/// Mode of files created by `write` (existing files keep theirs).
pub const NEW_FILE_MODE: u32 = 0o644;
const NEW_DIR_MODE: u32 = 0o755;

/// A handle on the workspace directory; everything is opened relative to it.
pub struct Beneath {
    root: OwnedFd,
    /// Who new files and directories belong to (only when running as root).
    owner: Option<(u32, u32)>,
}

impl Beneath {
    /// The workspace at `root` (a real, canonical directory).
    pub fn new(root: &Path) -> io::Result<Self> {
        let fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let owner = if rustix::process::geteuid().is_root() {
            let stat = rustix::fs::fstat(&fd)?;
            Some((stat.st_uid, stat.st_gid))
        } else {
            None
        };
        Ok(Self { root: fd, owner })
    }

    /// `resolved` (a path `paths::confine` returned for this workspace) relative to `root`.
    pub fn relative(root: &Path, resolved: &Path) -> io::Result<std::path::PathBuf> {
        resolved
            .strip_prefix(root)
            .map(Path::to_path_buf)
            .map_err(|_| escape("it is not below the workspace"))
    }

    /// Open `rel` (relative to the workspace, already resolved) for reading. Non-blocking, so a
    /// FIFO put in a file's place does not hang the open (regular files ignore the flag).
    pub fn open_read(&self, rel: &Path) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK;
        let fd = self.open_at(&self.root, rel, flags, Mode::empty())?;
        Ok(File::from(fd))
    }

    /// Replace (or create) the file `rel` with `bytes` through a temporary file in the same
    /// directory and a rename; missing parent directories are created. An existing file keeps
    /// its mode and owner; a new one gets mode 0644 (and the workspace's owner, as root).
    pub fn replace(&self, rel: &Path, bytes: &[u8]) -> io::Result<()> {
        let name = rel
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        let parent = rel.parent().unwrap_or(Path::new(""));
        let dir = self.create_dirs(parent)?;
        let existing = match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Some(stat),
            Err(Errno::NOENT) => None,
            Err(e) => return Err(e.into()),
        };
        let (temp_name, temp) = create_temp(&dir)?;
        let written = (|| {
            let mut file = File::from(temp);
            file.write_all(bytes)?;
            let (mode, owner) = match &existing {
                Some(stat) => (stat.st_mode & 0o7777, Some((stat.st_uid, stat.st_gid))),
                None => (NEW_FILE_MODE, self.owner),
            };
            rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?;
            if let (Some((uid, gid)), true) = (owner, self.owner.is_some()) {
                chown(&file, uid, gid)?;
            }
            file.sync_all()?;
            rustix::fs::renameat(&dir, &temp_name, &dir, name)?;
            Ok(())
        })();
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&dir, &temp_name, AtFlags::empty());
        }
        written
    }

    /// Open the directory `rel`, creating what is missing of it (owned by the workspace's owner
    /// when running as root).
    fn create_dirs(&self, rel: &Path) -> io::Result<OwnedFd> {
        let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY;
        match self.open_at(&self.root, rel, dir_flags, Mode::empty()) {
            Ok(fd) => return Ok(fd),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut dir = self.open_at(&self.root, Path::new("."), dir_flags, Mode::empty())?;
        for component in rel.components() {
            let name = match component {
                Component::Normal(name) => name,
                Component::CurDir => continue,
                _ => return Err(escape("the path has a `..` or absolute part")),
            };
            match rustix::fs::mkdirat(&dir, name, Mode::from_raw_mode(NEW_DIR_MODE)) {
                Ok(()) => {
                    let made = self.open_at(&dir, Path::new(name), dir_flags, Mode::empty())?;
                    if let Some((uid, gid)) = self.owner {
                        chown(&made, uid, gid)?;
                    }
                    dir = made;
                }
                Err(Errno::EXIST) => {
                    dir = self.open_at(&dir, Path::new(name), dir_flags, Mode::empty())?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(dir)
    }

    /// `openat2` beneath `dir`, or the component walk where the kernel lacks it.
    fn open_at(&self, dir: &OwnedFd, rel: &Path, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        let rel = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        let mut attempts = 0;
        loop {
            match rustix::fs::openat2(dir, rel, flags | OFlags::CLOEXEC, mode, resolve) {
                Ok(fd) => return Ok(fd),
                // A rename elsewhere on the system raced the lookup: the kernel asks to retry.
                Err(Errno::AGAIN) if attempts < 16 => attempts += 1,
                Err(Errno::NOSYS | Errno::PERM) => return walk(dir, rel, flags, mode),
                Err(Errno::XDEV) => {
                    return Err(escape(
                        "it leads outside the workspace (changed while in use?)",
                    ));
                }
                Err(Errno::LOOP) => {
                    return Err(escape("a symlink on the way could not be followed safely"));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Open `rel` below `dir` one component at a time, never following a symlink.
fn walk(dir: &OwnedFd, rel: &Path, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
    let names: Vec<&OsStr> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(Ok(n)),
            Component::CurDir => None,
            _ => Some(Err(())),
        })
        .collect::<Result<_, _>>()
        .map_err(|()| escape("the path has a `..` or absolute part"))?;
    let step = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let Some((last, parents)) = names.split_last() else {
        return Ok(rustix::fs::openat(dir, ".", flags | OFlags::CLOEXEC, mode)?);
    };
    let mut current = rustix::fs::openat(dir, ".", step, Mode::empty())?;
    for name in parents {
        current = rustix::fs::openat(&current, *name, step, Mode::empty()).map_err(nofollow)?;
    }
    rustix::fs::openat(
        &current,
        *last,
        flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        mode,
    )
    .map_err(nofollow)
}

fn nofollow(e: Errno) -> io::Error {
    if e == Errno::LOOP || e == Errno::NOTDIR {
        escape("a symlink appeared on the way (changed while in use?)")
    } else {
        e.into()
    }
}

fn create_temp(dir: &OwnedFd) -> io::Result<(String, OwnedFd)> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut attempts = 0;
    loop {
        let name = format!(".harness-write-{:016x}.tmp", fastrand::u64(..));
        match rustix::fs::openat(dir, name.as_str(), flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => return Ok((name, fd)),
            Err(Errno::EXIST) if attempts < 8 => attempts += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

fn chown(fd: &impl std::os::fd::AsFd, uid: u32, gid: u32) -> io::Result<()> {
    rustix::fs::fchown(
        fd,
        Some(rustix::fs::Uid::from_raw(uid)),
        Some(rustix::fs::Gid::from_raw(gid)),
    )?;
    Ok(())
}

fn escape(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("denied by the sandbox: path outside the workspace ({why})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::paths::{Access, confine};
    use std::io::Read;
    use std::os::unix::fs::symlink;

    struct Fixture {
        _dir: tempfile::TempDir,
        ws: std::path::PathBuf,
        outside: std::path::PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let ws = base.join("ws");
        let outside = base.join("outside");
        std::fs::create_dir_all(ws.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(ws.join("sub/file.txt"), "inside").unwrap();
        std::fs::write(outside.join("file.txt"), "outside secret").unwrap();
        Fixture {
            _dir: dir,
            ws,
            outside,
        }
    }

    fn rel(f: &Fixture, resolved: &Path) -> std::path::PathBuf {
        resolved.strip_prefix(&f.ws).unwrap().to_path_buf()
    }

    /// Resolve and check, then swap `sub` for a symlink to a directory outside, then use.
    fn swap_sub_for_link(f: &Fixture) {
        std::fs::rename(f.ws.join("sub"), f.ws.join("sub.old")).unwrap();
        symlink(&f.outside, f.ws.join("sub")).unwrap();
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_after_the_check_cannot_be_read_through() {
        let f = fixture();
        let checked = confine(&f.ws, "sub/file.txt", Access::Existing).unwrap();
        let beneath = Beneath::new(&f.ws).unwrap();
        let mut text = String::new();
        beneath
            .open_read(&rel(&f, &checked))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "inside");

        swap_sub_for_link(&f);
        let err = beneath.open_read(&rel(&f, &checked)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("denied by the sandbox: path outside the workspace"),
            "{err}"
        );
        // The component walk (kernels without openat2) refuses it too.
        let err = walk(
            &beneath.root,
            &rel(&f, &checked),
            OFlags::RDONLY,
            Mode::empty(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("denied by the sandbox"), "{err}");
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_after_the_check_cannot_be_written_through() {
        let f = fixture();
        let checked = confine(&f.ws, "sub/new.txt", Access::Create).unwrap();
        let beneath = Beneath::new(&f.ws).unwrap();
        swap_sub_for_link(&f);
        let err = beneath.replace(&rel(&f, &checked), b"planted").unwrap_err();
        assert!(err.to_string().contains("denied by the sandbox"), "{err}");
        assert!(
            !f.outside.join("new.txt").exists(),
            "nothing landed outside"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&f.outside).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file outside either");
    }

    #[test]
    fn replace_creates_parents_and_keeps_an_existing_mode() {
        use std::os::unix::fs::PermissionsExt;
        let f = fixture();
        let beneath = Beneath::new(&f.ws).unwrap();
        beneath.replace(Path::new("a/b/c.txt"), b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(f.ws.join("a/b/c.txt")).unwrap(),
            "new"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&f.ws.join("a/b/c.txt")), NEW_FILE_MODE);
        std::fs::set_permissions(
            f.ws.join("sub/file.txt"),
            std::fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        beneath
            .replace(Path::new("sub/file.txt"), b"changed")
            .unwrap();
        assert_eq!(mode(&f.ws.join("sub/file.txt")), 0o750);
        let names: Vec<String> = std::fs::read_dir(f.ws.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["file.txt"], "no temp file left behind");
    }
}
