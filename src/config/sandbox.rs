//! The `[sandbox]` values other modules name without depending on the sandbox itself: which
//! backend runs commands, and the default image's identity: its Dockerfile (`sandbox/Dockerfile`
//! in the repository, carried in the binary) and its tag, the default of `[sandbox] image`. The
//! tag is `harness-sandbox:<crate version>-<hash of the Dockerfile>`, so a harness whose
//! Dockerfile changed asks for, and builds, a new image instead of running an old one. Building
//! and running it is `sandbox::docker`'s.

use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Where tool commands run: `[sandbox] backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxBackend {
    Docker,
    Host,
}

impl SandboxBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxBackend::Docker => "docker",
            SandboxBackend::Host => "host",
        }
    }
}

/// The Dockerfile of the default image.
pub const DOCKERFILE: &str = include_str!("../../sandbox/Dockerfile");
/// Repository part of the default image's tag.
pub const REPOSITORY: &str = "harness-sandbox";
/// The base the Dockerfile uses when `--base` is not given.
pub const DEFAULT_BASE: &str = "debian:bookworm-slim";
/// The command that builds the default image.
pub const BUILD_COMMAND: &str = "harness sandbox build";

/// `harness-sandbox:<version>-<12 hex of the Dockerfile's SHA-256>`.
pub fn default_image_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| tag_for(env!("CARGO_PKG_VERSION"), DOCKERFILE))
}

fn tag_for(version: &str, dockerfile: &str) -> String {
    let hash = hex::encode(Sha256::digest(dockerfile.as_bytes()));
    format!("{REPOSITORY}:{version}-{}", &hash[..12])
}

/// What a tool call says when the default image is not built yet.
pub fn missing_image_message() -> String {
    format!(
        "the sandbox image `{}` is not built yet: run `{BUILD_COMMAND}` (once per harness \
         version; it needs the {DEFAULT_BASE} image or `--base IMAGE` with a Debian-based image \
         you have), or set [sandbox] backend = \"host\" in config.toml to run tools without Docker",
        default_image_tag()
    )
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
        assert_eq!(
            default_image_tag(),
            tag_for(env!("CARGO_PKG_VERSION"), DOCKERFILE)
        );
        assert_eq!(
            crate::config::SandboxConfig::default().image,
            default_image_tag()
        );
    }
}
