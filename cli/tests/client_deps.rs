//! Client crates stay clients: `kinthread` built without its `demo` feature links no server,
//! no database driver, no HTTP server framework and no password hashing. Checked on the
//! dependency graph cargo resolves (`cargo tree`), so nothing is compiled.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test that cannot go on should stop loudly"
)]

use std::path::Path;
use std::process::Command;

/// Packages, by name or name prefix, that only the server (and the demo, which runs it
/// in-process) may bring in.
const SERVER_ONLY: [&str; 7] = [
    "kinthread-server",
    "diesel",
    "pq-sys",
    "libsqlite3-sys",
    "actix",
    "argon2",
    "jsonwebtoken",
];

fn normal_dependencies(args: &[&str]) -> Vec<String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(env!("CARGO"))
        .current_dir(&workspace)
        .args(["tree", "-p", "kinthread-cli", "-e", "normal"])
        .args(["--prefix", "none", "--format", "{p}"])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn server_only(names: &[String]) -> Vec<&String> {
    names
        .iter()
        .filter(|name| SERVER_ONLY.iter().any(|banned| name.starts_with(banned)))
        .collect()
}

#[test]
fn without_the_demo_the_cli_links_no_server_parts() {
    let names = normal_dependencies(&["--no-default-features"]);
    assert!(names.iter().any(|n| n == "kinthread-import"), "{names:?}");
    assert!(names.iter().any(|n| n == "reqwest"), "{names:?}");
    assert_eq!(server_only(&names), Vec::<&String>::new());
}

#[test]
fn the_default_build_has_the_demo_and_so_the_server() {
    // The check above means something only if the banned names are spelled as cargo does.
    let names = normal_dependencies(&[]);
    let found = server_only(&names);
    for banned in SERVER_ONLY {
        assert!(
            found.iter().any(|name| name.starts_with(banned)),
            "{banned} not in the default graph: {found:?}"
        );
    }
}
