//! Markdown shown on a page: a customer's documents and the coach's replies,
//! which a model wrote. Raw HTML is shown as text, links go only to web,
//! mail or in-page addresses, and images become links to themselves, so a
//! document can neither run script nor make the browser fetch anything.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

/// Markdown to HTML that is safe to put in a page.
pub(crate) fn to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(inert);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

/// The `markdown` filter of the page templates.
pub(super) fn filter(markdown: &str) -> minijinja::Value {
    minijinja::Value::from_safe_string(to_html(markdown))
}

fn inert(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(
            Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }
            | Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            },
        ) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    }
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:", "#", "/"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
        && !lower.starts_with("//");
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_html("Hi <script>alert(1)</script> and <img src=x onerror=alert(2)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn script_links_are_defused_and_images_become_links() {
        let html = to_html(
            "[x](javascript:alert(1)) [y](//evil.example/) ![z](https://img.example/a.png)",
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("//evil.example"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(r#"<a href="https://img.example/a.png">z</a>"#),
            "{html}"
        );
    }

    #[test]
    fn tables_and_headings_render() {
        let html = to_html("# Plan\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Plan</h1>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
    }
}
