//! Rule matching by priority over `[[router.rules]]`.
