// A byte-level BPE `tokenizer.json` made from a seed, for tests and the bench: every merge joins two tokens
// into a new one, as a trained BPE's do, so `@huggingface/tokenizers` and Python `tokenizers` read it alike.
import { mulberry32 } from "./generate.mjs";

/** GPT-2's byte-to-character table: the alphabet of a byte-level BPE, in byte order. */
function byteAlphabet() {
  const bytes = [];
  for (let b = 33; b <= 126; b++) bytes.push(b);
  for (let b = 161; b <= 172; b++) bytes.push(b);
  for (let b = 174; b <= 255; b++) bytes.push(b);
  const chars = [...bytes];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bytes.includes(b)) (bytes.push(b), chars.push(256 + n++));
  return chars.map((c) => String.fromCodePoint(c));
}

/**
 * The `tokenizer.json` object of a byte-level BPE with `size` tokens (at least 256), seeded. 150,000 tokens,
 * the vocabulary of a real model, give a file of 4.5 MB (real ones escape non-ASCII and are larger).
 */
export function syntheticTokenizer(size, seed = 7) {
  const random = mulberry32(seed);
  const tokens = byteAlphabet();
  const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
  const merges = [];
  while (tokens.length < size) {
    const a = tokens[Math.floor(random() * Math.max(300, tokens.length / 3))];
    const b = tokens[Math.floor(random() * 300)];
    const t = a + b;
    if (t in vocab || [...t].length > 16) continue;
    vocab[t] = tokens.length;
    tokens.push(t);
    merges.push(`${a} ${b}`);
  }
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}
