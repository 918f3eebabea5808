//! `rhetor score --format html`, rendered in a real headless Chromium.

use crate::browser::{body_attributes, body_number, Browser};
use crate::util::*;

/// Two example articles from `corpus/`: the page must render every paragraph, the evidence
/// highlights and the summary bars, with nothing wider than the window.
#[test]
fn html_report_renders_in_chromium() {
    let dir = Dir::new();
    let page = dir.path("report.html");
    let mut cmd = rhetor(["score", "--format", "html", "-o"]);
    cmd.arg(&page)
        .arg(corpus("articles/harbour-herald-congestion-charge.txt"))
        .arg(corpus("articles/lantern-review-school-phone-ban.txt"));
    ok(cmd);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for forbidden in ["http://", "https://"] {
        let uses: Vec<&str> = html
            .match_indices(forbidden)
            .map(|(i, _)| &html[i.saturating_sub(20)..(i + 40).min(html.len())])
            .filter(|s| !s.contains("www.w3.org/2000/svg"))
            .collect();
        assert!(uses.is_empty(), "the page refers to the network: {uses:?}");
    }
    let Some(chromium) = Browser::for_test("html_report_renders_in_chromium") else {
        return;
    };
    let dom = chromium.dump_dom(&page);
    let attrs = body_attributes(&dom);
    assert!(
        attrs.contains(&("data-layout".to_string(), "done".to_string())),
        "the page's script did not run: {attrs:?}"
    );
    let attr = |name: &str| body_number(&dom, name);
    assert_eq!(attr("data-paragraphs"), 12 + 12, "every paragraph");
    assert!(attr("data-highlights") > 20, "evidence is highlighted");
    assert_eq!(attr("data-charts"), 2 * 4, "a chart per task per article");
    assert!(attr("data-rendered-bars") >= 6, "summary charts are drawn");
    assert_eq!(
        attr("data-rendered-bars"),
        attr("data-bars"),
        "every bar has a size"
    );
    assert_eq!(attr("data-overflowing"), 0, "nothing wider than the window");
    for text in [
        "harbour-herald-congestion-charge.txt",
        "lantern-review-school-phone-ban.txt",
        "HEADLINE",
    ] {
        assert!(
            dom.contains(text) || dom.to_uppercase().contains(text),
            "{text}"
        );
    }
    let png = dir.path("report.png");
    chromium.screenshot(&page, &png, 1200, 1600);
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}
