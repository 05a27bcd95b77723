//! Streams an SMS Backup & Restore export and counts its records, or writes a
//! synthetic calls export. Exists to measure the parser's peak memory and
//! speed (figures in docs/import.md):
//!
//! ```text
//! cargo build --release -p kinthread-import --example sbr_count
//! target/release/examples/sbr_count generate /tmp/calls-100mb.xml 350000
//! /usr/bin/time -v target/release/examples/sbr_count count /tmp/calls-100mb.xml
//! ```

use std::fs::File;
use std::process::ExitCode;
use std::time::Instant;

use kinthread_import::sbr;
use kinthread_import::sbr::record::Record;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", path, n] => generate(path, n),
        ["count", path] => count(path),
        _ => Err("usage: sbr_count generate FILE N | sbr_count count FILE".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(path: &str, n: &str) -> Result<(), String> {
    let n: u64 = n.parse().map_err(|e| format!("N: {e}"))?;
    let file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
    sbr::synthetic::write_synthetic_calls(file, n).map_err(|e| format!("{path}: {e}"))
}

/// Reads every record, normalises its number and derives its id, so the
/// figure covers what an import does before talking to the server.
fn count(path: &str) -> Result<(), String> {
    let started = Instant::now();
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let reader = sbr::reader::SbrReader::new(file).map_err(|e| format!("{path}: {e}"))?;
    let (mut calls, mut texts, mut mms, mut errors, mut numbers_ok) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut id_xor = 0u128;
    for item in reader {
        match item {
            Ok(record) => {
                let number = match &record {
                    Record::Call(call) => {
                        calls += 1;
                        call.number.as_ref()
                    }
                    Record::Sms(sms) => {
                        texts += 1;
                        sms.address.as_ref()
                    }
                    Record::Mms(message) => {
                        mms += 1;
                        message.addresses.first().map(|a| &a.number)
                    }
                };
                if number.is_some_and(|n| n.normalize("86").is_ok()) {
                    numbers_ok += 1;
                }
                id_xor ^= sbr::client_id::client_id(&record, "owner").as_u128();
            }
            Err(error) => {
                errors += 1;
                if errors <= 5 {
                    eprintln!("{error}");
                }
            }
        }
    }
    println!(
        "calls {calls}, sms {texts}, mms {mms}, errors {errors}, normalised numbers {numbers_ok}, \
         id checksum {id_xor:032x}, {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
