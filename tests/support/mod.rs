//! Shared test helpers: fake provider server, temporary homes, images.
pub mod docker_image;
