// Letter tables for romanize(): see romanize_tables.h for the format and docs/romanization.md for
// where each choice comes from (uroman's output on tests/data/romanization/, compared letter by letter).
#include "text/romanize_tables.h"

namespace parley::text::tables {

const std::string_view kCyrillic =
    "а=a б=b в=v г=g д=d е=e ё=e ж=zh з=z и=i й=i к=k л=l м=m н=n о=o п=p р=r с=s т=t у=u ф=f "
    "х=kh ц=ts ч=ch ш=sh щ=shch ъ= ы=y ь= э=e ю=yu я=ya і=i ї=yi є=ie ґ=g ў=u ђ=dj ћ=tsh ј=j "
    "љ=lj њ=nj џ=dzh ѓ=gj ќ=kj ѕ=dz ий=y ый=y";

const std::string_view kGreek =
    "α=a β=b γ=g δ=d ε=e ζ=z η=e θ=th ι=i κ=k λ=l μ=m ν=n ξ=x ο=o π=p ρ=r σ=s ς=s τ=t υ=y "
    "φ=f χ=ch ψ=ps ω=o ά=a έ=e ή=e ί=i ό=o ύ=u ώ=o ϊ=i ϋ=y ΐ=i ΰ=y ου=ou ού=ou αυ=au αύ=au ευ=eu εύ=eu ντ=nd γγ=ng γκ=ng ^μπ=b μπ=mb";

const std::string_view kArmenian =
    "ա=a բ=b գ=g դ=d ե=e ^ե=ye զ=z է=e ը=e թ=t ժ=zh ի=i լ=l խ=kh ծ=ts կ=k հ=h ձ=dz ղ=gh ճ=ch "
    "մ=m յ=y ն=n շ=sh ո=o չ=ch պ=p ջ=j ռ=r ս=s վ=v տ=t ր=r ց=c ւ=v փ=p ք=k օ=o ֆ=f և=ev ու=u "
    "։=. ՝=, ՛= ՜= ՞=՞";

const std::string_view kGeorgian =
    "ა=a ბ=b გ=g დ=d ე=e ვ=v ზ=z თ=t ი=i კ=k ლ=l მ=m ნ=n ო=o პ=p ჟ=zh რ=r ს=s ტ=t უ=u ფ=ph "
    "ქ=kh ღ=gh ყ=q შ=sh ჩ=ch ც=ts ძ=dz წ=ts ჭ=ch ხ=x ჯ=j ჰ=h";

// Without points uroman writes consonants only (vav "v", yod "y"); the points add their vowels.
const std::string_view kHebrew =
    "א=a ב=v ג=g ד=d ה=h ו=v ז=z ח=ch ט=t י=y ך=k כ=k ל=l ם=m מ=m ן=n נ=n ס=s ע=' ף=f פ=f ץ=ts "
    "צ=ts ק=q ר=r ש=sh ת=t בּ=b כּ=k ךּ=k פּ=p שׁ=sh שׂ=s וֹ=o וּ=u ְ=e ֱ=e ֲ=a ֳ=o ִ=i ֵ=e ֶ=e ַ=a ָ=a "
    "ִי=i ֹ=o ֺ=o ֻ=u ּ= ֽ= ׁ= ׂ= ־=- ׳=' ״=\"";

// Arabic, Persian and Uyghur letters; short-vowel marks are dropped as uroman drops them, except
// the tanwin "an" that Persian writes (لطفاً).
const std::string_view kArabic =
    "ا=a أ=a إ=i آ=a ٱ=a ^ای=i ب=b ت=t ث=th ج=j ح=h خ=kh د=d ذ=th ر=r ز=z س=s ش=sh ص=s ض=d ط=t ظ=z ع=' "
    "غ=gh ف=f ق=q ك=k ل=l م=m ن=n ه=h و=w ي=y ى=a ة=a ء=' ؤ=' ئ=ye پ=p چ=tch ژ=zh ک=k گ=g ی=i ۀ=h' "
    "ٔ=' ً=n ٌ= ٍ= َ= ُ= ِ= ّ= ْ= ٰ= ـ= ې=e ۆ=oe ە=ae ۇ=u ۋ=v ڭ=ng ۈ=ue ھ=h ٹ=t ڈ=d ڑ=r ں=n ے=e ۓ=e ۃ=a ،=, ؟=? ؛=; ٪=% "
    "٠=0 ١=1 ٢=2 ٣=3 ٤=4 ٥=5 ٦=6 ٧=7 ٨=8 ٩=9 ۰=0 ۱=1 ۲=2 ۳=3 ۴=4 ۵=5 ۶=6 ۷=7 ۸=8 ۹=9";

const std::string_view kThai =
    "ก=k ข=kh ฃ=kh ค=kh ฅ=kh ฆ=kh ง=ng จ=ch ฉ=ch ช=ch ซ=s ฌ=ch ญ=y ฎ=d ฏ=t ฐ=th ฑ=th ฒ=th ณ=n ด=d "
    "ต=t ถ=th ท=th ธ=th น=n บ=b ป=p ผ=p ฝ=f พ=ph ฟ=f ภ=ph ม=m ย=y ร=r ล=l ว=w ศ=s ษ=s ส=s ห=h "
    "ฬ=l อ=o ฮ=h ฤ=rue ะ=a ั=a า=aa ำ=am ิ=i ี=ii ึ=ue ื=eu ุ=u ู=uu เ=e แ=ae โ=o ใ=ai ไ=ai "
    "็=o ่= ้= ๊= ๋= ์= ๆ= าว=ao าย=ai ือ=uee ๐=0 ๑=1 ๒=2 ๓=3 ๔=4 ๕=5 ๖=6 ๗=7 ๘=8 ๙=9";

const std::string_view kLatin = "ä=ae ö=oe ü=ue ç=s ş=sh ß=ss ı=i";

// Small kana are syllables of their own, as uroman reads them (きょ "kiyo"), except after the
// "chi/shi/ji" row, whose "i" they replace (ちょ "cho", チェ "che").
const std::string_view kKana =
    "あ=a い=i う=u え=e お=o か=ka き=ki く=ku け=ke こ=ko が=ga ぎ=gi ぐ=gu げ=ge ご=go さ=sa "
    "し=shi す=su せ=se そ=so ざ=za じ=ji ず=zu ぜ=ze ぞ=zo た=ta ち=chi つ=tsu て=te と=to だ=da "
    "ぢ=ji づ=zu で=de ど=do な=na に=ni ぬ=nu ね=ne の=no は=ha ひ=hi ふ=fu へ=he ほ=ho ば=ba "
    "び=bi ぶ=bu べ=be ぼ=bo ぱ=pa ぴ=pi ぷ=pu ぺ=pe ぽ=po ま=ma み=mi む=mu め=me も=mo や=ya "
    "ゆ=yu よ=yo ら=ra り=ri る=ru れ=re ろ=ro わ=wa ゐ=wi ゑ=we を=o ん=n ゔ=vu ぁ=a ぃ=i ぅ=u "
    "ぇ=e ぉ=o ゃ=ya ゅ=yu ょ=yo っ=tsu ゎ=wa ゝ= ゞ= ちゃ=cha ちゅ=chu ちょ=cho ちぇ=che しゃ=sha "
    "しゅ=shu しょ=sho しぇ=she じゃ=ja じゅ=ju じょ=jo じぇ=je";

const std::string_view kCommon =
    "，=, 、=, 。=. ：=: ；=; ！=! ？=? （=( ）=) 「=\" 」=\" 『=\" 』=\" ・= ー= 〜=~ "
    "।=. ॥=. ።=. ፣=, ፤=; ፡= ‌= ‍= ¿= ¡=";

const std::string_view kIndicBase =
    "01=m 02=m 03=h 05=a 06=aa 07=i 08=ii 09=u 0a=uu 0b=r 0c=l 0d=e 0e=e 0f=e 10=ai 11=o 12=o "
    "13=o 14=au 15=k 16=kh 17=g 18=gh 19=ng 1a=c 1b=ch 1c=j 1d=jh 1e=ny 1f=tt 20=tth 21=dd 22=ddh "
    "23=nn 24=t 25=th 26=d 27=dh 28=n 29=n 2a=p 2b=ph 2c=b 2d=bh 2e=m 2f=y 30=r 31=r 32=l 33=ll "
    "34=lll 35=v 36=sh 37=ss 38=s 39=h 3d=' 3e=aa 3f=i 40=ii 41=u 42=uu 43=r 44=rr 45=e 46=e 47=e "
    "48=ai 49=o 4a=o 4b=o 4c=au 50=om 58=q 59=kh 5a=gh 5b=z 5c=r 5d=rh 5e=f 5f=y 60=rr 61=ll 62=l "
    "63=ll 66=0 67=1 68=2 69=3 6a=4 6b=5 6c=6 6d=7 6e=8 6f=9";

const IndicScript kDevanagari{0x0900, "", true};
const IndicScript kBengali{0x0980, "02=ng 1b=chh 4e=t 35=b", false};
const IndicScript kTamil{0x0B80, "1f=d 23=n 29=n 31=r 33=l 34=l 47=ee 4b=oo 0f=ee 13=oo", false};

const std::string_view kEthiopicRows =
    "h l h m s r s sh q - qh - b v t ch h - n ny _ k - kh - w _ z zh y d dd j g - gg t ch ph ts ts "
    "f p";

const std::string_view kHangulLeading = "g gg n d dd r m b bb s ss _ j jj c k t p h";
const std::string_view kHangulVowels =
    "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu yi i";
const std::string_view kHangulTrailing =
    "_ g gg gs n nj nh d l lg lm lb ls lt lp lh m b bs s ss ng j c k t p h";

}  // namespace parley::text::tables
