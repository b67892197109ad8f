//! Which sandbox containers belong to a harness process that is gone. Every container the
//! harness creates carries labels naming its owner: pid, the pid's start time and the boot id
//! (so a reused pid or a reboot is not mistaken for a live owner) and the hostname (so a harness
//! in another container sharing the daemon, whose pids mean nothing here, is never judged).
//! Listing filters on the `harness=1` label and requires the owner labels too: containers the
//! harness did not create are never listed, let alone removed.

use super::connect::{DockerClient, DockerEndpoint, connect};
use crate::sandbox::SandboxError;
use bollard::container::{ListContainersOptions, RemoveContainerOptions};
use std::collections::HashMap;

pub const LABEL_HARNESS: &str = "harness";
pub const LABEL_CONVERSATION: &str = "harness.conversation";
pub const LABEL_WORKSPACE: &str = "harness.workspace";
const LABEL_PID: &str = "harness.owner.pid";
const LABEL_START: &str = "harness.owner.start";
const LABEL_BOOT: &str = "harness.owner.boot";
const LABEL_HOST: &str = "harness.owner.host";

/// The process that owns a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerIdentity {
    pub pid: u32,
    /// Process start time (clock ticks after boot, Linux); empty where unknown.
    pub start: String,
    /// Kernel boot id (Linux); empty where unknown.
    pub boot: String,
    pub host: String,
}

impl OwnerIdentity {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            start: process_start(pid).unwrap_or_default(),
            boot: boot_id(),
            host: hostname(),
        }
    }

    pub fn labels(&self) -> [(&'static str, String); 4] {
        [
            (LABEL_PID, self.pid.to_string()),
            (LABEL_START, self.start.clone()),
            (LABEL_BOOT, self.boot.clone()),
            (LABEL_HOST, self.host.clone()),
        ]
    }

    /// The owner named by a container's labels; `None` when they are not harness owner labels.
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Self> {
        if labels.get(LABEL_HARNESS).map(String::as_str) != Some("1") {
            return None;
        }
        let pid = labels.get(LABEL_PID)?.parse().ok()?;
        let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
        Some(Self {
            pid,
            start: get(LABEL_START),
            boot: get(LABEL_BOOT),
            host: labels.get(LABEL_HOST)?.clone(),
        })
    }
}

/// Whether a container's owner still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerState {
    Alive,
    Gone,
    /// Owned by a harness on another host (or in another container): not ours to judge.
    Unknown,
}

impl OwnerState {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerState::Alive => "alive",
            OwnerState::Gone => "gone",
            OwnerState::Unknown => "unknown",
        }
    }
}

/// Judge `owner` from `me` (this process); `start_of(pid)` is that pid's start time, `None` when
/// no such process runs.
pub fn owner_state(
    owner: &OwnerIdentity,
    me: &OwnerIdentity,
    start_of: impl Fn(u32) -> Option<String>,
) -> OwnerState {
    if owner.host != me.host {
        return OwnerState::Unknown;
    }
    if !owner.boot.is_empty() && !me.boot.is_empty() && owner.boot != me.boot {
        return OwnerState::Gone;
    }
    match start_of(owner.pid) {
        None => OwnerState::Gone,
        Some(start) if !owner.start.is_empty() && !start.is_empty() && start != owner.start => {
            OwnerState::Gone
        }
        Some(_) => OwnerState::Alive,
    }
}

/// One of this harness's containers, as `harness sandbox list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SandboxContainer {
    pub id: String,
    pub name: String,
    pub image: String,
    /// Docker's state: running, exited, created, ...
    pub state: String,
    /// Docker's human status, e.g. "Up 3 minutes".
    pub status: String,
    pub conversation: String,
    pub workspace: String,
    pub owner_pid: u32,
    pub owner: OwnerState,
    /// Unix seconds.
    pub created: i64,
}

/// Every container carrying this harness's owner labels, oldest first.
pub async fn list_containers(client: &DockerClient) -> Result<Vec<SandboxContainer>, SandboxError> {
    let filters = HashMap::from([("label".to_string(), vec![format!("{LABEL_HARNESS}=1")])]);
    let options = ListContainersOptions {
        all: true,
        filters,
        ..Default::default()
    };
    let summaries = client
        .docker
        .list_containers(Some(options))
        .await
        .map_err(|e| request_error(client, "list containers", &e))?;
    let me = OwnerIdentity::current();
    let mut out: Vec<SandboxContainer> = summaries
        .into_iter()
        .filter_map(|s| {
            let labels = s.labels.unwrap_or_default();
            let owner = OwnerIdentity::from_labels(&labels)?;
            let name = s
                .names
                .and_then(|n| n.into_iter().next())
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string();
            Some(SandboxContainer {
                id: s.id?,
                name,
                image: s.image.unwrap_or_default(),
                state: s.state.unwrap_or_default(),
                status: s.status.unwrap_or_default(),
                conversation: labels.get(LABEL_CONVERSATION).cloned().unwrap_or_default(),
                workspace: labels.get(LABEL_WORKSPACE).cloned().unwrap_or_default(),
                owner_pid: owner.pid,
                owner: owner_state(&owner, &me, process_start),
                created: s.created.unwrap_or_default(),
            })
        })
        .collect();
    out.sort_by_key(|c| c.created);
    Ok(out)
}

/// Remove this harness's containers whose owner is gone (or, with `all`, every one of them).
/// Returns what was removed. Containers of other owners and other programs are left alone.
pub async fn remove_containers(
    client: &DockerClient,
    all: bool,
) -> Result<Vec<SandboxContainer>, SandboxError> {
    let mut removed = Vec::new();
    for c in list_containers(client).await? {
        if !all && c.owner != OwnerState::Gone {
            continue;
        }
        match force_remove(client, &c.id).await {
            Ok(()) => removed.push(c),
            Err(e) => tracing::warn!(container = %c.id, "cannot remove sandbox container: {e}"),
        }
    }
    Ok(removed)
}

/// Start-up clean-up: remove containers left by harness processes that are gone (killed, crashed,
/// or from before a reboot). Connects with `DOCKER_HOST` / the default socket.
pub async fn remove_orphans() -> Result<Vec<SandboxContainer>, SandboxError> {
    let client = connect(&DockerEndpoint::FromEnv).await?;
    remove_containers(&client, false).await
}

static SWEEP: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>> = std::sync::Mutex::new(None);

/// Start [`remove_orphans`] in the background, once per process. [`finish_sweep`] waits for it,
/// so a short-lived process does not abandon it half-way.
pub fn sweep_in_background() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let handle = runtime.spawn(async {
            match remove_orphans().await {
                Ok(removed) if !removed.is_empty() => {
                    tracing::info!("removed {} orphaned sandbox container(s)", removed.len());
                }
                Ok(_) => {}
                Err(e) => tracing::debug!("orphan clean-up skipped: {e}"),
            }
        });
        if let Ok(mut slot) = SWEEP.lock() {
            *slot = Some(handle);
        }
    });
}

/// Wait (at most `limit`) for the start-up sweep, if one was started and is still running.
pub async fn finish_sweep(limit: std::time::Duration) {
    let handle = SWEEP.lock().ok().and_then(|mut slot| slot.take());
    if let Some(handle) = handle {
        if tokio::time::timeout(limit, handle).await.is_err() {
            tracing::warn!(
                "the orphan sandbox clean-up did not finish in time; the next start retries"
            );
        }
    }
}

/// Kill and remove a container and its anonymous volumes; an already-gone container is fine.
pub(crate) async fn force_remove(client: &DockerClient, id: &str) -> Result<(), SandboxError> {
    let options = RemoveContainerOptions {
        force: true,
        v: true,
        ..Default::default()
    };
    match client.docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        // 409: removal already in progress (another harness pruning at the same time).
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => Ok(()),
        Err(e) => Err(request_error(client, "remove container", &e)),
    }
}

/// A failed request: `DockerUnavailable` when the daemon went away, `Failed` otherwise.
pub(crate) fn request_error(
    client: &DockerClient,
    what: &str,
    error: &bollard::errors::Error,
) -> SandboxError {
    if super::connect::is_connection_error(error) {
        super::connect::unavailable(&client.address, error)
    } else {
        SandboxError::Failed(format!("docker could not {what}: {error}"))
    }
}

/// A running process's start time, `None` when no process has that pid.
pub fn process_start(pid: u32) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may contain spaces and parentheses).
        let rest = &stat[stat.rfind(')')? + 1..];
        // starttime is field 22 overall, the 20th after the command name.
        Some(rest.split_whitespace().nth(19)?.to_string())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).ok()?);
        match nix::sys::signal::kill(pid, None) {
            Ok(()) | Err(nix::errno::Errno::EPERM) => Some(String::new()),
            Err(_) => None,
        }
    }
}

fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> OwnerIdentity {
        OwnerIdentity {
            pid: 100,
            start: "500".into(),
            boot: "boot-a".into(),
            host: "box".into(),
        }
    }

    #[test]
    fn owner_state_table() {
        let owner = |pid: u32, start: &str, boot: &str, host: &str| OwnerIdentity {
            pid,
            start: start.into(),
            boot: boot.into(),
            host: host.into(),
        };
        // Pid 7 runs with start time 900; nothing else runs.
        let start_of = |pid: u32| (pid == 7).then(|| "900".to_string());
        let cases = [
            (
                owner(7, "900", "boot-a", "box"),
                OwnerState::Alive,
                "same process",
            ),
            (
                owner(7, "111", "boot-a", "box"),
                OwnerState::Gone,
                "pid reused",
            ),
            (
                owner(8, "900", "boot-a", "box"),
                OwnerState::Gone,
                "process gone",
            ),
            (
                owner(7, "900", "boot-b", "box"),
                OwnerState::Gone,
                "rebooted since",
            ),
            (
                owner(8, "900", "boot-a", "other"),
                OwnerState::Unknown,
                "other host",
            ),
            (
                owner(7, "", "", "box"),
                OwnerState::Alive,
                "no start/boot: pid only",
            ),
        ];
        for (o, expected, why) in cases {
            assert_eq!(owner_state(&o, &me(), start_of), expected, "{why}");
        }
    }

    #[test]
    fn labels_round_trip_and_foreign_labels_are_refused() {
        let mut labels: HashMap<String, String> = me()
            .labels()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(OwnerIdentity::from_labels(&labels), None, "needs harness=1");
        labels.insert(LABEL_HARNESS.into(), "1".into());
        assert_eq!(OwnerIdentity::from_labels(&labels), Some(me()));
        labels.insert(LABEL_PID.into(), "not-a-pid".into());
        assert_eq!(OwnerIdentity::from_labels(&labels), None);
        let only_marker = HashMap::from([(LABEL_HARNESS.to_string(), "1".to_string())]);
        assert_eq!(OwnerIdentity::from_labels(&only_marker), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_alive_and_a_dead_pid_is_not() {
        let me = OwnerIdentity::current();
        assert!(!me.start.is_empty() && !me.boot.is_empty());
        assert_eq!(owner_state(&me, &me, process_start), OwnerState::Alive);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = OwnerIdentity { pid, ..me.clone() };
        assert_eq!(owner_state(&dead, &me, process_start), OwnerState::Gone);
    }
}
