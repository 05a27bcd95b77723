//! Table-driven tests of the depth rules: boundaries, longest match, negation, comfort,
//! intensifiers, emoji, scripts, and the score formula.

use super::lexicon::{EMBEDDED, EMBEDDED_EMOTICONS, EntryKind, Lexicon};
use super::normalize::Folder;
use super::*;

/// Whether `item` is a construction's own evidence (not a phrase a construction acted on).
fn is_construction_item(item: &Evidence) -> bool {
    !item.parts.is_empty() && item.construction != Some(Construction::CareInstruction)
}

/// (phrase as written, category, modifier) of each piece of evidence.
fn evidence_of(text: &str) -> Vec<(String, Category, Option<Modifier>)> {
    score(text)
        .evidence
        .into_iter()
        .map(|e| (e.phrase, e.category, e.modifier))
        .collect()
}

fn has(text: &str, phrase: &str, category: Category) -> bool {
    evidence_of(text)
        .iter()
        .any(|(p, c, _)| p == phrase && *c == category)
}

#[test]
fn embedded_lexicon_loads_with_the_published_version() -> Result<(), LexiconError> {
    let scorer = Scorer::embedded()?;
    assert_eq!(scorer.version(), LEXICON_VERSION);
    assert_eq!(lexicon_version(), LEXICON_VERSION);
    assert_eq!(score("").lexicon_version, LEXICON_VERSION);
    Ok(())
}

#[test]
fn lexicon_covers_every_category_in_both_languages() -> Result<(), LexiconError> {
    let folder = Folder::new();
    let lexicon = Lexicon::parse(EMBEDDED, |p| folder.fold(p).text)?;
    for category in Category::ALL {
        for chinese in [false, true] {
            let count = lexicon
                .entries
                .iter()
                .filter(|e| e.kind == EntryKind::Phrase(*category) && e.chinese == chinese)
                .count();
            assert!(
                count >= 3,
                "{category} has {count} {} entries",
                if chinese { "zh" } else { "en" }
            );
        }
    }
    Ok(())
}

#[test]
fn english_phrases_match_whole_words_only() {
    let cases: &[(&str, &str, Option<Category>)] = &[
        ("great news", "eat", None),
        ("the heat is terrible", "eat", None),
        ("did you eat?", "eat", Some(Category::Food)),
        ("Eat well!", "Eat", Some(Category::Food)),
        ("she is sadder", "sad", None),
        ("he was sad.", "sad", Some(Category::SadnessLoneliness)),
        ("dismissed early", "miss", None),
        ("I love your drawing", "love", Some(Category::Love)),
        ("I love your drawing", "love you", None),
        (
            "问了homework写完没",
            "homework",
            Some(Category::StudyGrades),
        ),
    ];
    for (text, phrase, expected) in cases {
        let found = evidence_of(text)
            .into_iter()
            .find(|(p, _, _)| p == phrase)
            .map(|(_, c, _)| c);
        assert_eq!(found, *expected, "{text:?} / {phrase:?}");
    }
}

#[test]
fn longest_phrase_wins_in_chinese() {
    let cases = [
        ("我想吃饺子", "想吃", Category::Food),
        ("我想你", "想你", Category::Longing),
        ("想你们了", "想你们", Category::Longing),
        ("女儿说想吃我做的饭", "想吃我做的", Category::Longing),
        ("别难过", "别难过", Category::Comfort),
        ("不要哭", "不要哭", Category::Comfort),
        ("她不开心", "不开心", Category::SadnessLoneliness),
        ("生日快乐", "生日快乐", Category::Celebration),
        ("对不起", "对不起", Category::Apology),
        ("洗衣服", "洗衣服", Category::ChoresErrands),
        ("睡不着", "睡不着", Category::WorryFear),
    ];
    for (text, phrase, category) in cases {
        let evidence = evidence_of(text);
        assert!(
            evidence
                .iter()
                .any(|(p, c, _)| p == phrase && *c == category),
            "{text}: {evidence:?}"
        );
    }
}

#[test]
fn negated_feelings_count_as_routine() {
    let cases = [
        (
            "Only talked about money, he did not say how he feels",
            "how he feels",
        ),
        ("No feelings discussed.", "feelings"),
        ("She said nothing about feeling lonely", "feeling lonely"),
        ("只聊了成绩，没有说心里话", "心里话"),
        ("電話裡只問了吃飯，沒有聊感受", "感受"),
    ];
    for (text, phrase) in cases {
        let result = score(text);
        let item = result
            .evidence
            .iter()
            .find(|e| e.phrase == phrase)
            .unwrap_or_else(|| panic!("{text}: no {phrase} in {:?}", result.evidence));
        assert_eq!(item.modifier, Some(Modifier::Negation), "{text}");
        assert_eq!(item.counts_as, Side::Routine, "{text}");
        assert_eq!(item.weight, item.base_weight * 0.5, "{text}");
        assert!(result.score < EMOTIONAL_FROM, "{text}: {}", result.score);
        assert_eq!(result.level, DepthLevel::Routine, "{text}");
    }
}

#[test]
fn negated_feelings_are_still_emotional_talk() {
    let cases = [
        ("She said she is not happy at school", "happy"),
        ("He is not lonely anymore", "lonely"),
        ("He doesn't miss us at all", "miss"),
        ("他说一个人在家不害怕", "害怕"),
        ("我们不孤单", "孤单"),
    ];
    for (text, phrase) in cases {
        let result = score(text);
        let item = result
            .evidence
            .iter()
            .find(|e| e.phrase == phrase)
            .unwrap_or_else(|| panic!("{text}: no {phrase} in {:?}", result.evidence));
        assert_eq!(item.modifier, Some(Modifier::Negation), "{text}");
        assert_eq!(item.counts_as, Side::Emotional, "{text}");
        assert_eq!(item.weight, item.base_weight, "{text}");
        assert!(result.score >= EMOTIONAL_FROM, "{text}: {}", result.score);
    }
}

#[test]
fn negation_stays_in_its_clause_and_leaves_routine_alone() {
    let cases = [
        // A comma ends the negation's clause.
        ("I can't call tonight, I miss you", "miss you", None),
        // "but" does too.
        ("he didn't eat but he is happy", "happy", None),
        // A routine phrase takes the negation ("didn't eat" is food talk, not negated talk).
        ("他没吃饭很难过", "难过", Some(Modifier::Intensifier)),
        ("don't skip meals", "skip meals", None),
        // "don't forget" is a reminder, not a negation.
        ("don't forget I love you", "love you", None),
        // Too far away to be negated.
        (
            "did not call for two whole weeks she misses him",
            "misses him",
            None,
        ),
    ];
    for (text, phrase, modifier) in cases {
        let result = score(text);
        let item = result
            .evidence
            .iter()
            .find(|e| e.phrase == phrase)
            .unwrap_or_else(|| panic!("{text}: no {phrase} in {:?}", result.evidence));
        assert_eq!(item.modifier, modifier, "{text}");
        assert_eq!(item.counts_as, item.category.side(), "{text}");
    }
}

#[test]
fn comfort_is_emotional_although_negative_in_form() {
    for text in [
        "don't be sad",
        "Don’t cry, mama is here",
        "别难过",
        "不要哭",
        "別難過",
        "别怕，有爸爸在",
        "不用担心",
        "It's okay to cry",
    ] {
        let result = score(text);
        assert!(
            result
                .evidence
                .iter()
                .any(|e| e.category == Category::Comfort && e.modifier.is_none()),
            "{text}: {:?}",
            result.evidence
        );
        assert!(result.score >= EMOTIONAL_FROM, "{text}: {}", result.score);
        assert_eq!(result.level, DepthLevel::Emotional, "{text}");
    }
}

#[test]
fn intensifiers_raise_the_weight() {
    let cases = [
        ("I miss you so much", "miss you", 3.0),
        ("so proud of you", "proud of you", 3.0),
        ("very sad", "sad", 2.25),
        ("好想你", "想你", 3.0),
        ("很孤单", "孤单", 2.6),
        ("特别开心", "开心", 2.25),
        ("非常想念", "想念", 3.0),
        ("饿死了", "饿", 1.5),
    ];
    for (text, phrase, weight) in cases {
        let result = score(text);
        let item = result
            .evidence
            .iter()
            .find(|e| e.phrase == phrase)
            .unwrap_or_else(|| panic!("{text}: no {phrase} in {:?}", result.evidence));
        assert_eq!(item.modifier, Some(Modifier::Intensifier), "{text}");
        assert_eq!(item.weight, weight, "{text}");
    }
    // Only right next to the phrase: "so" as a linking word is not an intensifier.
    let result = score("he was tired so he slept");
    assert!(result.evidence.iter().all(|e| e.modifier.is_none()));
    // 好 in 好像 ("seems") is not an intensifier.
    let result = score("你好像不开心");
    assert!(result.evidence.iter().all(|e| e.modifier.is_none()));
}

#[test]
fn emoji_are_evidence() {
    let cases = [
        ("❤️", Category::Love),
        ("❤", Category::Love),
        ("😢😢", Category::SadnessLoneliness),
        ("🎂", Category::Celebration),
        ("🤗🏻", Category::Comfort),
        ("🍚", Category::Food),
    ];
    for (text, category) in cases {
        let result = score(text);
        assert!(
            result.evidence.iter().any(|e| e.category == category),
            "{text}: {:?}",
            result.evidence
        );
    }
    assert_eq!(score("😢😢").evidence.len(), 2);
    // The phrase keeps the selector the writer typed.
    assert_eq!(score("❤️").evidence[0].phrase, "❤️");
}

#[test]
fn text_without_evidence_is_neutral_and_above_routine() {
    for text in [
        "called this evening",
        "今晚打了电话",
        "",
        "   ",
        "👍",
        "2 min",
    ] {
        let result = score(text);
        assert!(result.evidence.is_empty(), "{text}: {:?}", result.evidence);
        assert_eq!(result.score, NEUTRAL_SCORE, "{text}");
        assert_eq!(result.level, DepthLevel::Routine);
        assert_eq!((result.routine_share, result.emotional_share), (0.0, 0.0));
    }
    for text in ["Did you eat? Wear more clothes.", "吃饭了吗？钱够不够？"] {
        let result = score(text);
        assert!(result.score < NEUTRAL_SCORE, "{text}: {}", result.score);
        assert_eq!(result.routine_share, 1.0);
    }
}

#[test]
fn traditional_scores_like_simplified() {
    let pairs = [
        ("別難過，媽媽很快就回家了", "别难过，妈妈很快就回家了"),
        ("對不起，爸爸不能陪你過生日", "对不起，爸爸不能陪你过生日"),
        ("你吃飯了嗎？記得穿外套", "你吃饭了吗？记得穿外套"),
        ("好想你喔，每天都在數日子", "好想你喔，每天都在数日子"),
        (
            "她說最近壓力很大，常常睡不著",
            "她说最近压力很大，常常睡不着",
        ),
    ];
    for (traditional, simplified) in pairs {
        let t = score(traditional);
        let s = score(simplified);
        assert_eq!(t.score, s.score, "{traditional}");
        let categories =
            |r: &DepthResult| r.evidence.iter().map(|e| e.category).collect::<Vec<_>>();
        assert_eq!(categories(&t), categories(&s), "{traditional}");
    }
    // Evidence quotes the text as written.
    assert!(has("別難過", "別難過", Category::Comfort));
}

#[test]
fn mixed_language_texts_use_both_lexicons() {
    let result = score("妈妈 love you，好想你 😘");
    let categories: Vec<Category> = result.evidence.iter().map(|e| e.category).collect();
    assert_eq!(
        categories,
        [Category::Love, Category::Longing, Category::Love]
    );
    assert!(has(
        "Told her 好好学习 and eat well",
        "好好学习",
        Category::StudyGrades
    ));
    assert!(has("Told her 好好学习 and eat well", "eat", Category::Food));
}

#[test]
fn levels_follow_the_shares() {
    let cases = [
        ("Did you eat? Do you have money?", DepthLevel::Routine),
        ("I miss you, I love you", DepthLevel::Emotional),
        (
            "Asked if she ate dinner, then she said she misses me",
            DepthLevel::Mixed,
        ),
        ("问了吃饭的事，最后她说想我了", DepthLevel::Mixed),
    ];
    for (text, level) in cases {
        assert_eq!(score(text).level, level, "{text}: {:?}", score(text));
    }
}

#[test]
fn score_is_explained_by_its_evidence() {
    for text in [
        "I miss you so much, did you eat?",
        "Only talked about money, he did not say how he feels",
        "生日快乐！🎂 妈妈不能陪你过，对不起。",
        "She cried a lot and said she is very lonely; I sent 200 yuan.",
    ] {
        let result = score(text);
        let rebuilt =
            DepthResult::from_evidence(result.evidence.clone(), result.lexicon_version.clone());
        assert_eq!(rebuilt, result, "{text}");
        let emotional: f64 = result
            .evidence
            .iter()
            .filter(|e| e.counts_as == Side::Emotional)
            .map(|e| e.weight)
            .sum();
        let routine: f64 = result
            .evidence
            .iter()
            .filter(|e| e.counts_as == Side::Routine)
            .map(|e| e.weight)
            .sum();
        let by_hand = (1000.0 * (emotional + 0.375) / (emotional + routine + 1.0)).round() / 10.0;
        assert_eq!(result.score, by_hand, "{text}");
        for item in &result.evidence {
            assert_eq!(&text[item.start..item.end], item.phrase, "{text}");
        }
    }
}

#[test]
fn scores_stay_in_range_and_are_deterministic() {
    let long = "想你 ".repeat(500);
    for text in [
        "",
        "a",
        long.as_str(),
        "不不不不",
        "not not not sad",
        "\u{0}\u{FEFF}",
    ] {
        let first = score(text);
        assert!((0.0..=100.0).contains(&first.score), "{text}");
        assert_eq!(first, score(text));
    }
}

#[test]
fn wire_format_is_snake_case() -> Result<(), serde_json::Error> {
    let json = serde_json::to_value(score("not feeling sad, wear warm clothes"))?;
    assert_eq!(json["level"], "routine");
    assert_eq!(json["evidence"][0]["category"], "feelings_talk");
    assert_eq!(json["evidence"][0]["modifier"], "negation");
    assert_eq!(json["evidence"][0]["counts_as"], "routine");
    assert_eq!(json["evidence"][2]["category"], "clothes_weather");
    assert_eq!(json["evidence"][2]["modifier"], serde_json::Value::Null);
    for field in [
        "score",
        "level",
        "routine_share",
        "emotional_share",
        "evidence",
        "lexicon_version",
    ] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
    let back: DepthResult = serde_json::from_value(json)?;
    assert_eq!(back.lexicon_version, LEXICON_VERSION);
    Ok(())
}

#[test]
fn category_spellings_round_trip() -> Result<(), serde_json::Error> {
    for category in Category::ALL {
        assert_eq!(category.as_str().parse::<Category>(), Ok(*category));
        let json = serde_json::to_string(category)?;
        assert_eq!(json, format!("\"{category}\""));
    }
    assert_eq!(Category::ALL.iter().filter(|c| c.is_routine()).count(), 7);
    assert_eq!(
        Category::ALL.iter().filter(|c| c.is_emotional()).count(),
        11
    );
    Ok(())
}

#[test]
fn false_friends_are_not_read_as_feelings() {
    // (text, a phrase that must not be emotional evidence)
    let cases = [
        ("Miss Wang said his homework was late", "Miss"),
        ("我想你应该早点睡", "想你"),
        ("咳嗽得厉害", "厉害"),
        ("My great-grandma is well", "great"),
        ("最近怎么样", "最"),
        ("别的同学都去了", "别"),
        ("麻烦你跟老师说一声", "烦"),
        ("the phone battery died", "died"),
    ];
    for (text, phrase) in cases {
        let result = score(text);
        assert!(
            !result
                .evidence
                .iter()
                .any(|e| e.phrase.contains(phrase) && e.counts_as == Side::Emotional),
            "{text}: {:?}",
            result.evidence
        );
    }
}

#[test]
fn cantonese_and_taiwanese_colloquial() {
    let cases = [
        ("好掛住你呀，幾時返嚟？", DepthLevel::Emotional),
        ("唔好喊，媽咪好快返屋企", DepthLevel::Emotional),
        ("食咗飯未？記得著多件衫", DepthLevel::Routine),
        ("呷飽未？功課寫完了嗎？", DepthLevel::Routine),
        ("愛你唷 ❤️", DepthLevel::Emotional),
    ];
    for (text, level) in cases {
        assert_eq!(score(text).level, level, "{text}: {:?}", score(text));
    }
}

/// Random texts built from lexicon fragments and awkward characters (case folds that change
/// length, selectors, full width, combining marks): scoring never panics, evidence quotes the
/// text exactly, in order and without overlap, and the score is rebuilt from the evidence.
#[test]
fn random_texts_keep_the_invariants() {
    const PIECES: &[&str] = &[
        "miss you",
        "not ",
        "didn't say ",
        "how he feels",
        "so much",
        "very ",
        "eat",
        "great",
        "想你",
        "不",
        "没有说",
        "心里话",
        "好",
        "别难过",
        "吃饭",
        "钱",
        "難過",
        "媽媽",
        "❤️",
        "😢",
        "🏽",
        "\u{FE0F}",
        "Ａ",
        "！",
        "，",
        "İ",
        "ẞ",
        "e\u{301}",
        "’",
        " ",
        ".",
        "\n",
        "\t",
        "a",
        "Σ",
        "ﬃ",
        "\u{0}",
    ];
    let mut state: u64 = 0x5eed;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % bound as u64) as usize
    };
    for _ in 0..3000 {
        let length = next(12);
        let text: String = (0..length).map(|_| PIECES[next(PIECES.len())]).collect();
        let result = score(&text);
        assert!((0.0..=100.0).contains(&result.score), "{text:?}");
        let mut end_of_previous = 0;
        for item in &result.evidence {
            assert_eq!(
                text.get(item.start..item.end),
                Some(item.phrase.as_str()),
                "{text:?}"
            );
            // A construction's own item spans its parts, over the phrases it is made of.
            if is_construction_item(item) {
                continue;
            }
            assert!(
                item.start >= end_of_previous,
                "{text:?}: {:?}",
                result.evidence
            );
            assert_eq!(
                text.get(item.start..item.end),
                Some(item.phrase.as_str()),
                "{text:?}"
            );
            assert!(!item.phrase.is_empty(), "{text:?}");
            end_of_previous = item.end;
        }
        let rebuilt =
            DepthResult::from_evidence(result.evidence.clone(), result.lexicon_version.clone());
        assert_eq!(rebuilt, result, "{text:?}");
    }
}

/// The item of `construction` in `result`, checked to quote the text exactly.
fn construction_item<'r>(
    text: &str,
    result: &'r DepthResult,
    construction: Construction,
) -> Option<&'r Evidence> {
    let item = result
        .evidence
        .iter()
        .find(|e| e.construction == Some(construction) && is_construction_item(e))?;
    assert_eq!(text.get(item.start..item.end), Some(item.phrase.as_str()));
    for part in &item.parts {
        assert!(item.phrase.contains(part.as_str()), "{text}: {part}");
    }
    Some(item)
}

#[test]
fn implicit_patterns_are_constructions_that_quote_their_parts() {
    use Construction::*;
    let cases = [
        (
            "I waited by the phone all Sunday, she never called.",
            UnmetWish,
        ),
        ("风筝我一直留着等爸爸回来放，他又没回来。", UnmetWish),
        (
            "You only come back once a year, why do you care now?",
            AbsenceReproach,
        ),
        ("你们又不在家，凭什么管我？", AbsenceReproach),
        (
            "An older boy takes my lunch money, don't tell grandma.",
            HiddenTrouble,
        ),
        ("我在山路上骑车摔了，没敢跟妈妈说。", HiddenTrouble),
        (
            "I didn't want them to worry, they are tired from work.",
            HiddenTrouble,
        ),
        (
            "Other kids' parents come to pick them up at the gate.",
            Envy,
        ),
        ("别人的爸妈都来校门口接，我自己走回家。", Envy),
        (
            "I'm the one who raised him, his parents just send money.",
            CareResentment,
        ),
        ("孩子是我一手带大的，他爸妈就知道寄钱。", CareResentment),
        ("I study till midnight and still fail.", Pressure),
        ("我每天学到半夜，还是不及格。", Pressure),
        ("He talks to me like a guest.", Estrangement),
        ("他跟我说话像客人一样。", Estrangement),
        ("要打三四遍她才接，接了就想挂。", Estrangement),
    ];
    for (text, construction) in cases {
        let result = score(text);
        let item = construction_item(text, &result, construction)
            .unwrap_or_else(|| panic!("{text}: no {construction} in {:?}", result.evidence));
        assert_eq!(item.counts_as, Side::Emotional, "{text}");
        assert!(item.category.is_emotional(), "{text}");
        assert!(!item.parts.is_empty(), "{text}: {:?}", item.parts);
        assert!(result.score >= EMOTIONAL_FROM, "{text}: {}", result.score);
        let rebuilt =
            DepthResult::from_evidence(result.evidence.clone(), result.lexicon_version.clone());
        assert_eq!(rebuilt, result, "{text}");
    }
}

#[test]
fn routine_words_under_an_implicit_feeling_are_its_cover() {
    let text = "An older boy takes my lunch money, don't tell grandma.";
    let result = score(text);
    for phrase in ["lunch", "money"] {
        let item = result
            .evidence
            .iter()
            .find(|e| e.phrase == phrase)
            .unwrap_or_else(|| panic!("no {phrase} in {:?}", result.evidence));
        assert_eq!(item.construction, Some(Construction::HiddenTrouble));
        assert_eq!(item.counts_as, Side::Routine);
        assert_eq!(item.weight, item.base_weight * 0.5);
    }
}

#[test]
fn routine_look_alikes_of_the_implicit_patterns_stay_routine() {
    for text in [
        "Dad didn't come because the train was cancelled, he will come Friday.",
        "爸爸没来是因为火车停运了，周五再来。",
        "I wanted to buy the blue shoes but they were sold out.",
        "He wanted to go to the internet cafe, grandma said no.",
        "Mom is not home this week, she is working in Guangzhou until the 20th.",
        "你不在家，学校的表格让奶奶签字。",
        "He didn't tell me when the bus leaves, please ask the driver.",
        "她没说中午想吃什么，就煮面条吧。",
        "Other kids' parents also pay 200 yuan for the trip.",
        "别的家长说周一考试。",
        "Grandma will take care of him while I work in Shenzhen.",
        "Study hard, don't fail the math test.",
        "数学小测没及格，星期六要去补课。",
        "He didn't pick up, he was in class. Called back at 5.",
        "She won't wear the coat, says it's ugly.",
        "她不肯穿外套，说难看。",
    ] {
        let result = score(text);
        assert!(result.score < EMOTIONAL_FROM, "{text}: {:?}", result);
        assert!(
            !result.evidence.iter().any(is_construction_item),
            "{text}: {:?}",
            result.evidence
        );
    }
}

#[test]
fn routine_instructions_that_name_a_feeling_stay_routine() {
    let cases = [
        ("Eat properly so grandma won't fret.", "fret"),
        ("Study hard, don't make the adults worry.", "worry"),
        ("好好吃饭，省得奶奶担心。", "担心"),
        ("好好学习，别让大人操心。", "操心"),
        ("好好吃飯，別讓奶奶操心。", "操心"),
        ("到学校了给我打个电话，免得我担心。", "担心"),
    ];
    for (text, phrase) in cases {
        let result = score(text);
        let item = result
            .evidence
            .iter()
            .find(|e| e.phrase == phrase)
            .unwrap_or_else(|| panic!("{text}: no {phrase} in {:?}", result.evidence));
        assert_eq!(
            item.construction,
            Some(Construction::CareInstruction),
            "{text}"
        );
        assert_eq!(item.counts_as, Side::Routine, "{text}");
        assert_eq!(item.weight, round_to(item.base_weight * 0.5, 3), "{text}");
        assert!(!item.parts.is_empty(), "{text}");
        assert!(result.score < EMOTIONAL_FROM, "{text}: {}", result.score);
    }
    // Hiding a trouble to spare the parents is not an instruction; a worry said is a worry.
    for text in [
        "I didn't tell them I was hit at school, they'd only worry.",
        "I failed the exam and I hid the paper so they wouldn't worry.",
        "Grandma worries about you every day.",
        "我真的很担心你。",
    ] {
        let result = score(text);
        assert!(
            result
                .evidence
                .iter()
                .all(|e| e.construction != Some(Construction::CareInstruction)),
            "{text}: {:?}",
            result.evidence
        );
        assert!(result.score >= EMOTIONAL_FROM, "{text}: {}", result.score);
    }
}

#[test]
fn a_long_routine_note_with_one_disclosure_is_mixed_and_quotes_it() {
    let cases = [
        (
            "Called at 8. Asked about his homework and the fees. Told him to wear the thick \
             coat. Reminded him to feed the pig. At the end he said he cries at night because \
             he misses us.",
            "At the end he said he cries at night because he misses us",
        ),
        (
            "Video call, 12 minutes. We talked about the exam on Thursday, the bus money and \
             the new uniform. She said she is scared of the dogs on the road. Then grandma \
             asked about the electricity bill and the water pump.",
            "She said she is scared of the dogs on the road",
        ),
        (
            "八点打的电话。问了作业和学费。叫他穿厚衣服。提醒他喂猪。最后他说晚上想我们想得哭。",
            "最后他说晚上想我们想得哭",
        ),
    ];
    for (text, sentence) in cases {
        let result = score(text);
        assert_eq!(result.level, DepthLevel::Mixed, "{text}: {:?}", result);
        let item = construction_item(text, &result, Construction::EmotionalSentence)
            .unwrap_or_else(|| panic!("{text}: no sentence quoted in {:?}", result.evidence));
        assert_eq!(item.phrase, sentence);
        assert_eq!(item.counts_as, Side::Emotional);
        let rebuilt =
            DepthResult::from_evidence(result.evidence.clone(), result.lexicon_version.clone());
        assert_eq!(rebuilt, result, "{text}");
    }
    // Short texts and notes without a feeling are left as they are.
    for text in [
        "I miss you. Did you eat?",
        "Called at 7. Asked if he ate. Told him to do his homework. Sent 500 yuan.",
    ] {
        let result = score(text);
        assert!(
            result
                .evidence
                .iter()
                .all(|e| e.construction != Some(Construction::EmotionalSentence)),
            "{text}: {:?}",
            result.evidence
        );
    }
}

#[test]
fn chat_shorthand_and_internet_forms_are_read() {
    for text in [
        "ily mom",
        "miss u sooo much",
        "r u ok? u seemed sad",
        "gn dad, luv u",
        "sry i yelled at u",
        "im so lonley here",
        "想死你了",
        "么么哒，晚安宝贝",
        "呜呜呜，我想回家",
        "抱抱",
    ] {
        let result = score(text);
        assert!(result.score >= EMOTIONAL_FROM, "{text}: {:?}", result);
    }
}

#[test]
fn bracket_emoticons_are_emotional_or_not_as_the_table_says() {
    let cases: &[(&str, Option<Category>)] = &[
        ("[大哭]", Some(Category::SadnessLoneliness)),
        ("[Sob]", Some(Category::SadnessLoneliness)),
        ("[難過]", Some(Category::SadnessLoneliness)),
        ("[委屈]", Some(Category::SadnessLoneliness)),
        ("[爱心]", Some(Category::Love)),
        ("[Heart]", Some(Category::Love)),
        ("[拥抱]", Some(Category::Love)),
        ("[Hug]", Some(Category::Love)),
        ("[红包]", Some(Category::Money)),
        ("[饭]", Some(Category::Food)),
        ("[强]", None),
        ("[ThumbsUp]", None),
        ("[呲牙]", None),
        ("[Grin]", None),
        ("[OK]", None),
        ("[微笑]", None),
    ];
    for (code, category) in cases {
        let result = score(code);
        let found: Vec<Category> = result.evidence.iter().map(|e| e.category).collect();
        match category {
            Some(category) => {
                assert_eq!(found, [*category], "{code}");
                assert_eq!(result.evidence[0].phrase, *code);
            }
            None => {
                assert!(found.is_empty(), "{code}: {found:?}");
                assert_eq!(result.score, NEUTRAL_SCORE, "{code}");
            }
        }
    }
    // Two in a row are two pieces of evidence; a code is never read as its inner word.
    assert_eq!(score("[大哭][大哭]").evidence.len(), 2);
    assert!(
        score("收到[强]")
            .evidence
            .iter()
            .all(|e| !e.phrase.contains('强'))
    );
}

#[test]
fn the_emoticon_table_has_both_names_and_a_mark_for_every_code() {
    let mut codes = 0;
    for line in EMBEDDED_EMOTICONS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("zh\t") && !l.trim().is_empty())
    {
        let columns: Vec<&str> = line.split('\t').collect();
        assert!(columns.len() >= 5, "{line}");
        assert!(columns[0].starts_with('['), "{line}");
        assert!(matches!(columns[2], "yes" | "no"), "{line}");
        codes += 1;
    }
    assert!(codes >= 80, "{codes} codes");
}

#[test]
fn constructions_are_on_the_wire_only_when_present() -> Result<(), serde_json::Error> {
    let plain = serde_json::to_value(score("I miss you"))?;
    let item = &plain["evidence"][0];
    assert!(item.get("construction").is_none(), "{item}");
    assert!(item.get("parts").is_none(), "{item}");

    let result = score("An older boy takes my lunch money, don't tell grandma.");
    let json = serde_json::to_value(&result)?;
    let items = json["evidence"].as_array().cloned().unwrap_or_default();
    let construction = items
        .iter()
        .find(|item| item["construction"] == "hidden_trouble" && item.get("parts").is_some());
    assert!(construction.is_some(), "{json}");
    let back: DepthResult = serde_json::from_value(json)?;
    assert_eq!(back, result);
    // Evidence stored before constructions existed still reads.
    let old = r#"{"phrase":"想你","category":"longing","weight":2.0,"base_weight":2.0,
        "modifier":null,"counts_as":"emotional","start":0,"end":6}"#;
    let old: Evidence = serde_json::from_str(old)?;
    assert_eq!((old.construction, old.parts.len()), (None, 0));
    Ok(())
}
