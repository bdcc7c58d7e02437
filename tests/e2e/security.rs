//! The security review's attacks (one module per finding), each refused. Every test runs on
//! SQLite and, with `KEYPLANE_TEST_DATABASE_URL`, on PostgreSQL.

mod key_freedom;
mod reveal;
mod webhook_management;
