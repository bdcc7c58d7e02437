//! The repository's Markdown links resolve: every relative link names a file a clone has, inside
//! the repository, and every `#anchor` names a heading of its target by GitHub's slug rule.
//!
//! Links and headings are found by a CommonMark parser, so a `#` comment inside a code block is
//! not a heading and a `[text](url)` inside a code span is not a link.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The Markdown files whose links must resolve, relative to the repository root.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "BENCHMARKS.md"]
        .iter()
        .map(PathBuf::from)
        .collect();
    files.extend(
        entries(&root.join("docs"))
            .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
            .map(|path| relative(root, &path)),
    );
    // Each crate's README, the migrations crate's included, is its rustdoc front page.
    let crates = entries(&root.join("crates")).chain([root.join("migrations")]);
    files.extend(
        crates
            .map(|dir| dir.join("README.md"))
            .filter(|readme| readme.is_file())
            .map(|readme| relative(root, &readme)),
    );
    files.sort();
    files
}

fn entries(dir: &Path) -> impl Iterator<Item = PathBuf> + use<> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|entry| entry.expect("read a directory entry").path())
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    let path = path.strip_prefix(root).unwrap_or(path);
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// A link as written: where it points and the line it is on.
struct Link {
    destination: String,
    line: usize,
}

/// The links (and images) of one Markdown text.
fn links(text: &str) -> Vec<Link> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset);
    Parser::new_ext(text, options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => Some(Link {
                destination: dest_url.into_string(),
                line: line_of(range.start),
            }),
            _ => None,
        })
        .collect()
}

/// The anchors GitHub gives the headings of one Markdown text.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = HashSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(h) = heading.as_mut() {
                    h.push(' ');
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let base = slug(&heading.take().unwrap_or_default());
                let count = seen.entry(base.clone()).or_insert(0);
                anchors.insert(if *count == 0 {
                    base
                } else {
                    format!("{base}-{count}")
                });
                *count += 1;
            }
            _ => {}
        }
    }
    anchors
}

/// GitHub's heading slug: lowercase, punctuation dropped except `-` and `_`, each space a `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// `%20` and the like, as a browser decodes a link before following it.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A link with a scheme (`https:`, `mailto:`) leaves the repository on purpose.
fn is_external(destination: &str) -> bool {
    let scheme = destination.split(':').next().unwrap_or_default();
    destination.contains(':')
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `a/b/../c` as `a/c`, without touching the file system; `None` when it climbs out of the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// Everything wrong with the links of the given files, one line each.
fn broken_links(root: &Path, files: &[PathBuf]) -> (Vec<String>, usize) {
    let mut anchors_of: BTreeMap<PathBuf, HashSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in files {
        let text = fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        for link in links(&text) {
            if is_external(&link.destination) {
                continue;
            }
            checked += 1;
            let at = format!("{}:{}: `{}`", file.display(), link.line, link.destination);
            let (path, anchor) = match link.destination.split_once('#') {
                Some((path, anchor)) => (path, Some(percent_decode(anchor))),
                None => (link.destination.as_str(), None),
            };
            let path = percent_decode(path.split('?').next().unwrap_or_default());
            let target = if path.is_empty() {
                Some(file.clone())
            } else {
                normalize(&file.parent().unwrap_or(Path::new("")).join(&path))
            };
            let Some(target) = target else {
                problems.push(format!("{at}: points outside the repository"));
                continue;
            };
            if !root.join(&target).exists() {
                problems.push(format!("{at}: no file {}", target.display()));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            if target.extension().is_none_or(|ext| ext != "md") {
                problems.push(format!("{at}: an anchor into a file that is not Markdown"));
                continue;
            }
            let known = anchors_of.entry(target.clone()).or_insert_with(|| {
                anchors(&fs::read_to_string(root.join(&target)).unwrap_or_default())
            });
            if !known.contains(&anchor) {
                problems.push(format!(
                    "{at}: {} has no heading with the anchor #{anchor}",
                    target.display()
                ));
            }
        }
    }
    (problems, checked)
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = markdown_files(root);
    assert!(
        files.iter().any(|f| f.starts_with("docs")),
        "no Markdown file under docs/: {files:?}"
    );
    let (problems, checked) = broken_links(root, &files);
    assert!(
        checked > 0,
        "no relative link found in {files:?}: is the parser reading them?"
    );
    assert!(
        problems.is_empty(),
        "{} broken link(s) in the repository's Markdown:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn slugs_follow_github() {
    let cases = [
        ("People", "people"),
        ("Plain HTTP: `POST /v1/verify`", "plain-http-post-v1verify"),
        (
            "The key cache, and several replicas",
            "the-key-cache-and-several-replicas",
        ),
        (
            "Key events: the event log, webhooks and the event queue",
            "key-events-the-event-log-webhooks-and-the-event-queue",
        ),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("Two  spaces", "two--spaces"),
    ];
    for (heading, expected) in cases {
        assert_eq!(slug(heading), expected, "{heading}");
    }
}

#[test]
fn repeated_headings_get_numbered_anchors() {
    let found = anchors("# Notes\n\n## Notes\n\n### Notes\n\n```sh\n# not a heading\n```\n");
    let expected: HashSet<String> = ["notes", "notes-1", "notes-2"]
        .map(String::from)
        .into_iter()
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn a_broken_link_or_anchor_is_reported() {
    let dir = std::env::temp_dir().join(format!("keyplane-docs-test-{}", std::process::id()));
    fs::create_dir_all(dir.join("docs")).expect("create a scratch folder");
    fs::write(
        dir.join("README.md"),
        "# Front\n\n[ok](docs/a.md#a-heading) [self](#front) [gone](docs/b.md) \
         [bad anchor](docs/a.md#nope) [outside](../shared/x.md) [web](https://example.com)\n\
         `[code](docs/none.md)`\n",
    )
    .expect("write README");
    fs::write(
        dir.join("docs/a.md"),
        "# A heading\n\n[up](../README.md#front)\n",
    )
    .expect("write a");
    let (problems, checked) = broken_links(
        &dir,
        &[PathBuf::from("README.md"), PathBuf::from("docs/a.md")],
    );
    fs::remove_dir_all(&dir).expect("remove the scratch folder");
    assert_eq!(checked, 6, "{problems:?}");
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("no file docs/b.md"), "{}", problems[0]);
    assert!(problems[1].contains("#nope"), "{}", problems[1]);
    assert!(
        problems[2].contains("outside the repository"),
        "{}",
        problems[2]
    );
}
