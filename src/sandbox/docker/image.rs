//! Which image the sandbox runs. A workspace may ship `.harness/Dockerfile`: the `.harness/`
//! directory is the build context, the image is tagged `harness-workspace:<hash of the context>`
//! and built only when that tag is missing, so an unchanged Dockerfile costs one inspect call.
//! Otherwise `[sandbox] image` is used as is. The harness never pulls: a missing image is a
//! tool error that says how to get one (for the default image: `harness sandbox build`, see
//! `default_image.rs`). [`build_context`] is the one build path, with live output.

use super::connect::DockerClient;
use super::orphans::request_error;
use crate::sandbox::SandboxError;
use bollard::image::BuildImageOptions;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// Where a workspace keeps its sandbox image recipe, relative to the workspace root.
pub const PROJECT_DOCKERFILE: &str = ".harness/Dockerfile";
/// Repository of images built from `.harness/Dockerfile`.
pub const PROJECT_IMAGE_REPO: &str = "harness-workspace";
/// Build log lines kept for an error message.
const LOG_TAIL_LINES: usize = 8;

/// An image to build from a workspace's `.harness/` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectImage {
    pub tag: String,
    pub context: PathBuf,
}

/// The project image for `workspace`, when it has a `.harness/Dockerfile`.
pub fn project_image(workspace: &Path) -> Result<Option<ProjectImage>, SandboxError> {
    let dockerfile = workspace.join(PROJECT_DOCKERFILE);
    if !dockerfile.is_file() {
        return Ok(None);
    }
    let context = dockerfile
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace.join(".harness"));
    let hash = context_hash(&context).map_err(|e| {
        SandboxError::Image(format!(
            "cannot read {}: {e}: check the files under .harness/ are readable",
            context.display()
        ))
    })?;
    Ok(Some(ProjectImage {
        tag: format!("{PROJECT_IMAGE_REPO}:{}", &hash[..16]),
        context,
    }))
}

/// The image to run for `workspace`: the project image (built if needed) or `configured`.
pub async fn resolve_image(
    client: &DockerClient,
    configured: &str,
    workspace: &Path,
) -> Result<String, SandboxError> {
    if let Some(project) = project_image(workspace)? {
        if !image_present(client, &project.tag).await? {
            build(client, &project).await?;
        }
        return Ok(project.tag);
    }
    if configured.trim().is_empty() {
        return Err(SandboxError::Image(
            "no sandbox image is configured: set [sandbox] image in config.toml or add a \
             .harness/Dockerfile to the workspace"
                .into(),
        ));
    }
    if image_present(client, configured).await? {
        return Ok(configured.to_string());
    }
    Err(SandboxError::Image(missing_image_message(configured)))
}

/// What to say when the configured image is not on this machine.
pub fn missing_image_message(image: &str) -> String {
    if image == super::default_image::tag() {
        return super::default_image::missing_message();
    }
    format!(
        "image `{image}` is not on this machine (harness does not pull images): build it with \
         `docker build -t {image} DIR`, fetch it with `docker pull {image}`, add a \
         .harness/Dockerfile to the workspace, or set [sandbox] image in config.toml to an image \
         you have (`docker images`)"
    )
}

pub async fn image_present(client: &DockerClient, image: &str) -> Result<bool, SandboxError> {
    match client.docker.inspect_image(image).await {
        Ok(_) => Ok(true),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(false),
        Err(e) => Err(request_error(client, "inspect the sandbox image", &e)),
    }
}

/// Build `project` through the Engine API (no docker CLI, no pull of a newer base).
pub async fn build(client: &DockerClient, project: &ProjectImage) -> Result<(), SandboxError> {
    let context = context_tar(&project.context).map_err(|e| {
        SandboxError::Image(format!(
            "cannot pack {} for the image build: {e}",
            project.context.display()
        ))
    })?;
    let fix = format!(
        "fix .harness/Dockerfile (`docker build -t {} {}` shows the whole log)",
        project.tag,
        project.context.display()
    );
    build_context(
        client,
        &BuildRequest {
            tag: &project.tag,
            context,
            build_args: Default::default(),
            what: "the sandbox image from .harness/Dockerfile",
            fix: &fix,
        },
        &mut |_| {},
    )
    .await
}

/// One image build: a tar context holding `Dockerfile`, its tag, build arguments, and for error
/// messages what is built and how to fix it.
pub struct BuildRequest<'a> {
    pub tag: &'a str,
    pub context: Vec<u8>,
    pub build_args: std::collections::HashMap<String, String>,
    pub what: &'a str,
    pub fix: &'a str,
}

/// Build `request`, handing every line of build output to `progress` as it arrives.
pub async fn build_context(
    client: &DockerClient,
    request: &BuildRequest<'_>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), SandboxError> {
    let BuildRequest { tag, what, fix, .. } = *request;
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".to_string(),
        t: tag.to_string(),
        rm: true,
        forcerm: true,
        buildargs: request.build_args.clone(),
        ..Default::default()
    };
    let mut stream = client
        .docker
        .build_image(options, None, Some(request.context.clone().into()));
    let mut log: VecDeque<String> = VecDeque::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(error) = info.error {
                    return Err(SandboxError::Image(format!(
                        "building {what} failed: {}; {fix}{}",
                        error.trim(),
                        render_log(&log)
                    )));
                }
                for line in info.stream.iter().flat_map(|s| s.lines()) {
                    let line = line.trim_end();
                    if !line.is_empty() {
                        progress(line);
                        if log.len() == LOG_TAIL_LINES {
                            log.pop_front();
                        }
                        log.push_back(line.to_string());
                    }
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return Err(SandboxError::Image(format!(
                    "building {what} failed: {error}; {fix}{}",
                    render_log(&log)
                )));
            }
            Err(e) => {
                return Err(match request_error(client, "build the sandbox image", &e) {
                    SandboxError::Failed(m) => SandboxError::Image(format!("{m}; {fix}")),
                    other => other,
                });
            }
        }
    }
    if image_present(client, tag).await? {
        Ok(())
    } else {
        Err(SandboxError::Image(format!(
            "building {what} finished without producing {tag}; {fix}{}",
            render_log(&log)
        )))
    }
}

fn render_log(log: &VecDeque<String>) -> String {
    if log.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nlast build output:");
    for line in log {
        out.push_str("\n  ");
        out.push_str(line);
    }
    out
}

/// Every file under `dir` (relative path, sorted), symlinks kept as links.
fn context_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        for entry in std::fs::read_dir(dir.join(&rel))? {
            let entry = entry?;
            let path = rel.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A hash of the build context: paths, kinds, executable bits, link targets and contents.
pub fn context_hash(dir: &Path) -> std::io::Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut hasher = Sha256::new();
    for rel in context_entries(dir)? {
        let full = dir.join(&rel);
        let meta = std::fs::symlink_metadata(&full)?;
        hasher.update(rel.as_os_str().as_encoded_bytes());
        hasher.update([0]);
        if meta.file_type().is_symlink() {
            hasher.update(b"link\0");
            hasher.update(std::fs::read_link(&full)?.as_os_str().as_encoded_bytes());
        } else {
            let exec = meta.permissions().mode() & 0o111 != 0;
            hasher.update(if exec { b"exec\0" } else { b"file\0" });
            hasher.update(meta.len().to_le_bytes());
            let mut file = std::fs::File::open(&full)?;
            std::io::copy(&mut file, &mut hasher)?;
        }
        hasher.update([0]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// `dir` as an uncompressed tar (the build context), without owners or times.
pub fn context_tar(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    builder.follow_symlinks(false);
    for rel in context_entries(dir)? {
        builder.append_path_with_name(dir.join(&rel), &rel)?;
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_default_image_names_the_build_command() {
        let default = missing_image_message(super::super::default_image::tag());
        assert!(default.contains("run `harness sandbox build`"), "{default}");
        assert!(!default.contains("docker pull"), "{default}");
        let other = missing_image_message("mine:1");
        assert!(other.contains("docker build -t mine:1"), "{other}");
    }

    #[test]
    fn context_hash_follows_contents_names_and_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/tool"), "x").unwrap();
        let first = context_hash(dir.path()).unwrap();
        assert_eq!(first, context_hash(dir.path()).unwrap(), "stable");

        let perms = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(dir.path().join("sub/tool"), perms).unwrap();
        let exec = context_hash(dir.path()).unwrap();
        assert_ne!(first, exec, "exec bit counts");

        std::fs::write(dir.path().join("sub/tool"), "y").unwrap();
        let changed = context_hash(dir.path()).unwrap();
        assert_ne!(exec, changed, "contents count");

        std::fs::rename(dir.path().join("sub/tool"), dir.path().join("sub/tool2")).unwrap();
        assert_ne!(changed, context_hash(dir.path()).unwrap(), "names count");
    }

    #[test]
    fn project_image_only_with_a_dockerfile_and_tagged_by_hash() {
        let ws = tempfile::tempdir().unwrap();
        assert_eq!(project_image(ws.path()).unwrap(), None);
        std::fs::create_dir(ws.path().join(".harness")).unwrap();
        assert_eq!(
            project_image(ws.path()).unwrap(),
            None,
            "dir without Dockerfile"
        );
        std::fs::write(ws.path().join(PROJECT_DOCKERFILE), "FROM scratch\n").unwrap();
        let image = project_image(ws.path()).unwrap().unwrap();
        assert!(image.tag.starts_with("harness-workspace:"), "{}", image.tag);
        assert_eq!(image.tag.len(), "harness-workspace:".len() + 16);
        assert_eq!(image.context, ws.path().join(".harness"));
    }

    #[test]
    fn context_tar_holds_every_file_with_relative_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/tool"), "tool").unwrap();
        std::os::unix::fs::symlink("tool", dir.path().join("bin/alias")).unwrap();
        let bytes = context_tar(dir.path()).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut names: Vec<(String, bool)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let link = e.header().entry_type().is_symlink();
                (e.path().unwrap().display().to_string(), link)
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                ("Dockerfile".to_string(), false),
                ("bin/alias".to_string(), true),
                ("bin/tool".to_string(), false)
            ]
        );
    }
}
