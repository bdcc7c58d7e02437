//! Builds the console (`console/`, a Vite app) into `OUT_DIR/console` and hands the folder to
//! memory-serve, which embeds it (compressed) in the crate.
//!
//! - With `npm` on the `PATH`, the build runs `npm ci` when `node_modules` is missing or older
//!   than `package-lock.json`, then `npm run build`. Cargo re-runs this script only when a
//!   source of the console (or `schema.graphql`) changed, so the assets are never stale.
//! - Without `npm`, or with `KEYPLANE_SKIP_CONSOLE=1`, a placeholder page that says how to
//!   build the console is embedded instead, so the server still builds.
//! - With `npm` present, a failed console build fails the cargo build: a broken console is
//!   never shipped as a placeholder by accident.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `/console`, `GET /graphql` and `GET /api/v1/docs` show when the binary was built
/// without the console.
const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Keyplane console not built</title></head>
<body>
<h1>The console was not built into this binary</h1>
<p>This Keyplane was compiled without Node.js and npm (or with <code>KEYPLANE_SKIP_CONSOLE=1</code>),
so the web console, GraphiQL and the API reference are not included. The API at <code>/graphql</code> works as usual.</p>
<p>To include them, install Node.js 20 or newer with npm, then build again:</p>
<pre>cargo run --release -- serve</pre>
<p>The build runs <code>npm ci</code> and <code>npm run build</code> in <code>console/</code> by itself.</p>
</body>
</html>
"#;

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let console = manifest.join("../../console");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("console");

    for source in [
        "src",
        "index.html",
        "graphiql.html",
        "api-reference.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "../schema.graphql",
    ] {
        println!("cargo::rerun-if-changed={}", console.join(source).display());
    }
    println!("cargo::rerun-if-env-changed=KEYPLANE_SKIP_CONSOLE");
    println!("cargo::rerun-if-env-changed=PATH");

    let skip = env::var("KEYPLANE_SKIP_CONSOLE").is_ok_and(|v| v == "1");
    let npm = if skip { None } else { find_npm() };
    match npm {
        Some(npm) if console.join("package.json").exists() => {
            build_console(&npm, &console, &out);
            println!("cargo::rustc-env=KEYPLANE_CONSOLE=built");
        }
        _ => {
            println!("cargo::rustc-env=KEYPLANE_CONSOLE=placeholder");
            println!(
                "cargo::warning=npm not found (or KEYPLANE_SKIP_CONSOLE=1): building Keyplane without the web console"
            );
            write_placeholder(&out);
        }
    }
    memory_serve::load_directory_with_embed(&out, true);
}

fn find_npm() -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join("npm"))
        .find(|candidate| candidate.is_file())
}

fn build_console(npm: &Path, console: &Path, out: &Path) {
    let lock = console.join("package-lock.json");
    let installed = console.join("node_modules/.package-lock.json");
    if is_older(&installed, &lock) {
        run(npm, console, &["ci", "--no-audit", "--no-fund"]);
    }
    let out_dir = out.to_str().expect("OUT_DIR is valid UTF-8");
    run(
        npm,
        console,
        &["run", "build", "--", "--outDir", out_dir, "--emptyOutDir"],
    );
}

/// Whether `a` is missing or was modified before `b`.
fn is_older(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(a), modified(b)) {
        (Some(a), Some(b)) => a < b,
        _ => true,
    }
}

fn run(npm: &Path, dir: &Path, args: &[&str]) {
    let status = Command::new(npm)
        .args(args)
        .current_dir(dir)
        // Playwright is a dev dependency: its browser comes from the system, never a download.
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .unwrap_or_else(|e| panic!("could not run npm {}: {e}", args.join(" ")));
    assert!(
        status.success(),
        "`npm {}` failed in console/ (see its output above). Fix it, or build without the console: KEYPLANE_SKIP_CONSOLE=1",
        args.join(" ")
    );
}

fn write_placeholder(out: &Path) {
    if out.exists() {
        fs::remove_dir_all(out).expect("remove the previous console build");
    }
    fs::create_dir_all(out).expect("create the console folder in OUT_DIR");
    fs::write(out.join("index.html"), PLACEHOLDER).expect("write the placeholder page");
    fs::write(out.join("graphiql.html"), PLACEHOLDER).expect("write the placeholder page");
    fs::write(out.join("api-reference.html"), PLACEHOLDER).expect("write the placeholder page");
}
