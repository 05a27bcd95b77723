//! `kinthread login`, `logout`, `whoami`.

use std::io::{BufRead, IsTerminal, Write};

use crate::client::{self, Api};
use crate::error::{CliError, CliResult};
use crate::output::{self, Format, Table};
use crate::session::SessionStore;

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Server address (default: the last one used, else http://127.0.0.1:8080).
    #[arg(long, env = "KINTHREAD_SERVER")]
    pub server: Option<String>,
    /// Account name (asked for on a terminal when absent).
    #[arg(long, short)]
    pub username: Option<String>,
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

fn read_line(what: &str) -> CliResult<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::io(&format!("reading the {what} from standard input"), e))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn ask_username() -> CliResult<String> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "give --username when standard input is not a terminal",
        ));
    }
    eprint!("username: ");
    let _ = std::io::stderr().flush();
    read_line("username")
}

fn ask_password(from_stdin: bool) -> CliResult<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        return read_line("password");
    }
    rpassword::prompt_password("password: ")
        .map_err(|e| CliError::io("reading the password from the terminal", e))
}

pub async fn login(store: &SessionStore, args: LoginArgs) -> CliResult<()> {
    let previous = store.load().ok().flatten();
    let server = match (&args.server, &previous) {
        (Some(given), _) => client::normalize_server(given)?,
        (None, Some(session)) => session.server.clone(),
        (None, None) => DEFAULT_SERVER.to_owned(),
    };
    let username = match args.username {
        Some(name) => name,
        None => ask_username()?,
    };
    if username.trim().is_empty() {
        return Err(CliError::usage("the username is empty"));
    }
    let password = ask_password(args.password_stdin)?;
    let session = client::login(&server, &username, &password).await?;
    // Signing in as someone else leaves the old refresh token valid on the server; revoke it
    // so that at most one login per config directory stays alive.
    if let Some(old) = previous
        && old.refresh_token != session.refresh_token
        && let Ok(mut api) = Api::from_store(store.clone())
    {
        let _ = api.logout().await;
    }
    store.save(&session)?;
    eprintln!(
        "signed in to {} as {} ({})",
        session.server, session.user.username, session.user.role
    );
    if session.user.must_change_password {
        eprintln!(
            "this is a one-time password: choose your own with `kinthread passwd` before \
             anything else"
        );
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct PasswdArgs {
    /// Read the old password and then the new one from the first two lines of standard
    /// input instead of prompts.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Changes the signed-in account's password (the old one is needed); every other session of
/// the account ends, this one goes on with the new tokens the server answers with.
pub async fn passwd(store: &SessionStore, args: PasswdArgs) -> CliResult<()> {
    let mut api = Api::from_store(store.clone())?;
    let prompts = !args.password_stdin && std::io::stdin().is_terminal();
    let (old, new) = if prompts {
        let ask = |prompt: &str| {
            rpassword::prompt_password(prompt)
                .map_err(|e| CliError::io("reading a password from the terminal", e))
        };
        let old = ask("current password: ")?;
        let new = ask("new password (10 characters or more): ")?;
        if ask("new password again: ")? != new {
            return Err(CliError::usage(
                "the two new passwords differ; nothing changed",
            ));
        }
        (old, new)
    } else {
        (read_line("current password")?, read_line("new password")?)
    };
    let tokens: kinthread_shared::api::TokenResponse = api
        .post(
            "/me/password",
            &kinthread_shared::api::PasswordChange {
                old_password: old,
                new_password: new,
            },
        )
        .await?;
    api.adopt(tokens)?;
    eprintln!(
        "password changed for {}; every other session of the account has ended",
        api.user().username
    );
    Ok(())
}

pub async fn logout(store: &SessionStore) -> CliResult<()> {
    let mut api = match Api::from_store(store.clone()) {
        Ok(api) => api,
        Err(e) if e.code == "not_signed_in" => {
            eprintln!("not signed in; nothing to do");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let revoked = api.logout().await;
    // Forget the tokens even when the server is unreachable: the user asked to sign out here.
    store.clear()?;
    match revoked {
        Ok(()) => {
            eprintln!("signed out of {}", api.session().server);
            Ok(())
        }
        // Already expired or revoked: signed out all the same.
        Err(e) if e.kind == crate::error::Kind::Auth => {
            eprintln!("signed out (the server had already ended this login)");
            Ok(())
        }
        Err(e) => Err(CliError::other(
            &e.code,
            format!(
                "forgot the local login, but the server could not revoke it: {}",
                e.message
            ),
        )),
    }
}

pub async fn whoami(store: &SessionStore, format: Format) -> CliResult<()> {
    let mut api = Api::from_store(store.clone())?;
    let user: kinthread_shared::api::User = api.get("/auth/me", &[]).await?;
    let mut table = Table::new(&["username", "role", "display_name", "family", "server"]);
    table.push(vec![
        user.username.clone(),
        user.role.to_string(),
        user.display_name.clone().unwrap_or_default(),
        user.family_id.map(|f| f.to_string()).unwrap_or_default(),
        api.session().server.clone(),
    ]);
    output::emit(format, &table, &user)
}
