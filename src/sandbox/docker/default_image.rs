//! The default sandbox image: its Dockerfile (`sandbox/Dockerfile` in the repository, carried
//! in the binary), its tag, and building it (`harness sandbox build`, the TUI's offer). The tag
//! is `harness-sandbox:<crate version>-<hash of the Dockerfile>`, so a harness whose Dockerfile
//! changed asks for, and builds, a new image instead of running an old one.

use super::connect::DockerClient;
use super::image::{BuildRequest, build_context, image_present};
use crate::sandbox::SandboxError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The Dockerfile of the default image.
pub const DOCKERFILE: &str = include_str!("../../../sandbox/Dockerfile");
/// Repository part of the default image's tag.
pub const REPOSITORY: &str = "harness-sandbox";
/// The base the Dockerfile uses when `--base` is not given.
pub const DEFAULT_BASE: &str = "debian:bookworm-slim";
/// The command that builds the default image.
pub const BUILD_COMMAND: &str = "harness sandbox build";

/// `harness-sandbox:<version>-<12 hex of the Dockerfile's SHA-256>`.
pub fn tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| tag_for(env!("CARGO_PKG_VERSION"), DOCKERFILE))
}

fn tag_for(version: &str, dockerfile: &str) -> String {
    let hash = hex::encode(Sha256::digest(dockerfile.as_bytes()));
    format!("{REPOSITORY}:{version}-{}", &hash[..12])
}

/// What a tool call says when the default image is not built yet.
pub fn missing_message() -> String {
    format!(
        "the sandbox image `{}` is not built yet: run `{BUILD_COMMAND}` (once per harness \
         version; it needs the {DEFAULT_BASE} image or `--base IMAGE` with a Debian-based image \
         you have), or set [sandbox] backend = \"host\" in config.toml to run tools without Docker",
        tag()
    )
}

/// What to build: the base (`--base`) and the tag (`--tag`), defaults when `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    pub base: Option<String>,
    pub tag: Option<String>,
}

impl BuildOptions {
    pub fn base(&self) -> &str {
        self.base.as_deref().unwrap_or(DEFAULT_BASE)
    }

    pub fn tag(&self) -> &str {
        self.tag.as_deref().unwrap_or(tag())
    }

    /// A one-line error when an option cannot be an image reference.
    pub fn check(&self) -> Result<(), String> {
        for (flag, value) in [("--base", &self.base), ("--tag", &self.tag)] {
            if let Some(v) = value
                && (v.trim().is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()))
            {
                return Err(format!(
                    "{flag} `{}` is not an image reference: use NAME[:TAG], e.g. debian:bookworm-slim",
                    v.escape_debug()
                ));
            }
        }
        Ok(())
    }
}

/// The build context: the Dockerfile alone.
fn context() -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(DOCKERFILE.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, "Dockerfile", DOCKERFILE.as_bytes())?;
    builder.into_inner()
}

/// Build the default image, handing each line of build output to `progress`.
pub async fn build(
    client: &DockerClient,
    options: &BuildOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<String, SandboxError> {
    options.check().map_err(SandboxError::Image)?;
    let base = options.base();
    let tag = options.tag();
    let context = context()
        .map_err(|e| SandboxError::Image(format!("cannot pack the build context: {e}")))?;
    let mut fix = String::from("check the output above and run the command again");
    if !image_present(client, base).await? {
        progress(&format!(
            "base image {base} is not on this machine: Docker will try to pull it"
        ));
        fix = format!(
            "the base image {base} is not on this machine and could not be pulled: pass \
             `--base IMAGE` with a Debian-based image you have (`docker images`)"
        );
    }
    let build_args = HashMap::from([("BASE".to_string(), base.to_string())]);
    build_context(
        client,
        &BuildRequest {
            tag,
            context,
            build_args,
            what: "the default sandbox image",
            fix: &fix,
        },
        progress,
    )
    .await?;
    Ok(tag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_follows_the_version_and_the_dockerfile() {
        let t = tag_for("1.2.3", "FROM x\n");
        assert!(t.starts_with("harness-sandbox:1.2.3-"), "{t}");
        assert_eq!(t.len(), "harness-sandbox:1.2.3-".len() + 12);
        assert_ne!(t, tag_for("1.2.4", "FROM x\n"));
        assert_ne!(t, tag_for("1.2.3", "FROM y\n"));
        assert_eq!(tag(), tag_for(env!("CARGO_PKG_VERSION"), DOCKERFILE));
        assert_eq!(crate::config::SandboxConfig::default().image, tag());
    }

    #[test]
    fn the_dockerfile_has_the_promised_tools_and_a_base_argument() {
        assert!(DOCKERFILE.contains("ARG BASE=debian:bookworm-slim\nFROM ${BASE}"));
        for tool in [
            "bash",
            "coreutils",
            "git",
            "ripgrep",
            "curl",
            "python3",
            "build-essential",
        ] {
            assert!(DOCKERFILE.contains(tool), "{tool}");
        }
    }

    #[test]
    fn options_table() {
        let cases = [
            (None, None, Ok(())),
            (Some("debian:12"), Some("me/sb:1"), Ok(())),
            (Some(""), None, Err("--base ``")),
            (None, Some("a b"), Err("--tag `a b`")),
            (Some("x\u{1b}[2J"), None, Err("--base `x\\u{1b}[2J`")),
        ];
        for (base, tag, want) in cases {
            let o = BuildOptions {
                base: base.map(String::from),
                tag: tag.map(String::from),
            };
            match (o.check(), want) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(w)) => assert!(e.starts_with(w), "{e}"),
                (got, w) => panic!("{base:?} {tag:?}: {got:?} vs {w:?}"),
            }
        }
        let o = BuildOptions::default();
        assert_eq!((o.base(), o.tag()), (DEFAULT_BASE, tag()));
    }

    #[test]
    fn the_context_holds_the_dockerfile() {
        let bytes = context().unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut entries = archive.entries().unwrap();
        let mut first = entries.next().unwrap().unwrap();
        assert_eq!(first.path().unwrap().to_str(), Some("Dockerfile"));
        let mut text = String::new();
        std::io::Read::read_to_string(&mut first, &mut text).unwrap();
        assert_eq!(text, DOCKERFILE);
        assert!(entries.next().is_none());
    }
}
