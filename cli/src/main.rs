//! `kinthread`: the command line for parents, caregivers and program staff.

mod depth;
#[expect(dead_code, reason = "the import command is wired in later")]
mod sbr;

fn main() {}
