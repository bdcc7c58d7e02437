//! `--help` has an example for every command and the exit codes; `completions` prints a
//! script for each shell.

use std::process::Command;

fn keyplane(args: &[&str]) -> (i32, String) {
    let output = Command::new(super::BIN)
        .args(args)
        .env_clear()
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn every_command_has_an_example_in_its_help() {
    let commands: &[&[&str]] = &[
        &["init"],
        &["serve"],
        &["migrate"],
        &["set-plan"],
        &["user", "add"],
        &["user", "reset-password"],
        &["keys", "list"],
        &["keys", "get"],
        &["keys", "create"],
        &["keys", "update"],
        &["keys", "rotate"],
        &["keys", "expire"],
        &["keys", "revoke"],
        &["keys", "disable"],
        &["keys", "enable"],
        &["keys", "verify"],
        &["audit"],
        &["usage"],
        &["login"],
        &["logout"],
        &["completions"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let (code, help) = keyplane(&args);
        assert_eq!(code, 0, "{command:?}");
        assert!(
            help.contains("Example"),
            "{command:?} has no example:\n{help}"
        );
    }
    for args in [&["--help"][..], &["keys", "--help"]] {
        let (_, help) = keyplane(args);
        for line in [
            "3    unauthenticated or forbidden",
            "7    unavailable",
            "8    keys verify: the verified key is not valid",
            "130  interrupted",
        ] {
            assert!(help.contains(line), "{args:?}:\n{help}");
        }
    }
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, script) = keyplane(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(
            script.contains("keyplane") && script.contains("rotate"),
            "{shell}"
        );
    }
    assert_eq!(keyplane(&["completions", "cmd.exe"]).0, 2);
}
