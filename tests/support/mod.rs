//! Shared test helpers: fake provider server, temporary homes, images.
pub mod home;

pub mod fake_provider;
pub mod docker_image;
