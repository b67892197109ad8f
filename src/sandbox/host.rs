//! Host backend: filled in by the core issue.
