//! Quality bar of the depth score on labelled texts, per language: accuracy of the routine /
//! emotional split at 50 (>= 0.95), ROC-AUC (>= 0.98), and mixed texts scoring between the
//! routine and emotional means.
//!
//! `depth-dev.tsv` is the project's development set; `depth-extra.tsv` holds the team's own
//! examples, written before the scorer as a guard against tuning to the dev set. Run with
//! `-- --nocapture` to see the figures and every misjudged line.

use kinthread_shared::depth::{self, EMOTIONAL_FROM};

const DEV: &str = include_str!("../testdata/depth-dev.tsv");
const EXTRA: &str = include_str!("../testdata/depth-extra.tsv");

const MIN_ACCURACY: f64 = 0.95;
const MIN_AUC: f64 = 0.98;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Label {
    Routine,
    Emotional,
    Mixed,
}

struct Scored<'a> {
    label: Label,
    lang: &'a str,
    text: &'a str,
    score: f64,
}

fn load(tsv: &str) -> Result<Vec<Scored<'_>>, String> {
    let mut rows = Vec::new();
    for (index, line) in tsv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut columns = line.splitn(3, '\t');
        let (Some(label), Some(lang), Some(text)) =
            (columns.next(), columns.next(), columns.next())
        else {
            return Err(format!("line {}: expected label, lang, text", index + 1));
        };
        let label = match label {
            "routine" => Label::Routine,
            "emotional" => Label::Emotional,
            "mixed" => Label::Mixed,
            other => return Err(format!("line {}: unknown label {other}", index + 1)),
        };
        rows.push(Scored {
            label,
            lang,
            text,
            score: depth::score(text).score,
        });
    }
    Ok(rows)
}

/// Mann-Whitney estimate: the chance an emotional text outscores a routine one, ties half.
fn roc_auc(routine: &[f64], emotional: &[f64]) -> f64 {
    let mut wins = 0.0;
    for e in emotional {
        for r in routine {
            wins += if e > r {
                1.0
            } else if e == r {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (routine.len() * emotional.len()).max(1) as f64
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Checks one set and language; returns the problems found (empty when the bar holds).
fn check(set: &str, rows: &[Scored<'_>], lang: &str) -> Vec<String> {
    let rows: Vec<&Scored<'_>> = rows.iter().filter(|row| row.lang == lang).collect();
    let scores_of = |label: Label| -> Vec<f64> {
        rows.iter()
            .filter(|row| row.label == label)
            .map(|row| row.score)
            .collect()
    };
    let (routine, emotional, mixed) = (
        scores_of(Label::Routine),
        scores_of(Label::Emotional),
        scores_of(Label::Mixed),
    );
    let judged: Vec<&&Scored<'_>> = rows
        .iter()
        .filter(|row| row.label != Label::Mixed)
        .collect();
    let wrong: Vec<&&&Scored<'_>> = judged
        .iter()
        .filter(|row| (row.score >= EMOTIONAL_FROM) != (row.label == Label::Emotional))
        .collect();
    let accuracy = 1.0 - wrong.len() as f64 / judged.len().max(1) as f64;
    let auc = roc_auc(&routine, &emotional);
    let (routine_mean, emotional_mean, mixed_mean) =
        (mean(&routine), mean(&emotional), mean(&mixed));

    println!(
        "{set:<6} {lang}: {} routine, {} emotional, {} mixed | accuracy {accuracy:.3} | \
         ROC-AUC {auc:.4} | means routine {routine_mean:.1}, mixed {mixed_mean:.1}, \
         emotional {emotional_mean:.1}",
        routine.len(),
        emotional.len(),
        mixed.len()
    );
    for row in &wrong {
        println!(
            "    misjudged {:?} at {:.1}: {}",
            row.label, row.score, row.text
        );
    }

    let mut problems = Vec::new();
    if routine.is_empty() || emotional.is_empty() {
        problems.push(format!("{set} {lang}: needs routine and emotional lines"));
    }
    if accuracy < MIN_ACCURACY {
        problems.push(format!(
            "{set} {lang}: accuracy {accuracy:.3} < {MIN_ACCURACY}"
        ));
    }
    if auc < MIN_AUC {
        problems.push(format!("{set} {lang}: ROC-AUC {auc:.4} < {MIN_AUC}"));
    }
    let mixed_between = routine_mean < mixed_mean && mixed_mean < emotional_mean;
    if !mixed.is_empty() && !mixed_between {
        problems.push(format!(
            "{set} {lang}: mixed mean {mixed_mean:.1} not between routine {routine_mean:.1} \
             and emotional {emotional_mean:.1}"
        ));
    }
    problems
}

fn check_set(set: &str, tsv: &str) -> Result<(), String> {
    let rows = load(tsv)?;
    let problems: Vec<String> = ["en", "zh"]
        .iter()
        .flat_map(|lang| check(set, &rows, lang))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn dev_set_meets_the_bar_in_each_language() -> Result<(), String> {
    check_set("dev", DEV)
}

#[test]
fn own_extra_set_meets_the_bar_in_each_language() -> Result<(), String> {
    let rows = load(EXTRA)?;
    if rows.len() < 120 {
        return Err(format!(
            "the extra set has {} lines; keep at least 120",
            rows.len()
        ));
    }
    check_set("extra", EXTRA)
}

#[test]
fn auc_counts_ties_as_half() {
    assert_eq!(roc_auc(&[10.0, 20.0], &[30.0, 40.0]), 1.0);
    assert_eq!(roc_auc(&[10.0], &[10.0]), 0.5);
    assert_eq!(roc_auc(&[30.0], &[10.0]), 0.0);
}
