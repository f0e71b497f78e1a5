import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { InputError } from "@lmsynth/schema";

/** Counts the tokens of a text as the trainer's tokenizer encodes it. */
export type TokenCounter = (text: string) => number;

/** A JSON file's value, or undefined when `optional` and it does not exist. */
async function readJson(path: string, optional: boolean): Promise<object | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(path, undefined, "io", `cannot read the tokenizer: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as object;
  } catch (e) {
    throw new InputError(path, undefined, "invalid-json", `not JSON: ${(e as Error).message}`, { cause: e });
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
    throw new InputError(path, undefined, "invalid-record", `not a tokenizer.json: ${(e as Error).message}`, { cause: e });
  }
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length;
}
