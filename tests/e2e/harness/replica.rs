//! Another server on a test app's database, as another replica would be.

use std::net::SocketAddr;

use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Gql;

/// Another server on a test app's database.
pub struct Replica {
    pub addr: SocketAddr,
    pub(super) shutdown: Option<oneshot::Sender<()>>,
    pub(super) server: Option<JoinHandle<()>>,
}

impl Replica {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn gql(&self, client: &reqwest::Client, key: &str, query: &str) -> Gql {
        let response = client
            .post(format!("http://{}/graphql", self.addr))
            .header("X-API-Key", key)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("request sent");
        Gql::read(response).await
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }
}
