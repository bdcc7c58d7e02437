//! A person through the binary: `keyplane login` keeps the session token, and nothing else
//! secret, in a config file only its owner can read; commands act with it in the profile's
//! environment; `keyplane logout` ends the session on the server and forgets the token.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use super::Keyplane;
use crate::harness::{PASSWORD, TestApp};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn login_keeps_only_the_session_token_in_a_private_file_and_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let person = Keyplane::new(&app, "")
        .without("KEYPLANE_API_KEY")
        .without("KEYPLANE_URL");
    let config = person.config_path();
    let url = app.url("");
    let login = [
        "login",
        "--url",
        url.as_str(),
        "--email",
        owner.email.as_str(),
    ];

    let wrong = person.clone().stdin("not the password\n").run(&login).await;
    assert_eq!(wrong.code, 3, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("UNAUTHENTICATED"));
    wrong.stderr_holds_none_of(&["not the password"]);
    assert!(!config.exists(), "a failed login writes nothing");

    let mut staging = login.to_vec();
    staging.extend(["--environment", "staging", "--output", "json"]);
    let ran = person
        .clone()
        .stdin(&format!("{PASSWORD}\n"))
        .run(&staging)
        .await
        .ok();
    let printed = ran.json();
    assert_eq!(printed["user"]["email"], owner.email.as_str());
    assert_eq!(printed["environment"], "staging");
    assert_eq!(printed["profile"], "default");

    assert_eq!(mode(&config), 0o600, "the config file is its owner's alone");
    assert_eq!(mode(config.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains(PASSWORD), "the password is never kept");
    let file: toml::Table = toml::from_str(&text).unwrap();
    let profile = file["profiles"]["default"].as_table().unwrap();
    let mut fields: Vec<&str> = profile.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["environment", "session_token", "url"]);
    assert_eq!(profile["environment"].as_str(), Some("staging"));
    let token = profile["session_token"].as_str().unwrap().to_owned();
    for stream in [&ran.stdout, &ran.stderr] {
        assert!(
            !stream.contains(&token) && !stream.contains(PASSWORD),
            "{stream}"
        );
    }

    // The profile's URL and session, in staging: staging's two default keys.
    let keys = person
        .run(&["keys", "list", "-o", "json"])
        .await
        .ok()
        .json();
    assert_eq!(keys.as_array().unwrap().len(), 2);
    let staging_env = keys[0]["environmentId"].clone();
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k["environmentId"] == staging_env)
    );
    // --environment overrides the profile's for one command.
    let production = person
        .run(&["keys", "list", "-o", "json", "--environment", "production"])
        .await
        .ok()
        .json();
    assert_ne!(production[0]["environmentId"], staging_env);

    let out = person.run(&["logout"]).await.ok();
    out.stderr_holds_none_of(&[&token]);
    let after: toml::Table = toml::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert!(after["profiles"]["default"].get("session_token").is_none());
    assert_eq!(mode(&config), 0o600);
    let ended = app
        .as_user(&token, "staging", "{ viewer { user { id } } }", json!({}))
        .await;
    assert_eq!(
        ended.code(),
        "UNAUTHENTICATED",
        "the server ended the session"
    );

    assert_eq!(
        person.run(&["keys", "list"]).await.code,
        3,
        "no credential left"
    );
    assert_eq!(
        person.run(&["logout"]).await.code,
        3,
        "nothing to sign out of"
    );
}

#[tokio::test]
async fn the_config_file_is_keyplane_config_else_under_xdg_config_home_else_under_home() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let home = app.db.scratch_path("home");
    let xdg = app.db.scratch_path("xdg");
    let person = Keyplane::new(&app, "")
        .without("KEYPLANE_API_KEY")
        .without("KEYPLANE_CONFIG")
        .env("HOME", home.to_str().unwrap())
        .stdin(&format!("{PASSWORD}\n"));
    let login = ["login", "--email", owner.email.as_str()];

    person.run(&login).await.ok();
    let under_home = home.join(".config/keyplane/config.toml");
    assert_eq!(mode(&under_home), 0o600);

    let with_xdg = person.clone().env("XDG_CONFIG_HOME", xdg.to_str().unwrap());
    with_xdg.run(&login).await.ok();
    assert_eq!(mode(&xdg.join("keyplane/config.toml")), 0o600);

    // A relative XDG_CONFIG_HOME is ignored, as the XDG rule says.
    let relative = person.clone().env("XDG_CONFIG_HOME", "relative");
    relative.run(&["logout"]).await.ok();
    let after: toml::Table =
        toml::from_str(&std::fs::read_to_string(&under_home).unwrap()).unwrap();
    assert!(after["profiles"]["default"].get("session_token").is_none());
    assert!(!person.dir.join("relative").exists());
}
