//! A person's session: `POST /auth/login` (email and password, answered with a session token)
//! and `POST /auth/logout`. A command line keeps the token and acts with
//! [`Credentials::Session`](crate::Credentials::Session).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::client::{Call, Client};
use crate::error::Error;
use crate::secret::Secret;

/// A signed-in session: its token (shown only here), when it ends, who, and the environments
/// the person may act in.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
    pub user: SessionUser,
    pub environments: Vec<SessionEnvironment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// `OWNER`, `MEMBER` or `READ_ONLY`.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SessionEnvironment {
    pub id: String,
    pub slug: String,
    pub name: String,
}

#[derive(Serialize)]
struct LoginBody<'a> {
    email: &'a str,
    password: &'a Secret,
}

impl Client {
    /// Signs a person in. Sent without this client's credential; retried only when it surely
    /// did not run (each run is a password guess and may open a session).
    pub async fn login(&self, email: &str, password: &Secret) -> Result<Login, Error> {
        let body = LoginBody { email, password };
        let path = ["auth", "login"];
        self.json(Call::post(&path).counted().anonymous().json(&body)?)
            .await
    }

    /// Ends the session this client acts with.
    pub async fn logout(&self) -> Result<(), Error> {
        let path = ["auth", "logout"];
        self.send(Call::post(&path).counted()).await.map(|_| ())
    }
}
