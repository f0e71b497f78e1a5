import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { InputError, printable } from "@lmsynth/schema";

/** A text every real tokenizer encodes to at least one token. */
const PROBE = "Hello, world. こんにちは。";

/** Counts the tokens of a text as the trainer's tokenizer encodes it. */
export type TokenCounter = (text: string) => number;

/** Larger than any real `tokenizer.json` (the largest are tens of MB): more is the wrong file. */
const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024;

/**
 * The bytes of a JSON object file, read in chunks up to the cap (a device such as /dev/zero has no size to
 * trust). What cannot be one is refused at its first bytes: gzip, or anything but white space then `{`.
 */
async function readObjectBytes(path: string): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(1 << 20), 0, 1 << 20, null);
      if (bytesRead === 0) return Buffer.concat(chunks, length);
      if (length === 0) {
        if (buffer[0] === 0x1f && buffer[1] === 0x8b) throw new InputError(path, undefined, "invalid-json", "gzip-compressed: decompress it first (gunzip)");
        const first = buffer.subarray(0, bytesRead).findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
        if (first !== -1 && buffer[first] !== 0x7b) {
          throw new InputError(path, undefined, "invalid-json", `not a JSON object: it starts with byte 0x${buffer[first]!.toString(16).padStart(2, "0")} at offset ${first}, not {`);
        }
      }
      length += bytesRead;
      if (length > MAX_TOKENIZER_BYTES) throw new InputError(path, undefined, "invalid-record", `larger than ${MAX_TOKENIZER_BYTES >> 20} MiB: not a tokenizer.json`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/** A JSON file's value, or undefined when `optional` and it does not exist. */
async function readJson(path: string, optional: boolean): Promise<object | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readObjectBytes(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(path, undefined, "io", `cannot read the tokenizer: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(bytes.toString("utf8")) as object;
  } catch (e) {
    throw new InputError(path, undefined, "invalid-json", `not JSON: ${printable((e as Error).message, 120)}`, { cause: e });
  }
}

/**
 * A {@link TokenCounter} from a Hugging Face `tokenizer.json` (BPE, byte-level BPE, Unigram/SentencePiece,
 * WordPiece, as `@huggingface/tokenizers` reads them), with the `tokenizer_config.json` beside it when there
 * is one. Special tokens are not added: a chat template's text already holds them (`add_special_tokens=False`,
 * as TRL encodes rendered text).
 * @throws InputError naming the file when it cannot be read or is not a tokenizer.
 */
export async function loadTokenCounter(path: string): Promise<TokenCounter> {
  const tokenizerJson = (await readJson(path, false))!;
  const config = (await readJson(join(dirname(path), "tokenizer_config.json"), true)) ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, config);
    tokenizer.encode("", { add_special_tokens: false });
  } catch (e) {
    throw new InputError(path, undefined, "invalid-record", `not a tokenizer.json: ${printable((e as Error).message, 120)}`, { cause: e });
  }
  // A tokenizer that turns text into nothing (an empty vocabulary) would count every row as 0 tokens, and
  // --max-tokens would keep them all.
  if (tokenizer.encode(PROBE, { add_special_tokens: false }).ids.length === 0) {
    throw new InputError(path, undefined, "invalid-record", "not a usable tokenizer.json: it encodes text to no token (an empty vocabulary?)");
  }
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length;
}
