//! A person through the client: signed in with email and password, acting in an environment
//! with the session token, signed out.

use keyplane_client::{ApiKeyFilter, Client, Credentials, ErrorCode, PageRequest, Secret};

use crate::harness::{PASSWORD, TestApp};

#[tokio::test]
async fn a_person_signs_in_acts_in_an_environment_and_signs_out() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let anonymous = Client::builder(&app.url(""), None).build().unwrap();

    let wrong = anonymous
        .login(&owner.email, &Secret::new("not the password"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some(&ErrorCode::Unauthenticated), "{wrong}");
    assert!(!wrong.to_string().contains("not the password"));

    let login = anonymous
        .login(&owner.email, &Secret::new(PASSWORD))
        .await
        .unwrap();
    assert_eq!(login.user.email, owner.email);
    assert!(!format!("{login:?}").contains(login.token.expose()));
    let staging = login
        .environments
        .iter()
        .find(|e| e.slug == "staging")
        .expect("a staging environment")
        .clone();

    let person = Client::new(
        &app.url(""),
        Credentials::session(login.token.clone(), "staging"),
    )
    .unwrap();
    let keys = person
        .list_api_keys(&ApiKeyFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(keys.data.len(), 2, "staging's default keys");
    assert!(keys.data.iter().all(|k| k.environment_id == staging.id));
    // The staging session cannot see a production key.
    let production_key = client_of_admin(&app).await;
    let hidden = person.get_api_key(&production_key).await.unwrap_err();
    assert_eq!(hidden.code(), Some(&ErrorCode::NotFound));

    person.logout().await.unwrap();
    let ended = person
        .list_api_keys(&ApiKeyFilter::default(), &PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(ended.code(), Some(&ErrorCode::Unauthenticated));
}

/// The id of a production key.
async fn client_of_admin(app: &TestApp) -> String {
    app.create_key("production-only", &["customers:read"])
        .await
        .0
}
