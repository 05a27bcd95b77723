//! kinthread-server: the REST API over the contact log, on SQLite (default) or PostgreSQL.
//!
//! Layout: `routes` (HTTP handlers) → `access` (who may) → `service` (business steps) →
//! `store` (queries) → `db` (connections). Only `error` knows HTTP status codes.

pub mod access;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod edge;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod schema;
pub mod service;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod writer;
