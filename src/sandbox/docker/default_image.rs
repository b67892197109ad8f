//! Building the default sandbox image (`harness sandbox build`, the TUI's offer). Its identity
//! (the Dockerfile carried in the binary and the tag derived from it) is `config::sandbox`'s,
//! since it is also the default of `[sandbox] image`; it is re-exported here.

use super::connect::DockerClient;
use super::image::{BuildRequest, build_context, image_present};
use crate::sandbox::SandboxError;
use std::collections::HashMap;

pub use crate::config::sandbox::{BUILD_COMMAND, DEFAULT_BASE, DOCKERFILE, REPOSITORY};
pub use crate::config::sandbox::{
    default_image_tag as tag, missing_image_message as missing_message,
};

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
