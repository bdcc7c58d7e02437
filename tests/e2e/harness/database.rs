//! The throwaway database of one test: a fresh SQLite file, or a fresh PostgreSQL database
//! `test_<uuid>` when `KEYPLANE_TEST_DATABASE_URL` names a PostgreSQL server (any database on
//! it: it is only used to create and drop the test databases). Removed when dropped.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Database};

use super::TEST_DATABASE_ENV;

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keyplane-test-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A database that exists for one test and is removed after it.
#[derive(Debug)]
pub enum TestDatabase {
    Sqlite {
        dir: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        dir: PathBuf,
    },
}

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var(TEST_DATABASE_ENV) {
            Ok(url) if url.starts_with("postgres") => {
                let name = format!("test_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(&url)
                    .await
                    .expect("the PostgreSQL server named by KEYPLANE_TEST_DATABASE_URL answers");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                Self::Postgres {
                    admin_url: url,
                    name,
                    dir: scratch_dir(),
                }
            }
            _ => {
                let dir =
                    std::env::temp_dir().join(format!("keyplane-test-{}", uuid::Uuid::now_v7()));
                std::fs::create_dir_all(&dir).unwrap();
                Self::Sqlite { dir }
            }
        }
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { dir } => format!("sqlite://{}", dir.join("keyplane.db").display()),
            Self::Postgres {
                admin_url, name, ..
            } => {
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
        }
    }

    /// A file path private to this test, removed with it.
    pub fn scratch_path(&self, file: &str) -> PathBuf {
        match self {
            Self::Sqlite { dir } | Self::Postgres { dir, .. } => dir.join(file),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }

    /// How many rows `table` holds now.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let db = Database::connect(self.url()).await.unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        let n = row.try_get::<i64>("", "n").unwrap();
        db.close().await.ok();
        n
    }

    /// Every byte the database keeps, as text: the SQLite files, or every row of PostgreSQL.
    pub async fn raw_contents(&self) -> String {
        match self {
            Self::Sqlite { dir } => {
                let mut all = Vec::new();
                // The database files only, not other scratch files.
                for entry in std::fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("keyplane.db"))
                    {
                        all.extend(std::fs::read(path).unwrap());
                    }
                }
                String::from_utf8_lossy(&all).into_owned()
            }
            Self::Postgres { .. } => {
                let db = Database::connect(self.url()).await.unwrap();
                let mut all = String::new();
                let tables = db
                    .query_all_raw(sea_orm::Statement::from_string(
                        db.get_database_backend(),
                        "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public'",
                    ))
                    .await
                    .unwrap();
                let tables: Vec<String> = tables
                    .iter()
                    .map(|row| row.try_get::<String>("", "name").unwrap())
                    .collect();
                for table in tables {
                    let rows = db
                        .query_all_raw(sea_orm::Statement::from_string(
                            db.get_database_backend(),
                            format!("SELECT t::text AS row FROM {table} t"),
                        ))
                        .await
                        .unwrap();
                    for row in rows {
                        all.push_str(&row.try_get::<String>("", "row").unwrap());
                        all.push('\n');
                    }
                }
                db.close().await.ok();
                all
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            Self::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Postgres {
                admin_url,
                name,
                dir,
            } => {
                let _ = std::fs::remove_dir_all(dir);
                // Drop runs outside any async context we may block; use a short-lived runtime.
                let (url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(&url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}
