//! Depth-scoring throughput on one thread: writes a deterministic corpus of short mixed
//! English/Chinese texts (notes and messages made from templates, among them the implicit
//! patterns, chat text with bracket emoticons and a long note) to a file, reads it back, and
//! scores every line several times, printing texts per second and the median.
//!
//! `cargo bench -p kinthread-shared --bench depth_throughput -- [--lines N] [--runs N]
//! [--corpus PATH] [--lexicon PATH]`; `bench/depth-vs-vader.sh` runs it next to VADER on the same file.

use std::hint::black_box;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use kinthread_shared::depth;

const EN: &[&str] = &[
    "Did you eat {food} today?",
    "I sent {n} yuan for the {fee}, tell grandma.",
    "Wear your {clothes}, it is {weather} there.",
    "Study hard, what did you get on the {subject} test?",
    "Go to bed early, don't play phone games.",
    "Remember to take your medicine after {meal}.",
    "Grandma said he ate well and slept well.",
    "Called this evening, {m} minutes.",
    "I miss you so much, {name}.",
    "She cried and said she feels lonely at school.",
    "Happy birthday {name}! ❤️ Sorry I can't be there.",
    "Don't be sad, {who} will come home for Spring Festival.",
    "He told me he is scared of the dark and misses {who}.",
    "So proud of you for the {subject} prize! 🎉",
    "Only talked about money, he did not say how he feels.",
    "Asked if she had {meal}, then she said she misses me.",
    "I saved the kite for when {who} comes back, but {who} didn't come again.",
    "You only come back once a year, why do you care about my {subject} now?",
    "An older boy takes my lunch money, don't tell {who}.",
    "Other kids' parents pick them up at the gate, I walk home.",
    "I study till midnight and still fail {subject}.",
    "He talks to me like a guest when I call.",
    "Eat your {meal} properly so {who} won't fret.",
    "miss u sooo much {name} [Heart][Sob]",
    "ok got the money [ThumbsUp]",
    "Called at 8. Asked about the {fee}. Told him to wear his {clothes}. He said he cries at night.",
];

const ZH: &[&str] = &[
    "吃饭了吗？今天吃的{food_zh}？",
    "钱够不够花？我给你转了{n}块。",
    "天冷了，多穿点{clothes_zh}。",
    "好好学习，{subject_zh}考了多少分？",
    "早点睡觉，别玩手机。",
    "记得按时吃药，多喝热水。",
    "今晚打了电话，{m}分钟。",
    "奶奶说孩子吃得好睡得好。",
    "{who_zh}好想你，过年就回来看你。",
    "她哭着说在学校很孤单。",
    "生日快乐宝贝！🎂 对不起不能陪你。",
    "别难过，{who_zh}很快就回家了。",
    "他说晚上一个人很害怕，想{who_zh}了。",
    "為你驕傲！謝謝你這麼懂事。",
    "只聊了成绩，没有说心里话。",
    "问了吃饭的事，最后她说想我了。",
    "风筝一直留着等{who_zh}回来，{who_zh}又没回来。",
    "你一年才回来一次，现在管我干什么？",
    "在学校摔了，没敢跟{who_zh}说。",
    "别人的爸妈都来接，我自己走回家。",
    "我每天学到半夜，{subject_zh}还是不及格。",
    "他跟我说话像客人一样。",
    "好好吃饭，省得{who_zh}担心。",
    "想死你了[大哭][爱心]",
    "收到[强]，钱到了[红包]",
    "八点打的电话。问了{subject_zh}成绩。叫他穿{clothes_zh}。他说晚上想我们想得哭。",
];

const FILLERS: &[(&str, &[&str])] = &[
    (
        "{food}",
        &["rice", "noodles", "dumplings", "anything delicious"],
    ),
    ("{food_zh}", &["什么", "面条", "饺子", "米饭"]),
    ("{n}", &["200", "300", "500", "1000"]),
    (
        "{fee}",
        &["school fees", "class trip", "textbooks", "bus fare"],
    ),
    ("{clothes}", &["coat", "sweater", "long johns", "new shoes"]),
    ("{clothes_zh}", &["衣服", "外套", "毛衣", "秋裤"]),
    ("{weather}", &["cold", "raining", "snowing", "windy"]),
    ("{subject}", &["math", "English", "drawing", "science"]),
    ("{subject_zh}", &["数学", "语文", "英语", "期中"]),
    ("{meal}", &["breakfast", "lunch", "dinner", "eaten"]),
    ("{m}", &["2", "3", "5", "12"]),
    ("{name}", &["sweetheart", "Xiaoming", "baby", "my girl"]),
    ("{who}", &["mom", "dad", "grandma", "mama"]),
    ("{who_zh}", &["妈妈", "爸爸", "奶奶", "爷爷"]),
];

struct Options {
    lines: usize,
    runs: usize,
    corpus: PathBuf,
    /// Score with this lexicon file instead of the embedded one (to compare versions).
    lexicon: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        lines: 1_000_000,
        runs: 5,
        corpus: std::env::temp_dir().join("kinthread-depth-corpus.txt"),
        lexicon: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--lines" => options.lines = value()?.parse().map_err(|e| format!("--lines: {e}"))?,
            "--runs" => options.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--corpus" => options.corpus = PathBuf::from(value()?),
            "--lexicon" => options.lexicon = Some(PathBuf::from(value()?)),
            // `cargo bench` adds `--bench`; anything else is ignored the same way.
            _ => {}
        }
    }
    if options.lines == 0 || options.runs == 0 {
        return Err("--lines and --runs must be positive".to_owned());
    }
    Ok(options)
}

/// A small linear congruential generator: the corpus must be the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

fn pick<'a>(rng: &mut Lcg, items: &[&'a str]) -> &'a str {
    items
        .get(rng.next(items.len()))
        .copied()
        .unwrap_or_default()
}

fn write_corpus(options: &Options) -> std::io::Result<()> {
    if let Some(parent) = options.corpus.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut out = BufWriter::new(std::fs::File::create(&options.corpus)?);
    let mut rng = Lcg(20_260_301);
    for _ in 0..options.lines {
        let templates = if rng.next(2) == 0 { EN } else { ZH };
        let mut line = pick(&mut rng, templates).to_owned();
        for (slot, values) in FILLERS {
            while line.contains(slot) {
                line = line.replacen(slot, pick(&mut rng, values), 1);
            }
        }
        writeln!(out, "{line}")?;
    }
    out.flush()
}

fn read_corpus(options: &Options) -> std::io::Result<Vec<String>> {
    let file = std::io::BufReader::new(std::fs::File::open(&options.corpus)?);
    file.lines().collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    write_corpus(&options)?;
    let texts = read_corpus(&options)?;
    let bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "corpus: {} texts, {:.1} bytes on average, {}",
        texts.len(),
        bytes as f64 / texts.len() as f64,
        options.corpus.display()
    );

    // Build the lexicon automaton before timing.
    let own = match &options.lexicon {
        Some(path) => Some(depth::Scorer::from_tsv(&std::fs::read_to_string(path)?)?),
        None => None,
    };
    let score = |text: &str| match &own {
        Some(scorer) => scorer.score(text),
        None => depth::score(text),
    };
    black_box(score("warm-up"));
    let mut rates = Vec::with_capacity(options.runs);
    for run in 1..=options.runs {
        let started = Instant::now();
        let mut checksum = 0.0;
        let mut emotional = 0_usize;
        for text in &texts {
            let result = score(black_box(text));
            checksum += result.score;
            emotional += usize::from(result.score >= depth::EMOTIONAL_FROM);
            black_box(&result);
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = texts.len() as f64 / seconds;
        println!(
            "run {run}: {seconds:.3} s, {rate:.0} texts/s (mean score {:.2}, {emotional} emotional)",
            checksum / texts.len() as f64
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates.get(rates.len() / 2).copied().unwrap_or_default();
    println!("median_texts_per_second={median:.0}");
    Ok(())
}
