use super::*;

fn plain(text: &str, width: usize) -> Vec<String> {
    let theme = Theme::load("dark", None, true).unwrap_or_default();
    render(text, width, &theme)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

#[test]
fn renders_blocks() {
    let cases: &[(&str, &[&str])] = &[
        ("hello *world*", &["hello world"]),
        ("# Title\n\ntext", &["# Title", "", "text"]),
        ("- a\n- b\n  - c", &["• a", "• b", "  • c"]),
        ("3. x\n4. y", &["3. x", "4. y"]),
        ("> quoted\n> more", &["│ quoted", "│ more"]),
        ("one\ntwo", &["one", "two"]),
        ("- item\n  continued", &["• item", "  continued"]),
        ("*a\nb*", &["a", "b"]),
        ("```rust\nfn x() {}\n```", &["```rust", "fn x() {}", "```"]),
        ("a `code` b", &["a code b"]),
        ("[site](http://x.y)", &["site (http://x.y)"]),
        ("<http://x.y>", &["http://x.y"]),
        ("---", &["────────────────────"]),
        ("- [x] done", &["• [x] done"]),
        (
            "| a | bb |\n|---|---|\n| 1 | 2 |",
            &["a │ bb", "──┼───", "1 │ 2"],
        ),
        ("```\nopen fence", &["```", "open fence", "```"]),
        ("para one\n\npara two", &["para one", "", "para two"]),
    ];
    for (md, want) in cases {
        assert_eq!(plain(md, 20), *want, "{md:?}");
    }
}

#[test]
fn wraps_list_items_with_hanging_indent() {
    assert_eq!(
        plain("- one two three four", 10),
        ["• one two", "  three", "  four"]
    );
}

#[test]
fn code_blocks_are_extracted_in_order() {
    let md = "x\n```sh\nls\n```\n\n    indented\n\n```\nb\n```";
    assert_eq!(code_blocks(md), ["ls\n", "indented\n", "b\n"]);
}

#[test]
fn stream_split_stops_before_open_fences() {
    let cases: &[(&str, usize)] = &[
        ("no blank line yet", 0),
        ("para\n\nnext", 6),
        ("para\n\n```\ncode\n\nmore", 6),
        ("para\n\n```\ncode\n\n```\n\ntail", 21),
        ("a\n\nb\n\nc", 6),
    ];
    for (text, want) in cases {
        let mut split = StreamSplit::default();
        assert_eq!(split.update(text), *want, "{text:?}");
        // Feeding the same text byte by byte gives the same answer.
        let mut split = StreamSplit::default();
        let mut got = 0;
        for i in 1..=text.len() {
            if text.is_char_boundary(i) {
                got = split.update(&text[..i]);
            }
        }
        assert_eq!(got, *want, "incremental {text:?}");
    }
}

#[test]
fn stable_prefix_renders_the_same_alone() {
    let text =
        "# H\n\nsome *text* here\n\n- a\n- b\n\n```rust\nlet x = 1;\n```\n\ntail being typed";
    let mut split = StreamSplit::default();
    let cut = split.update(text);
    let mut joined = plain(&text[..cut], 30);
    joined.push(String::new());
    joined.extend(plain(&text[cut..], 30));
    assert_eq!(joined, plain(text, 30));
}
