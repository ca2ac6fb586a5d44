//! The template machinery shared by letters and action logs: minijinja environments, a
//! workspace's override of a built-in template, and tidy output.

use anyhow::Result;
use std::path::Path;

/// A template environment holding `source` as `name`.
pub(crate) fn environment<'s>(
    name: &'s str,
    source: &'s str,
) -> Result<minijinja::Environment<'s>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template(name, source)?;
    Ok(env)
}

/// The workspace's override of a template, or the built-in one.
pub(crate) fn template_source(
    root: &Path,
    override_path: &str,
    built_in: &'static str,
) -> Result<String> {
    let path = root.join(override_path);
    if path.is_file() {
        crate::load::files::read_text(&path).map_err(|e| anyhow::anyhow!("{override_path}: {e}"))
    } else {
        Ok(built_in.to_string())
    }
}

/// A template error as `file:line: message`.
pub(crate) fn template_error(file: &str, error: &minijinja::Error) -> String {
    let line = error.line().map_or_else(String::new, |l| format!("{l}:"));
    format!(
        "{file}:{line} template error: {}",
        error.detail().unwrap_or(&error.to_string())
    )
}

/// At most one blank line in a row, and one newline at the end.
pub(crate) fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}
