//! Containers started before anyone asks (`[sandbox] pool = N`), so in a long-lived process (the
//! TUI, `serve`) the first tool call of a conversation finds one up, its agent attached. Only
//! those processes start a pool; a short `harness run` never does. The pool holds at most
//! [`MAX_POOL`] containers (ready plus starting), refills one for each taken, and is emptied by
//! [`shutdown`] when the process ends. Its containers carry the same owner labels as every
//! sandbox container, so the start-up sweep removes them if the process dies first.

use super::connect::{self, DockerEndpoint};
use super::launch::{self, Launched, Recipe};
use super::orphans;
use crate::config::SandboxConfig;
use crate::message::ConversationId;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The most containers a pool keeps, whatever the configuration says.
pub const MAX_POOL: usize = 8;

static POOL: Mutex<Option<Arc<Pool>>> = Mutex::new(None);

struct Pool {
    recipe: Recipe,
    size: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    ready: Vec<Launched>,
    starting: usize,
    closed: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Start this process's pool for the workspace, as configured (nothing when `pool = 0` or the
/// backend is not docker). Containers start in the background.
pub fn start_for(config: &SandboxConfig, workspace: &Path) {
    if config.backend != crate::config::SandboxBackend::Docker || config.pool == 0 {
        return;
    }
    let Ok(workspace) = workspace.canonicalize() else {
        return;
    };
    start(
        Recipe {
            config: config.clone(),
            workspace,
            agent_binary: super::agent::registered_binary(),
        },
        config.pool,
    );
}

/// Start a pool of `size` (clamped to [`MAX_POOL`]) containers made from `recipe`, replacing
/// none: a process has one pool, the first started.
pub fn start(recipe: Recipe, size: usize) {
    let pool = Arc::new(Pool {
        recipe,
        size: size.min(MAX_POOL),
        state: Mutex::new(State::default()),
    });
    {
        let mut slot = lock(&POOL);
        if slot.is_some() {
            return;
        }
        *slot = Some(Arc::clone(&pool));
    }
    pool.fill();
}

/// A ready container made from `recipe`, if the pool has one (it then starts a replacement).
pub async fn take(recipe: &Recipe, endpoint: &DockerEndpoint) -> Option<Launched> {
    if *endpoint != DockerEndpoint::FromEnv {
        return None;
    }
    let pool = lock(&POOL).clone()?;
    if pool.recipe != *recipe {
        return None;
    }
    let mut dead = Vec::new();
    let taken = loop {
        let Some(launched) = lock(&pool.state).ready.pop() else {
            break None;
        };
        // An agent whose container stopped while it waited is of no use.
        if launched.agent.as_ref().is_none_or(|a| a.is_open()) {
            break Some(launched);
        }
        dead.push(launched.id);
    };
    pool.fill();
    if !dead.is_empty() {
        remove(dead);
    }
    taken
}

/// How many containers wait ready in this process's pool.
pub fn ready_count() -> usize {
    lock(&POOL)
        .as_ref()
        .map_or(0, |pool| lock(&pool.state).ready.len())
}

/// Remove the pool's waiting containers (the process is ending). Ones still starting are
/// removed as soon as they are up.
pub async fn shutdown() {
    let Some(pool) = lock(&POOL).take() else {
        return;
    };
    let ids: Vec<String> = {
        let mut state = lock(&pool.state);
        state.closed = true;
        state.ready.drain(..).map(|l| l.id).collect()
    };
    remove_now(ids).await;
}

impl Pool {
    /// Start containers until ready + starting reaches the size.
    fn fill(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        loop {
            {
                let mut state = lock(&self.state);
                if state.closed || state.ready.len() + state.starting >= self.size {
                    return;
                }
                state.starting += 1;
            }
            let pool = Arc::clone(self);
            runtime.spawn(async move {
                let launched = pool.launch_one().await;
                let mut state = lock(&pool.state);
                state.starting -= 1;
                match launched {
                    Ok(launched) if !state.closed => state.ready.push(launched),
                    Ok(launched) => remove(vec![launched.id]),
                    // Not retried here (a broken daemon would be hammered); the next take tries.
                    Err(e) => tracing::warn!("sandbox pool: cannot start a container: {e}"),
                }
            });
        }
    }

    async fn launch_one(&self) -> Result<Launched, crate::sandbox::SandboxError> {
        let client = connect::connect(&DockerEndpoint::FromEnv).await?;
        launch::launch(&client, &self.recipe, ConversationId::new()).await
    }
}

fn remove(ids: Vec<String>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(remove_now(ids));
    }
}

async fn remove_now(ids: Vec<String>) {
    if ids.is_empty() {
        return;
    }
    let Ok(client) = connect::connect(&DockerEndpoint::FromEnv).await else {
        return;
    };
    for id in ids {
        if let Err(e) = orphans::force_remove(&client, &id).await {
            tracing::warn!(container = %id, "sandbox pool: cannot remove a container: {e}");
        }
    }
}
