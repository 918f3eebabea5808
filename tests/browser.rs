//! Headless Chromium for the tests that check what an HTML report renders.
//!
//! Chromium is Debian's `chromium` package (`.ci/run` installs it). Without it the browser tests
//! print why they did nothing, unless `RHETOR_REQUIRE_BROWSER=1` is set (as CI does): then a
//! missing browser fails them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::Dir;

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("RHETOR_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates.into_iter().flatten().find(|p| p.exists())
}

/// The browser, or `None` (with a message) when it is missing and not required.
pub fn browser() -> Option<PathBuf> {
    match chromium() {
        Some(p) => Some(p),
        None if std::env::var("RHETOR_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("RHETOR_REQUIRE_BROWSER=1 but no Chromium at /usr/bin/chromium")
        }
        None => {
            eprintln!("skipped: no Chromium (install Debian's `chromium` to run browser tests)");
            None
        }
    }
}

/// Runs Chromium headless on a local file with the given extra arguments; returns stdout.
fn run(browser: &Path, page: &Path, args: &[String]) -> String {
    let profile = Dir::new();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path("profile").display()
        ))
        .args(args)
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("Chromium starts");
    assert!(
        out.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
}

/// The DOM of a page after its scripts ran.
pub fn dump_dom(browser: &Path, page: &Path) -> String {
    run(browser, page, &["--dump-dom".to_string()])
}

/// A PNG screenshot of a page, `width` × `height` pixels.
pub fn screenshot(browser: &Path, page: &Path, png: &Path, width: u32, height: u32) {
    run(
        browser,
        page,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
        ],
    );
    assert!(png.exists(), "no screenshot written");
}

/// The value of a `data-` attribute of `<body>` in a dumped DOM.
pub fn body_attribute(dom: &str, name: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let tag = &body[..body.find('>')?];
    let key = format!("{name}=\"");
    let from = tag.find(&key)? + key.len();
    Some(tag[from..from + tag[from..].find('"')?].to_string())
}
