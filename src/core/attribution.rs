//! The sandbox a session's tools use, with `[git] attribution`: every command runs with the
//! environment that makes git add the harness's `Co-authored-by:` trailer to commits it makes
//! (`git::attribution` says how), naming the model of the session's latest request.

use crate::config::SandboxBackend;
use crate::git::attribution::{env_prefix, install_hooks, trailer};
use crate::sandbox::{ExecOutput, ExecRequest, Sandbox, SandboxError};
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex};

/// The model the trailer names; the session updates it before each tool call.
pub type CurrentModel = Arc<Mutex<String>>;

struct Attributed {
    inner: Arc<dyn Sandbox>,
    /// The hooks directory as the command sees it.
    hooks: String,
    model: CurrentModel,
}

/// `sandbox` with attribution, when the workspace is in a git repository whose hooks the
/// sandbox can see; otherwise `sandbox` itself.
pub fn wrap(sandbox: Arc<dyn Sandbox>, model: CurrentModel) -> Arc<dyn Sandbox> {
    let workspace = sandbox.workspace().to_path_buf();
    let Some(dir) = install_hooks(&workspace) else {
        return sandbox;
    };
    let hooks = match sandbox.backend() {
        SandboxBackend::Host => dir.display().to_string(),
        // The container sees the workspace at /workspace: the hooks must be below it.
        SandboxBackend::Docker => match dir.strip_prefix(&workspace) {
            Ok(rel) => format!("/workspace/{}", rel.display()),
            Err(_) => return sandbox,
        },
    };
    Arc::new(Attributed {
        inner: sandbox,
        hooks,
        model,
    })
}

impl Sandbox for Attributed {
    fn backend(&self) -> SandboxBackend {
        self.inner.backend()
    }

    fn workspace(&self) -> &std::path::Path {
        self.inner.workspace()
    }

    fn exec(&self, mut request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, SandboxError>> {
        let model = self
            .model
            .lock()
            .map(|m| m.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        let model = if model.is_empty() {
            "unknown model".to_string()
        } else {
            model
        };
        request.command = format!(
            "{}{}",
            env_prefix(&self.hooks, &trailer(&model)),
            request.command
        );
        self.inner.exec(request)
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        self.inner.shutdown()
    }
}
