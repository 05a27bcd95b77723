#!/usr/bin/env bash
# Depth-scoring throughput of kinthread against VADER (vaderSentiment, the usual rule-based
# sentiment scorer) on the same corpus file, one thread each, printed side by side.
#
#   bench/depth-vs-vader.sh            # 1,000,000 texts, 5 Rust runs, 3 VADER runs
#   LINES=200000 RUNS=3 VADER_RUNS=1 bench/depth-vs-vader.sh
#
# The corpus is written by the Rust bench (shared/benches/depth_throughput.rs) to
# bench/out/ (git-ignored). VADER goes into a throwaway venv under /tmp, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-1000000}
RUNS=${RUNS:-5}
VADER_RUNS=${VADER_RUNS:-3}
OUT="$PWD/bench/out"
CORPUS="$OUT/depth-corpus.txt"
mkdir -p "$OUT"

echo "== kinthread depth score (Rust, release, one thread): $RUNS runs over $LINES texts"
cargo bench -q -p kinthread-shared --bench depth_throughput -- \
  --lines "$LINES" --runs "$RUNS" --corpus "$CORPUS" | tee "$OUT/depth-rust.txt"
rust_rate=$(sed -n 's/^median_texts_per_second=//p' "$OUT/depth-rust.txt")

echo
echo "== VADER (vaderSentiment, CPython, one thread): $VADER_RUNS runs over the same file"
venv=$(mktemp -d /tmp/kinthread-vader-XXXXXX)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check vaderSentiment
"$venv/bin/python" - "$CORPUS" "$VADER_RUNS" <<'PY' | tee "$OUT/depth-vader.txt"
import importlib.metadata
import platform
import statistics
import sys
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

corpus, runs = sys.argv[1], int(sys.argv[2])
with open(corpus, encoding="utf-8") as f:
    texts = f.read().splitlines()
print(f"vaderSentiment {importlib.metadata.version('vaderSentiment')}, "
      f"{platform.python_implementation()} {platform.python_version()}")
analyzer = SentimentIntensityAnalyzer()
analyzer.polarity_scores("warm-up")
rates = []
for run in range(1, runs + 1):
    started = time.perf_counter()
    total = 0.0
    for text in texts:
        total += analyzer.polarity_scores(text)["compound"]
    seconds = time.perf_counter() - started
    rates.append(len(texts) / seconds)
    print(f"run {run}: {seconds:.3f} s, {rates[-1]:.0f} texts/s (mean compound {total / len(texts):.3f})")
print(f"median_texts_per_second={statistics.median(rates):.0f}")
PY
vader_rate=$(sed -n 's/^median_texts_per_second=//p' "$OUT/depth-vader.txt")

echo
echo "== side by side ($(nproc) cores, $(date -u +%Y-%m-%d), $LINES texts)"
awk -v r="$rust_rate" -v v="$vader_rate" 'BEGIN {
  printf "%-28s %12s\n", "scorer", "texts/s"
  printf "%-28s %12d\n", "kinthread depth (median)", r
  printf "%-28s %12d\n", "VADER (median)", v
  printf "ratio kinthread / VADER: %.1fx\n", r / v
}'
