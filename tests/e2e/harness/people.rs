//! People in tests: the setup link, invitations, sessions, and requests made as a user.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Gql, TestApp};

pub const PASSWORD: &str = "correct horse battery staple";

const ACCEPT: &str = "mutation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) { sessionToken expiresAt user { id email role } } }";

/// A signed-in user: their id and session token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: String,
    pub email: String,
    pub token: String,
}

/// An account with one user of each role, signed in.
#[derive(Debug, Clone)]
pub struct People {
    pub owner: SignedIn,
    pub member: SignedIn,
    pub read_only: SignedIn,
}

/// The token in a one-time link's fragment.
pub fn link_token(url: &str) -> String {
    url.split_once('#')
        .expect("a link carries its token after #")
        .1
        .to_owned()
}

impl TestApp {
    /// The bootstrap's owner setup token.
    pub fn setup_token(&self) -> String {
        link_token(&self.keys.setup_link.as_ref().expect("a setup link").url)
    }

    /// `acceptInvitation` without any credential.
    pub async fn accept(&self, input: Value) -> Gql {
        self.gql(None, ACCEPT, json!({ "input": input })).await
    }

    async fn signed_in(&self, input: Value) -> SignedIn {
        let data = self.accept(input).await.data();
        let accepted = &data["acceptInvitation"];
        SignedIn {
            id: accepted["user"]["id"].as_str().unwrap().to_owned(),
            email: accepted["user"]["email"].as_str().unwrap().to_owned(),
            token: accepted["sessionToken"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates the first owner through the setup link.
    pub async fn setup_owner(&self) -> SignedIn {
        self.signed_in(json!({
            "token": self.setup_token(),
            "email": "owner@example.com",
            "displayName": "Olive Owner",
            "password": PASSWORD,
        }))
        .await
    }

    /// `owner` invites `email` with `role`; the invitee accepts and is signed in.
    pub async fn invite(&self, owner: &SignedIn, email: &str, role: &str) -> SignedIn {
        let data = self
            .as_user(
                &owner.token,
                "production",
                "mutation($input: InviteUserInput!) { inviteUser(input: $input) { invitationUrl } }",
                json!({ "input": { "email": email, "role": role } }),
            )
            .await
            .data();
        let url = data["inviteUser"]["invitationUrl"].as_str().unwrap();
        self.signed_in(json!({
            "token": link_token(url),
            "displayName": email,
            "password": PASSWORD,
        }))
        .await
    }

    /// An owner, a member and a read-only user, each signed in.
    pub async fn people(&self) -> People {
        let owner = self.setup_owner().await;
        let member = self.invite(&owner, "member@example.com", "MEMBER").await;
        let read_only = self.invite(&owner, "reader@example.com", "READ_ONLY").await;
        People {
            owner,
            member,
            read_only,
        }
    }

    /// A GraphQL request with a bearer session token, acting in `environment`.
    pub async fn as_user(
        &self,
        token: &str,
        environment: &str,
        query: &str,
        variables: Value,
    ) -> Gql {
        let response = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .header("Keyplane-Environment", environment)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        Gql::read(response).await
    }

    /// `POST /auth/login`; answers the status and the JSON body.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let response = self
            .client
            .post(self.url("/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, headers, body)
    }
}
