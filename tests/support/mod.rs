//! Shared test helpers: fake provider server, temporary homes, images.
pub mod core;
pub mod home;
pub mod mcp_server;
pub mod module_graph;
pub mod prereq;
pub mod serve;

pub mod docker_image;
pub mod fake_provider;
