//! Rebuilds the server when a migration's SQL changes: `embed_migrations!` reads the files at
//! compile time, and cargo does not otherwise know they are inputs.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
