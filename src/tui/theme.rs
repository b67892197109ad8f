//! Themes: the ONLY place that names colours. Every other TUI module asks a [`Theme`] for a
//! named style (`theme.styles.error`), so a theme file can restyle everything and `NO_COLOR`
//! can strip every colour in one place.
//!
//! Built-in themes (themes/*.toml) are embedded with `include_str!`. A user file
//! `HARNESS_HOME/themes/NAME.toml` overlays the built-in theme of the same name, or, for a new
//! name, the theme named by its `extends` key (default `dark`). Keys a file leaves out keep the
//! base theme's value.

use ratatui::style::{Color, Modifier, Style};
use std::path::Path;

const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Names of the built-in themes, in display order.
pub fn built_in_names() -> Vec<String> {
    BUILT_IN.iter().map(|(n, _)| n.to_string()).collect()
}

/// Names of every theme available: built-ins then user files (sorted, without duplicates).
pub fn available_names(themes_dir: Option<&Path>) -> Vec<String> {
    let mut names = built_in_names();
    if let Some(dir) = themes_dir {
        let mut user: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let path = entry.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(str::to_string))
                    .flatten()
            })
            .filter(|n| !names.contains(n))
            .collect();
        user.sort();
        names.extend(user);
    }
    names
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ThemeError {
    #[error("theme `{name}`: {message}")]
    Invalid { name: String, message: String },
    #[error(
        "unknown theme `{0}`: use one of the built-in themes (dark, light, high-contrast) or add themes/{0}.toml"
    )]
    Unknown(String),
}

macro_rules! theme_styles {
    ($($field:ident),* $(,)?) => {
        /// Every named style of the UI.
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct Styles {
            $(pub $field: Style,)*
        }

        impl Styles {
            /// The keys a theme file may set.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn set(&mut self, key: &str, style: Style) -> bool {
                match key {
                    $(stringify!($field) => { self.$field = style; true })*
                    _ => false,
                }
            }

            fn strip_colours(&mut self) {
                $(self.$field = monochrome(self.$field);)*
            }
        }
    };
}

theme_styles!(
    text,
    dim,
    user,
    user_prefix,
    assistant_prefix,
    reasoning,
    badge,
    tool,
    tool_output,
    tool_ok,
    tool_error,
    error,
    notice,
    heading,
    emphasis,
    strong,
    strikethrough,
    inline_code,
    code_block,
    link,
    quote,
    list_marker,
    rule,
    status_bar,
    status_accent,
    spinner,
    composer_border,
    composer_busy_border,
    placeholder,
    popup_border,
    popup_title,
    popup_selected,
    popup_description,
    approval_border,
    diff_added,
    diff_removed,
    diff_header,
    key_hint,
    deleted,
    search_match,
);

/// A resolved theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub styles: Styles,
    /// The syntect theme for code blocks; `None` leaves code unhighlighted (monochrome).
    pub syntax: Option<String>,
}

impl Default for Theme {
    fn default() -> Self {
        Self::built_in("dark").unwrap_or_else(|_| Theme {
            name: "dark".into(),
            styles: Styles::default(),
            syntax: None,
        })
    }
}

impl Theme {
    /// One of the embedded themes.
    pub fn built_in(name: &str) -> Result<Self, ThemeError> {
        let (_, text) = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown(name.to_string()))?;
        let mut theme = Theme {
            name: name.to_string(),
            styles: Styles::default(),
            syntax: None,
        };
        theme.overlay(name, text)?;
        Ok(theme)
    }

    /// Resolve `name`: a user file in `themes_dir` overlays a built-in; `no_color` strips colours.
    pub fn load(name: &str, themes_dir: Option<&Path>, no_color: bool) -> Result<Self, ThemeError> {
        let user_text = themes_dir
            .map(|dir| dir.join(format!("{name}.toml")))
            .filter(|p| p.is_file())
            .map(|p| {
                std::fs::read_to_string(&p).map_err(|e| ThemeError::Invalid {
                    name: name.to_string(),
                    message: format!("cannot read {}: {e}", p.display()),
                })
            })
            .transpose()?;
        let mut theme = match (&user_text, Theme::built_in(name)) {
            (_, Ok(t)) => t,
            (Some(text), Err(_)) => {
                let base = extends_of(name, text)?;
                let mut t = Theme::built_in(&base)?;
                t.name = name.to_string();
                t
            }
            (None, Err(e)) => return Err(e),
        };
        if let Some(text) = &user_text {
            theme.overlay(name, text)?;
        }
        if no_color {
            theme.make_monochrome();
        }
        Ok(theme)
    }

    /// Remove every colour, keeping bold/italic/reverse so structure stays visible.
    pub fn make_monochrome(&mut self) {
        self.styles.strip_colours();
        self.styles.popup_selected = self.styles.popup_selected.add_modifier(Modifier::REVERSED);
        self.styles.search_match = self.styles.search_match.add_modifier(Modifier::REVERSED);
        self.syntax = None;
    }

    fn overlay(&mut self, name: &str, text: &str) -> Result<(), ThemeError> {
        let invalid = |message: String| ThemeError::Invalid {
            name: name.to_string(),
            message,
        };
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            invalid(format!("{} (fix the TOML syntax)", e.message()))
        })?;
        for (key, value) in &table {
            match key.as_str() {
                "syntax" => {
                    self.syntax = Some(
                        value
                            .as_str()
                            .ok_or_else(|| invalid("`syntax` must be a string".into()))?
                            .to_string(),
                    );
                }
                "extends" => {}
                "styles" => {
                    let styles = value
                        .as_table()
                        .ok_or_else(|| invalid("`styles` must be a table".into()))?;
                    for (style_key, spec) in styles {
                        let style = parse_style(spec)
                            .map_err(|m| invalid(format!("styles.{style_key}: {m}")))?;
                        if !self.styles.set(style_key, style) {
                            return Err(invalid(format!(
                                "unknown style `{style_key}`: known styles are {}",
                                Styles::KEYS.join(", ")
                            )));
                        }
                    }
                }
                other => {
                    return Err(invalid(format!(
                        "unknown key `{other}`: use `syntax`, `extends` or `[styles]`"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The terminal colour for a syntax-highlighting colour (the highlighter speaks RGB).
    pub fn syntax_colour(r: u8, g: u8, b: u8) -> Color {
        Color::Rgb(r, g, b)
    }
}

fn extends_of(name: &str, text: &str) -> Result<String, ThemeError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ThemeError::Invalid {
            name: name.to_string(),
            message: format!("{} (fix the TOML syntax)", e.message()),
        })?;
    Ok(table
        .get("extends")
        .and_then(|v| v.as_str())
        .unwrap_or("dark")
        .to_string())
}

fn parse_style(spec: &toml::Value) -> Result<Style, String> {
    let table = spec
        .as_table()
        .ok_or("a style must be an inline table like { fg = \"red\", bold = true }")?;
    let mut style = Style::default();
    for (key, value) in table {
        match key.as_str() {
            "fg" | "bg" => {
                let text = value.as_str().ok_or(format!("`{key}` must be a string"))?;
                let colour: Color = text.parse().map_err(|_| {
                    format!(
                        "`{text}` is not a colour: use a name like \"red\", \"#rrggbb\" or 0-255"
                    )
                })?;
                style = if key == "fg" {
                    style.fg(colour)
                } else {
                    style.bg(colour)
                };
            }
            "bold" | "italic" | "dim" | "underline" | "reversed" => {
                let on = value
                    .as_bool()
                    .ok_or(format!("`{key}` must be true or false"))?;
                let modifier = match key.as_str() {
                    "bold" => Modifier::BOLD,
                    "italic" => Modifier::ITALIC,
                    "dim" => Modifier::DIM,
                    "underline" => Modifier::UNDERLINED,
                    _ => Modifier::REVERSED,
                };
                if on {
                    style = style.add_modifier(modifier);
                }
            }
            other => {
                return Err(format!(
                    "unknown attribute `{other}`: use fg, bg, bold, italic, dim, underline, reversed"
                ));
            }
        }
    }
    Ok(style)
}

fn monochrome(style: Style) -> Style {
    Style {
        fg: None,
        bg: None,
        underline_color: None,
        ..style
    }
}

/// Whether the environment asks for no colour (`NO_COLOR` set and non-empty).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (style, fg, bg) of every style a built-in theme file sets.
    fn colours(name: &str) -> Vec<(String, Option<String>, Option<String>)> {
        let text = BUILT_IN.iter().find(|(n, _)| *n == name).unwrap().1;
        let table: toml::Table = text.parse().unwrap();
        let styles = table["styles"].as_table().unwrap();
        let get = |spec: &toml::Value, key: &str| {
            spec.get(key).and_then(|v| v.as_str()).map(str::to_string)
        };
        styles
            .iter()
            .map(|(k, spec)| (k.clone(), get(spec, "fg"), get(spec, "bg")))
            .collect()
    }

    #[test]
    fn light_never_writes_ansi_7_or_white_on_the_background() {
        for (style, fg, bg) in colours("light") {
            if bg.is_none() {
                assert!(
                    !matches!(
                        fg.as_deref(),
                        Some("gray" | "white" | "7" | "15" | "lightyellow")
                    ),
                    "light: {style} is {fg:?} on a light background"
                );
            }
        }
    }

    #[test]
    fn high_contrast_reads_on_dark_and_light_backgrounds() {
        for (style, fg, bg) in colours("high-contrast") {
            assert!(
                bg.is_some() || matches!(fg.as_deref(), None | Some("reset")),
                "high-contrast: {style} is {fg:?} on whatever the terminal's background is"
            );
        }
    }

    #[test]
    fn every_built_in_theme_parses_and_sets_every_coloured_style() {
        for name in built_in_names() {
            let theme = Theme::built_in(&name).unwrap();
            assert!(theme.syntax.is_some(), "{name} has a syntax theme");
            // Every key must appear in the file, so a new style cannot be forgotten.
            let text = BUILT_IN.iter().find(|(n, _)| *n == name).unwrap().1;
            for key in Styles::KEYS {
                assert!(
                    text.contains(&format!("\n{key} = ")),
                    "{name} does not set `{key}`"
                );
            }
        }
    }

    #[test]
    fn user_file_overlays_built_in_and_new_names_extend() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("dark.toml"),
            "[styles]\nerror = { fg = \"#010203\" }\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "extends = \"light\"\n[styles]\nuser = { fg = \"green\", bold = true }\n",
        )
        .unwrap();
        let dark = Theme::load("dark", Some(dir.path()), false).unwrap();
        assert_eq!(dark.styles.error, Style::default().fg(Color::Rgb(1, 2, 3)));
        assert_eq!(
            dark.styles.user,
            Theme::built_in("dark").unwrap().styles.user
        );
        let mine = Theme::load("mine", Some(dir.path()), false).unwrap();
        assert_eq!(mine.name, "mine");
        assert_eq!(
            mine.styles.user,
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(mine.syntax, Theme::built_in("light").unwrap().syntax);
        assert_eq!(
            available_names(Some(dir.path())),
            vec!["dark", "light", "high-contrast", "mine"]
        );
    }

    #[test]
    fn bad_theme_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("[styles]\nnope = {}\n", "unknown style `nope`"),
            (
                "[styles]\nerror = { fg = \"mauve-ish\" }\n",
                "is not a colour",
            ),
            (
                "[styles]\nerror = { blink = true }\n",
                "unknown attribute `blink`",
            ),
            ("colour = 1\n", "unknown key `colour`"),
            ("[styles\n", "fix the TOML syntax"),
        ];
        for (text, want) in cases {
            std::fs::write(dir.path().join("bad.toml"), text).unwrap();
            let err = Theme::load("bad", Some(dir.path()), false).unwrap_err();
            assert!(err.to_string().contains(want), "{text:?}: {err}");
        }
        assert_eq!(
            Theme::load("nothing", Some(dir.path()), false).unwrap_err(),
            ThemeError::Unknown("nothing".into())
        );
    }

    #[test]
    fn no_color_strips_every_colour_but_keeps_modifiers() {
        let theme = Theme::load("dark", None, true).unwrap();
        let s = &theme.styles;
        for style in [
            s.error,
            s.user,
            s.popup_selected,
            s.heading,
            s.status_accent,
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        assert!(s.error.add_modifier.contains(Modifier::BOLD));
        assert!(s.popup_selected.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(theme.syntax, None);
    }
}
