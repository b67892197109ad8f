//! Finding and talking to the Docker daemon: which address to use (`DOCKER_HOST`, else the usual
//! socket locations), API version negotiation (the engine here may be older than bollard's
//! default API), and turning every way of failing to connect into one
//! [`SandboxError::DockerUnavailable`] line that names the cause and the fix. There is no
//! fallback to the host: a sandbox that cannot reach Docker fails.

use crate::sandbox::SandboxError;
use bollard::{API_DEFAULT_VERSION, Docker};
use std::path::PathBuf;
use std::time::Duration;

/// Seconds bollard waits for response headers; streams (exec output, builds) are not limited.
const REQUEST_TIMEOUT_SECS: u64 = 120;
/// How long the first request (version negotiation) may take before the daemon counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the daemon is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerEndpoint {
    /// `DOCKER_HOST` if set, else the first socket that exists among the usual places.
    FromEnv,
    /// An explicit address in `DOCKER_HOST` syntax (`unix:///path`, `tcp://host:port`).
    Address(String),
}

impl DockerEndpoint {
    /// The address this endpoint stands for, and whether it came from `DOCKER_HOST`.
    pub fn resolve(&self) -> (String, bool) {
        match self {
            DockerEndpoint::Address(a) => (a.clone(), true),
            DockerEndpoint::FromEnv => match std::env::var("DOCKER_HOST") {
                Ok(h) if !h.trim().is_empty() => (h.trim().to_string(), true),
                _ => (default_socket(), false),
            },
        }
    }
}

/// The system socket, or a per-user one (rootless Docker, Docker Desktop) when only that exists.
fn default_socket() -> String {
    let mut candidates = vec![PathBuf::from("/var/run/docker.sock")];
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(PathBuf::from(runtime).join("docker.sock"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(&home).join(".docker/run/docker.sock"));
        candidates.push(PathBuf::from(home).join(".docker/desktop/docker.sock"));
    }
    let found = candidates
        .iter()
        .find(|p| p.exists())
        .unwrap_or(&candidates[0]);
    format!("unix://{}", found.display())
}

/// A connected client (API version negotiated) and the address it talks to.
#[derive(Debug, Clone)]
pub struct DockerClient {
    pub docker: Docker,
    pub address: String,
}

/// Connect and negotiate the API version; every failure is `DockerUnavailable` with a fix.
pub async fn connect(endpoint: &DockerEndpoint) -> Result<DockerClient, SandboxError> {
    let (address, from_env) = endpoint.resolve();
    let docker = open(&address, from_env)?;
    let negotiated = tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await;
    match negotiated {
        Ok(Ok(docker)) => Ok(DockerClient { docker, address }),
        Ok(Err(e)) => Err(unavailable(&address, &e)),
        Err(_) => Err(SandboxError::DockerUnavailable(format!(
            "the Docker daemon at {address} did not answer within {}s: check that it is healthy \
             (`docker info`) or point DOCKER_HOST at a working daemon",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

fn open(address: &str, from_env: bool) -> Result<Docker, SandboxError> {
    let origin = if from_env { "DOCKER_HOST=" } else { "" };
    let result = if let Some(path) = address.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(bad_address(address, origin));
        }
        Docker::connect_with_unix(address, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
    } else if address.starts_with("tcp://") || address.starts_with("http://") {
        if std::env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty()) {
            return Err(SandboxError::DockerUnavailable(format!(
                "{origin}{address} with DOCKER_TLS_VERIFY needs TLS, which harness does not \
                 speak: use the daemon's unix socket or forward it (`ssh -L`) and set DOCKER_HOST \
                 to the local end"
            )));
        }
        Docker::connect_with_http(address, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
    } else {
        return Err(bad_address(address, origin));
    };
    result.map_err(|e| unavailable(address, &e))
}

fn bad_address(address: &str, origin: &str) -> SandboxError {
    SandboxError::DockerUnavailable(format!(
        "{origin}`{address}` is not a Docker address harness can use: set DOCKER_HOST to \
         unix:///path/to/docker.sock or tcp://HOST:PORT (or unset it for the default socket)"
    ))
}

/// One line: what went wrong reaching the daemon at `address`, and what to do about it.
pub(crate) fn unavailable(address: &str, error: &bollard::errors::Error) -> SandboxError {
    use bollard::errors::Error as E;
    let message = match error {
        E::SocketNotFoundError(path) => format!(
            "no Docker socket at {path}: start Docker (`sudo systemctl start docker`, or Docker \
             Desktop) or set DOCKER_HOST to the daemon's socket"
        ),
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!(
            "the Docker daemon at {address} refused the request ({status_code}: {message}): \
             check `docker version` works and the engine is at least API 1.41"
        ),
        E::RequestTimeoutError => format!(
            "the Docker daemon at {address} did not answer in time: check that it is healthy \
             (`docker info`)"
        ),
        other => match io_cause(other).map(std::io::Error::kind) {
            Some(std::io::ErrorKind::PermissionDenied) => format!(
                "permission denied on {address}: add your user to the `docker` group \
                 (`sudo usermod -aG docker $USER`, then log in again) or use rootless Docker"
            ),
            Some(std::io::ErrorKind::ConnectionRefused) => format!(
                "nothing is listening at {address} (the daemon is not running): start Docker \
                 (`sudo systemctl start docker`, or Docker Desktop) or fix DOCKER_HOST"
            ),
            Some(std::io::ErrorKind::NotFound) => format!(
                "no Docker socket at {address}: start Docker or set DOCKER_HOST to the daemon's \
                 socket"
            ),
            _ => format!(
                "cannot talk to the Docker daemon at {address} ({}): check that Docker is \
                 running and DOCKER_HOST is right",
                chain(other)
            ),
        },
    };
    SandboxError::DockerUnavailable(message)
}

/// The first `std::io::Error` in an error's source chain.
fn io_cause(error: &bollard::errors::Error) -> Option<&std::io::Error> {
    // `IOError` is transparent: its `source()` skips the io::Error itself.
    if let bollard::errors::Error::IOError { err } = error {
        return Some(err);
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = e.source();
    }
    None
}

/// An error and its causes on one line.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut current = error.source();
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Whether a failed request means the daemon went away (rather than the request being wrong).
pub(crate) fn is_connection_error(error: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as E;
    match error {
        E::SocketNotFoundError(_) | E::RequestTimeoutError => true,
        E::DockerResponseServerError { .. } => false,
        other => io_cause(other).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_are_not_docker_addresses_are_refused_with_a_fix() {
        for address in [
            "ftp://x",
            "unix://",
            "/var/run/docker.sock",
            "npipe:////./pipe/x",
        ] {
            let err = open(address, true)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.starts_with("docker is not available: DOCKER_HOST=`"),
                "{address}: {err}"
            );
            assert!(
                err.contains("set DOCKER_HOST to unix://"),
                "{address}: {err}"
            );
        }
    }

    #[test]
    fn missing_socket_names_the_path_and_how_to_start_docker() {
        let err = open("unix:///nonexistent/docker.sock", true)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("no Docker socket at /nonexistent/docker.sock"),
            "{err}"
        );
        assert!(err.contains("start Docker"), "{err}");
    }

    #[test]
    fn io_errors_in_the_chain_are_classified() {
        let cases = [
            (std::io::ErrorKind::PermissionDenied, "docker` group"),
            (
                std::io::ErrorKind::ConnectionRefused,
                "nothing is listening",
            ),
            (
                std::io::ErrorKind::Other,
                "cannot talk to the Docker daemon",
            ),
        ];
        for (kind, expected) in cases {
            let e = bollard::errors::Error::IOError {
                err: std::io::Error::new(kind, "boom"),
            };
            let text = unavailable("unix:///s", &e).to_string();
            assert!(text.contains(expected), "{kind:?}: {text}");
            assert!(is_connection_error(&e));
        }
    }

    #[test]
    fn explicit_address_wins_over_the_environment() {
        let e = DockerEndpoint::Address("unix:///x.sock".into());
        assert_eq!(e.resolve(), ("unix:///x.sock".to_string(), true));
    }
}
