import type { Message } from "@lmsynth/schema";

// The repository's one seeded PRNG (mulberry32), so the generated conversations are the same on every run.
const { mulberry32: prng } = (await import(new URL("../../../test-fixtures/generate.mjs", import.meta.url).href)) as {
  mulberry32: (seed: number) => () => number;
};

const SENTENCES = [
  "おはようございます。今日の天気は？",
  "東京から大阪まで新幹線で何時間かかりますか。",
  "次の文章を英語に翻訳してください：「猫が窓辺で眠っている。」",
  "はい、承知しました。以下に手順を示します。",
  "What is the capital of Australia?",
  "Write a haiku about autumn leaves.",
  "Sure! Here is a short Python function:\n\n```python\ndef add(a, b):\n    return a + b\n```",
  "1. 材料を用意する\n2. 玉ねぎを切る\n3. 炒める",
  "Thanks 🙏 that helps a lot 😀",
  "家族👨‍👩‍👧で🇯🇵旅行に行きます。",
  "Line one\r\nLine two\r\nLine three",
  "全角スペース\u3000を含む\u3000文章です。",
  "Tabs\tinside\ttext, and \"quotes\" and \\backslashes\\.",
  "<b>HTML-like</b> & special <|tokens|> must pass through.",
  "数式: E = mc² と ∑ᵢ xᵢ",
  "I'm not sure I understand. Could you rephrase?",
];

const SYSTEMS = [
  "あなたは誠実で優秀な日本人のアシスタントです。",
  "You are a helpful assistant.",
  "  You answer briefly.\n",
  "\u3000丁寧な日本語で答えてください。\u3000",
  "",
];

/**
 * Edge whitespace that Python's `str.strip()` and JavaScript's `trim()` agree on. The code points they
 * disagree on (U+FEFF, U+001C–U+001F, U+0085) are tested by hand in python-strip.test.ts.
 */
const EDGES = ["", "", "", " ", "  ", "\n", "\r\n", "\t", "\u3000", "\u00a0", "\u2003", " \n ", "\u3000 ", "\n\n"];

export interface GeneratedCase {
  messages: Message[];
  /** Why it is there, for failure messages. */
  kind: "valid" | "not-alternating" | "system-later" | "tool";
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function content(rand: () => number): string {
  const r = rand();
  if (r < 0.04) return "";
  if (r < 0.07) return pick(rand, EDGES) + pick(rand, EDGES);
  let text = pick(rand, SENTENCES);
  if (rand() < 0.3) text += (rand() < 0.5 ? "\n" : " ") + pick(rand, SENTENCES);
  return pick(rand, EDGES) + text + pick(rand, EDGES);
}

/**
 * `count` realistic conversations from `seed`: one to eight turns alternating user/assistant, a third with a
 * system message (sometimes padded or empty), contents with leading/trailing spaces, U+3000, `\r\n`, emoji and
 * empty strings; about one in twelve breaks a template rule (roles not alternating, a system message later
 * on, a tool message) so error behaviour is compared too.
 */
export function generateConversations(count: number, seed: number): GeneratedCase[] {
  const rand = prng(seed);
  const out: GeneratedCase[] = [];
  for (let n = 0; n < count; n++) {
    const messages: Message[] = [];
    if (rand() < 0.35) messages.push({ role: "system", content: pick(rand, SYSTEMS) });
    const turns = 1 + Math.floor(rand() * 8);
    for (let t = 0; t < turns; t++) messages.push({ role: t % 2 === 0 ? "user" : "assistant", content: content(rand) });
    let kind: GeneratedCase["kind"] = "valid";
    const r = rand();
    const at = 1 + Math.floor(rand() * messages.length);
    if (r < 0.03) {
      kind = "not-alternating";
      messages.splice(at, 0, { role: "user", content: content(rand) });
    } else if (r < 0.055) {
      kind = "system-later";
      messages.splice(at, 0, { role: "system", content: content(rand) });
    } else if (r < 0.08) {
      kind = "tool";
      messages.splice(at, 0, { role: "tool", content: '{"temperature": 21, "unit": "°C"}\n' + content(rand) });
    }
    out.push({ messages, kind });
  }
  return out;
}
