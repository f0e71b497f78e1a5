import { readFile } from "node:fs/promises";
import { InputError, OptionError } from "@lmsynth/schema";
import { errorMessage } from "./openpgp-errors.js";

/** Options of {@link readPassphrase}. */
export interface ReadPassphraseOptions {
  /** `--passphrase-file`: read the first line of this file. Wins over the environment. Default: none. */
  passphraseFile?: string;
  /** Where `LMSYNTH_PASSPHRASE` is looked up; usually `process.env`. */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The passphrase from `passphraseFile` (wins) or else the environment variable `LMSYNTH_PASSPHRASE`.
 *
 * A file is read the way `gpg --passphrase-file` reads it: the passphrase is its first line, without
 * the `\n` that ends it; a `\r` before that `\n` is kept, because gpg keeps it too (a file saved with
 * Windows line endings therefore gives a different passphrase in gpg and here alike; the
 * wrong-passphrase message points this out). The file must be UTF-8. The environment value is used
 * as is. Throws `OptionError` when neither is given or the passphrase is empty or not UTF-8, and
 * `InputError` (`io`) when the file cannot be read.
 */
export async function readPassphrase(options: ReadPassphraseOptions): Promise<string> {
  const { passphraseFile, env } = options;
  if (passphraseFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = await readFile(passphraseFile);
    } catch (error) {
      throw new InputError(passphraseFile, undefined, "io", `cannot read the passphrase file: ${errorMessage(error)}`, { cause: error });
    }
    const newline = bytes.indexOf(0x0a);
    const line = newline < 0 ? bytes : bytes.subarray(0, newline);
    let passphrase: string;
    try {
      passphrase = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(line);
    } catch {
      throw new OptionError(`${passphraseFile}: the passphrase file is not UTF-8 text`);
    }
    if (passphrase === "") throw new OptionError(`${passphraseFile}: the passphrase file's first line is empty`);
    return passphrase;
  }
  const fromEnv = env["LMSYNTH_PASSPHRASE"];
  if (fromEnv === undefined) {
    throw new OptionError("the input is OpenPGP-encrypted: give --passphrase-file FILE or set LMSYNTH_PASSPHRASE");
  }
  if (fromEnv === "") throw new OptionError("LMSYNTH_PASSPHRASE is set but empty");
  return fromEnv;
}
