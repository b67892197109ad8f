//! Per-provider circuit breaker: consecutive retryable failures open it for a cool-down.
