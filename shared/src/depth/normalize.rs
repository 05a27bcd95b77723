//! Text folding before matching: lower case, Traditional to Simplified Chinese, full-width
//! ASCII to ASCII, curly apostrophes to `'`, emoji variation selectors and skin tones dropped.
//!
//! The folded text keeps, for every byte, the byte offset in the original it came from, so a
//! match can be reported as the phrase the writer actually typed.

/// Traditional characters and their Simplified forms, as pairs (`們们` = 們 → 们).
///
/// Only one-to-one folds that are safe in everyday family talk are listed; the lexicon's own
/// entries go through the same fold, so a Traditional spelling in the text meets a
/// Simplified entry. A character missing here still matches wherever the lexicon lists it.
const TRADITIONAL_TO_SIMPLIFIED: &str = "\
們们個个這这來来時时會会為为說说對对還还麼么嗎吗沒没媽妈愛爱難难過过覺觉歡欢謝谢學学習习書书\
錢钱飯饭裡里裏里話话電电視视幾几頭头錯错讓让給给買买賣卖寶宝貝贝樂乐節节長长開开關关麵面雞鸡\
魚鱼藥药醫医體体溫温燒烧熱热凍冻襪袜褲裤氣气傘伞風风寫写業业績绩試试師师課课讀读題题數数語语\
費费帳帐匯汇轉转塊块萬万銀银張张號号應应該该憂忧擔担慮虑懼惧嚇吓單单傷伤淚泪惱恼憤愤禮礼慶庆\
歲岁週周龍龙團团圓圆親亲戀恋願愿夢梦憶忆記记掛挂牽牵聽听聲声見见現现請请問问間间門门鎖锁掃扫\
曬晒燈灯廚厨幫帮爺爷兒儿孫孙邊边離离遠远歸归鄉乡車车飛飞機机場场驕骄獎奖狀状厲厉興兴奮奋煩烦\
悶闷壓压緊紧談谈論论訴诉溝沟認认識识許许護护養养顧顾飽饱餓饿湯汤飲饮著着發发髮发後后從从兩两\
樣样驚惊懷怀憐怜慟恸歎叹嘆叹勵励讚赞贊赞誇夸賽赛預预複复練练紙纸筆笔測测驗验畢毕級级參参選选\
優优紅红聖圣誕诞醜丑恥耻臉脸諒谅動动獨独際际實实歷历經经雖虽總总當当將将別别無无並并與与絡络\
聯联訊讯簡简鏡镜腳脚檢检針针懶懒颳刮涼凉淨净髒脏換换壞坏麥麦莊庄種种騎骑遞递郵邮資资貴贵價价\
碼码網网線线點点鑰钥齒齿蘋苹餅饼鴨鸭豬猪餃饺講讲頓顿罵骂鬧闹負负嬤嬷餵喂臺台颱台鬱郁乾干幹干\
誰谁聞闻戲戏遊游貓猫鳥鸟馬马東东陽阳陰阴雲云霧雾濕湿尷尴丟丢羨羡誤误聰聪頑顽額额補补輔辅導导\
圖图畫画劃划處处辦办紀纪員员園园樓楼舊旧黃黄閒闲閑闲錶表鐘钟屬属於于貼贴摟搂嗚呜嘩哗喲哟囉啰\
嘍喽瞭了裝装睏困牀床噁恶惡恶麗丽係系隻只帶带穩稳層层賬账獲获勞劳嚴严臨临";

/// The first and last code point of the CJK Unified Ideographs block, where every character
/// of the fold table lies.
const CJK_FIRST: u32 = 0x4E00;
const CJK_LAST: u32 = 0x9FFF;

/// The fold table for CJK characters, indexed by `char − U+4E00`.
#[derive(Clone, Debug)]
pub(crate) struct Folder {
    cjk: Box<[char]>,
}

/// A folded text and, for each of its bytes, the offset of the original character it came
/// from; `origin[text.len()]` is the original length.
#[derive(Clone, Debug, Default)]
pub(crate) struct Folded {
    pub(crate) text: String,
    pub(crate) origin: Vec<u32>,
}

impl Folded {
    /// The original byte range of the folded range `start..end`.
    pub(crate) fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let at = |i: usize| self.origin.get(i).map_or(0, |&o| o as usize);
        (at(start), at(end))
    }
}

impl Folder {
    pub(crate) fn new() -> Self {
        let size = (CJK_LAST - CJK_FIRST + 1) as usize;
        let mut cjk: Vec<char> = (CJK_FIRST..=CJK_LAST)
            .map(|code| char::from_u32(code).unwrap_or('\u{FFFD}'))
            .collect();
        debug_assert_eq!(cjk.len(), size);
        let mut chars = TRADITIONAL_TO_SIMPLIFIED.chars();
        while let (Some(traditional), Some(simplified)) = (chars.next(), chars.next()) {
            if let Some(slot) = cjk_index(traditional).and_then(|i| cjk.get_mut(i)) {
                *slot = simplified;
            }
        }
        Folder {
            cjk: cjk.into_boxed_slice(),
        }
    }

    /// Folds `input`; see the module doc for what changes.
    pub(crate) fn fold(&self, input: &str) -> Folded {
        let mut folded = Folded {
            text: String::with_capacity(input.len()),
            origin: Vec::with_capacity(input.len() + 1),
        };
        self.fold_into(input, &mut folded);
        folded
    }

    /// Folds `input` into `out`, reusing its buffers.
    pub(crate) fn fold_into(&self, input: &str, out: &mut Folded) {
        out.text.clear();
        out.origin.clear();
        // Offsets fit in u32: texts scored here are notes and messages, far below 4 GiB.
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        let mut rest = input;
        while !rest.is_empty() {
            let at = input.len() - rest.len();
            // Runs of ASCII are copied as they are and lower-cased in one go at the end.
            let ascii = rest.bytes().take_while(u8::is_ascii).count();
            if ascii > 0 {
                out.text.push_str(rest.get(..ascii).unwrap_or_default());
                out.origin.extend(offset(at)..offset(at + ascii));
                rest = rest.get(ascii..).unwrap_or_default();
                continue;
            }
            let mut chars = rest.chars();
            let Some(c) = chars.next() else { break };
            let before = out.text.len();
            self.fold_char(c, &mut out.text);
            out.origin
                .extend(std::iter::repeat_n(offset(at), out.text.len() - before));
            rest = chars.as_str();
        }
        // Only ASCII letters change; folded non-ASCII characters are already lower case.
        out.text.make_ascii_lowercase();
        out.origin.push(offset(input.len()));
    }

    fn fold_char(&self, c: char, text: &mut String) {
        match c {
            // Emoji presentation selectors and skin tones: ❤️ and ❤ are the same heart.
            '\u{FE0E}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' => {}
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{FF07}' => text.push('\''),
            '\u{3000}' => text.push(' '),
            // Full-width ASCII (Ａ, ！, ？, ，) as typed on Chinese keyboards.
            '\u{FF01}'..='\u{FF5E}' => {
                let ascii = char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c);
                text.push(ascii.to_ascii_lowercase());
            }
            _ => {
                if let Some(&simplified) = cjk_index(c).and_then(|i| self.cjk.get(i)) {
                    text.push(simplified);
                } else if c.is_uppercase() {
                    text.extend(c.to_lowercase());
                } else {
                    text.push(c);
                }
            }
        }
    }
}

fn cjk_index(c: char) -> Option<usize> {
    let code = u32::from(c);
    (CJK_FIRST..=CJK_LAST)
        .contains(&code)
        .then(|| (code - CJK_FIRST) as usize)
}

/// Whether `c` is a Chinese character (the blocks family texts use).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_table_is_well_formed() {
        let chars: Vec<char> = TRADITIONAL_TO_SIMPLIFIED.chars().collect();
        assert_eq!(chars.len() % 2, 0, "pairs of characters");
        let mut seen = std::collections::HashSet::new();
        for pair in chars.chunks(2) {
            let (traditional, simplified) = (pair[0], pair[1]);
            assert!(
                cjk_index(traditional).is_some(),
                "{traditional} in the CJK block"
            );
            assert!(
                cjk_index(simplified).is_some(),
                "{simplified} in the CJK block"
            );
            assert_ne!(traditional, simplified);
            assert!(seen.insert(traditional), "{traditional} listed twice");
        }
    }

    #[test]
    fn folds_case_script_width_and_emoji() {
        let folder = Folder::new();
        let cases = [
            ("Miss You", "miss you"),
            ("別難過，媽媽很快就回家了！", "别难过,妈妈很快就回家了!"),
            ("睡不著", "睡不着"),
            ("don’t cry", "don't cry"),
            ("❤️👍🏽", "❤👍"),
            ("ＯＫ", "ok"),
            ("ÉTÉ", "été"),
        ];
        for (input, expected) in cases {
            assert_eq!(folder.fold(input).text, expected, "{input}");
        }
    }

    #[test]
    fn origin_maps_back_to_the_original_text() {
        let folder = Folder::new();
        let input = "Ａ❤️好";
        let folded = folder.fold(input);
        assert_eq!(folded.text, "a❤好");
        // "❤" in the folded text covers the heart and its dropped selector in the original.
        let heart_start = folded.text.find('❤').unwrap_or_default();
        let heart_end = heart_start + '❤'.len_utf8();
        let (start, end) = folded.original_range(heart_start, heart_end);
        assert_eq!(&input[start..end], "❤️");
        assert_eq!(folded.origin.last().copied(), Some(input.len() as u32));
    }
}
