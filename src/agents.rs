//! Agent definitions (built-in `general`, `[agents.*]`, agents/*.toml) and their loading.
