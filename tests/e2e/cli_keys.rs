//! The client commands of the `keyplane` binary (`keys`, `audit`, `usage`, `login`,
//! `logout`), run as real processes against a real server: the pipeline script of
//! `examples/` and a rotation retried through a proxy that drops its answer (`pipeline`),
//! every exit code (`exit_codes`), the JSON shapes and where secrets go (`output`), a
//! person's session in the config file (`sessions`), and `--help` and completions (`help`).

mod exit_codes;
mod help;
mod output;
mod pipeline;
mod sessions;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::TestApp;

pub const BIN: &str = env!("CARGO_BIN_EXE_keyplane");

/// What one run of the binary did.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The run succeeded.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        self
    }

    /// Its stdout, one JSON value.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {}", self.stdout))
    }

    /// Neither stream holds any of `secrets`.
    #[track_caller]
    pub fn stderr_holds_none_of(&self, secrets: &[&str]) {
        for secret in secrets {
            assert!(
                !self.stderr.contains(secret),
                "a secret on stderr: {}",
                self.stderr
            );
        }
    }
}

/// The binary as a pipeline runs it: a clean environment holding only what is set here
/// (`KEYPLANE_URL`, `KEYPLANE_API_KEY`, a config file of the test's own), in a working
/// directory of its own.
#[derive(Debug, Clone)]
pub struct Keyplane {
    env: Vec<(String, String)>,
    stdin: Option<String>,
    /// Where stdout goes instead of a pipe the test reads (`/dev/full`).
    stdout_to: Option<PathBuf>,
    pub dir: PathBuf,
}

impl Keyplane {
    /// Against `app`, acting with `key`.
    pub fn new(app: &TestApp, key: &str) -> Self {
        let dir = app.db.scratch_path("cli");
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            env: Vec::new(),
            stdin: None,
            stdout_to: None,
            dir: dir.clone(),
        }
        .env("KEYPLANE_URL", &app.url(""))
        .env("KEYPLANE_API_KEY", key)
        .env(
            "KEYPLANE_CONFIG",
            dir.join("config").join("config.toml").to_str().unwrap(),
        )
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config").join("config.toml")
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.env.retain(|(n, _)| n != name);
        self
    }

    /// What stdin holds (otherwise it is empty, and not a terminal).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Stdout goes to the file at `path` (then `Ran::stdout` is empty).
    pub fn stdout_to(mut self, path: &str) -> Self {
        self.stdout_to = Some(PathBuf::from(path));
        self
    }

    /// Runs the binary with `args` off the async runtime (the test's server and proxy run
    /// on it).
    pub async fn run(&self, args: &[&str]) -> Ran {
        let this = self.clone();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        tokio::task::spawn_blocking(move || this.run_now(&args))
            .await
            .unwrap()
    }

    fn run_now(&self, args: &[String]) -> Ran {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(&self.dir)
            .env_clear()
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(n, v)| (n, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(match &self.stdout_to {
                Some(path) => {
                    Stdio::from(std::fs::OpenOptions::new().write(true).open(path).unwrap())
                }
                None => Stdio::piped(),
            })
            .stderr(Stdio::piped())
            .spawn()
            .expect("the keyplane binary runs");
        if let Some(text) = &self.stdin {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(text.as_bytes()).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        Ran {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}
