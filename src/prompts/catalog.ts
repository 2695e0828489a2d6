/**
 * The word-level prompt catalogue: every file name a number or announcement builder may return, with the
 * text it was generated from. scripts/gen-prompts.ts renders this table to assets/prompts/<lang>/<name>.wav;
 * runtime code only reads the names (the synthesiser is development-time tooling and stays out of src/).
 */

/** Languages prompts exist in. */
export type PromptLang = 'vi' | 'en';
export const PROMPT_LANGS: readonly PromptLang[] = ['vi', 'en'];

const VI_DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín', 'mười'];

const EN_CARDINALS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const EN_ORDINALS = [
  'zeroth',
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
];
const EN_TENS_ORD = [
  '',
  '',
  'twentieth',
  'thirtieth',
  'fortieth',
  'fiftieth',
  'sixtieth',
  'seventieth',
  'eightieth',
  'ninetieth',
];

/** Sentences and phrases shared by both languages (the keys are the file names). */
const PHRASES: Record<string, Record<PromptLang, string>> = {
  'caller-number': { vi: 'Quý khách là người', en: 'You are caller number' },
  'in-queue': { vi: 'trong hàng chờ', en: 'in the queue' },
  'estimated-wait': { vi: 'Thời gian chờ dự kiến khoảng', en: 'Your estimated wait is' },
  'wait-under-minute': {
    vi: 'Thời gian chờ dự kiến dưới một phút',
    en: 'Your estimated wait is less than one minute',
  },
  minute: { vi: 'phút', en: 'minute' },
  minutes: { vi: 'phút', en: 'minutes' },
  welcome: { vi: 'Xin chào, cảm ơn quý khách đã gọi đến', en: 'Hello, thank you for calling' },
  press: { vi: 'Vui lòng bấm phím', en: 'Please press' },
  for: { vi: 'để', en: 'for' },
  sales: { vi: 'gặp bộ phận kinh doanh', en: 'sales' },
  support: { vi: 'gặp bộ phận hỗ trợ kỹ thuật', en: 'technical support' },
  operator: { vi: 'gặp tổng đài viên', en: 'an operator' },
  repeat: { vi: 'nghe lại', en: 'to hear these options again' },
  'no-input': { vi: 'Quý khách chưa bấm phím nào', en: 'We did not receive your choice' },
  invalid: { vi: 'Lựa chọn không hợp lệ', en: 'That is not a valid choice' },
  'please-hold': { vi: 'Vui lòng giữ máy', en: 'Please hold' },
  transferring: { vi: 'Đang chuyển cuộc gọi của quý khách', en: 'Transferring your call' },
  closed: {
    vi: 'Hiện tại đã hết giờ làm việc. Vui lòng gọi lại sau',
    en: 'We are closed right now. Please call back during business hours',
  },
  holiday: {
    vi: 'Hôm nay là ngày nghỉ lễ. Vui lòng gọi lại sau',
    en: 'We are closed for a holiday today. Please call back later',
  },
  'callback-offer': {
    vi: 'Để giữ lượt và được gọi lại, vui lòng bấm phím',
    en: 'To keep your place and be called back, press',
  },
  'callback-confirmed': {
    vi: 'Chúng tôi đã ghi nhận. Tổng đài viên sẽ gọi lại cho quý khách',
    en: 'Thank you. An agent will call you back',
  },
  'callback-refused': {
    vi: 'Rất tiếc, không thể gọi lại số này',
    en: 'Sorry, we cannot call back this number',
  },
  voicemail: { vi: 'Vui lòng để lại lời nhắn sau tiếng bíp', en: 'Please leave a message after the tone' },
  error: { vi: 'Xin lỗi, hệ thống đang gặp sự cố', en: 'Sorry, something went wrong' },
  goodbye: { vi: 'Xin cảm ơn và hẹn gặp lại', en: 'Thank you for calling. Goodbye' },
};

/** Vietnamese number words beyond the plain digits (file name → text). */
const VI_WORDS: Record<string, string> = {
  muoi: 'mươi', // tens suffix: hai mươi
  mot: 'mốt', // 1 after a tens word: hai mươi mốt
  tu: 'tư', // 4 after a tens word, and the ordinal thứ tư
  lam: 'lăm', // 5 after mười / mươi
  linh: 'linh', // zero tens after hundreds (northern)
  le: 'lẻ', // zero tens after hundreds (southern)
  tram: 'trăm',
  nghin: 'nghìn',
  trieu: 'triệu',
  ty: 'tỷ',
  thu: 'thứ',
  nhat: 'nhất', // ordinal one: thứ nhất
};

function viTable(): Record<string, string> {
  const t: Record<string, string> = {};
  VI_DIGITS.forEach((w, i) => (t[String(i)] = w));
  Object.assign(t, VI_WORDS);
  return t;
}

function enTable(): Record<string, string> {
  const t: Record<string, string> = {};
  EN_CARDINALS.forEach((w, i) => (t[String(i)] = w));
  EN_ORDINALS.forEach((w, i) => (t[`h-${i}`] = w));
  for (let d = 2; d <= 9; d++) {
    t[String(d * 10)] = EN_TENS[d] ?? '';
    t[`h-${d * 10}`] = EN_TENS_ORD[d] ?? '';
  }
  for (const big of ['hundred', 'thousand', 'million', 'billion']) {
    t[big] = big;
    t[`h-${big}`] = `${big}th`;
  }
  return t;
}

function withPhrases(lang: PromptLang, words: Record<string, string>): Record<string, string> {
  const t = { ...words };
  for (const [name, texts] of Object.entries(PHRASES)) t[name] = texts[lang];
  return t;
}

/** Every prompt file of each language: file name (without .wav) → the text it says. */
export const PROMPT_CATALOG: Readonly<Record<PromptLang, Readonly<Record<string, string>>>> = {
  vi: withPhrases('vi', viTable()),
  en: withPhrases('en', enTable()),
};

/** The path of a prompt below the assets directory: `prompts/<lang>/<name>.wav`. */
export function promptPath(lang: PromptLang, name: string): string {
  return `prompts/${lang}/${name}.wav`;
}
