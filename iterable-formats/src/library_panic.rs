//! A library's panic on hostile input (arrow-rs, orc-rust, calamine) as an error.

use iterable_core::Error;

/// Runs `work` on `library`, which may panic on hostile input: a panic is given as the error
/// (`Err`) of `format` saying the file is malformed, `work`'s own result as `Ok`.
pub(crate) fn caught<T>(
    format: &'static str,
    library: &str,
    work: impl FnOnce() -> T,
) -> std::result::Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|m| (*m).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Error::parse(
            format,
            format!("the file is malformed ({library} failed: {message})"),
        )
    })
}
