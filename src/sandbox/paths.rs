//! Workspace confinement of tool paths.
