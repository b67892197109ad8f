//! Docker backend (bollard): filled in by the sandbox issue.
