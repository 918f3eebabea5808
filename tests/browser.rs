//! Headless Chromium for tests of HTML output: the DOM after scripts ran (`--dump-dom`) and
//! screenshots.
//!
//! [`Browser::for_test`] finds Chromium (`RHETOR_CHROMIUM` when set, and then only there; else
//! `chromium`, `chromium-browser` or `google-chrome` on the `PATH`, else `/usr/bin/chromium`).
//! When there is
//! none the test is skipped with a message on stderr, unless `RHETOR_REQUIRE_BROWSER=1` (as CI
//! sets after installing Chromium), which makes a missing browser a failure.
//!
//! Each run gets a fresh profile directory and every network and background feature off, so
//! runs are independent and nothing is fetched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a browser run may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(90);

/// A Chromium executable.
pub struct Browser {
    exe: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

impl Browser {
    /// The browser, if one is installed.
    pub fn find() -> Option<Browser> {
        if let Some(p) = std::env::var_os("RHETOR_CHROMIUM") {
            let exe = PathBuf::from(p);
            return exe.is_file().then_some(Browser { exe });
        }
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|n| on_path(n))
            .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
            .map(|exe| Browser { exe })
    }

    /// The browser for test `test`, or `None` (with a message) to skip it; panics when
    /// `RHETOR_REQUIRE_BROWSER=1` and there is no browser.
    pub fn for_test(test: &str) -> Option<Browser> {
        let found = Browser::find();
        if found.is_none() {
            let required = std::env::var("RHETOR_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "{test}: RHETOR_REQUIRE_BROWSER=1 but no Chromium was found (install chromium, \
                 or point RHETOR_CHROMIUM at it)"
            );
            eprintln!(
                "skipping {test}: no Chromium found (install chromium or set RHETOR_CHROMIUM; \
                 RHETOR_REQUIRE_BROWSER=1 makes this a failure)"
            );
        }
        found
    }

    /// Runs the browser headless on `page` with `args` and returns its standard output.
    fn run(&self, page: &Path, args: &[String]) -> String {
        let profile = tempfile::tempdir().expect("browser profile dir");
        let url = format!(
            "file://{}",
            page.canonicalize().expect("page exists").display()
        );
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.exe.display()));
        // Read the pipes on their own threads so that a full pipe cannot stall the browser.
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut s).map(|_| s)
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
            s
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for the browser") {
                break status;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{} did not finish within {TIMEOUT:?} on {url}",
                    self.exe.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = out.join().expect("stdout reader").unwrap_or_default();
        let stderr = err.join().expect("stderr reader");
        assert!(
            status.success(),
            "{} failed with {status} on {url}\n--- stderr ---\n{stderr}",
            self.exe.display()
        );
        stdout
    }

    /// The DOM of `page` after its scripts ran, serialised.
    pub fn dump_dom(&self, page: &Path) -> String {
        let dom = self.run(page, &["--dump-dom".to_string()]);
        assert!(
            dom.contains("<body"),
            "no DOM from {}:\n{dom}",
            page.display()
        );
        dom
    }

    /// A PNG screenshot of `page` in a window of `width` × `height` pixels.
    pub fn screenshot(&self, page: &Path, png: &Path, width: u32, height: u32) {
        self.run(
            page,
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={width},{height}"),
                "--hide-scrollbars".to_string(),
            ],
        );
        assert!(png.is_file(), "no screenshot written to {}", png.display());
    }
}

/// The attributes of the `<body>` start tag of a serialised DOM, as (name, value) pairs.
pub fn body_attributes(dom: &str) -> Vec<(String, String)> {
    let start = dom.find("<body").expect("a <body> tag");
    let end = start + dom[start..].find('>').expect("end of <body> tag");
    let tag = &dom[start + 5..end];
    let mut attrs = Vec::new();
    let mut rest = tag.trim();
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().to_string();
        let value_end = rest[eq + 2..].find('"').expect("closing quote");
        attrs.push((name, rest[eq + 2..eq + 2 + value_end].to_string()));
        rest = rest[eq + 2 + value_end + 1..].trim_start();
    }
    attrs
}

/// A numeric attribute of `<body>`; panics with the tag when it is missing.
pub fn body_number(dom: &str, name: &str) -> usize {
    let attrs = body_attributes(dom);
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name} on <body>: {attrs:?}"))
}

#[test]
fn body_attributes_are_read_from_the_start_tag() {
    let dom = "<html><head></head><body data-charts=\"3\" class=\"x y\" data-bars=\"12\"><p>";
    assert_eq!(
        body_attributes(dom),
        [
            ("data-charts".to_string(), "3".to_string()),
            ("class".to_string(), "x y".to_string()),
            ("data-bars".to_string(), "12".to_string()),
        ]
    );
    assert_eq!(body_number(dom, "data-bars"), 12);
}
