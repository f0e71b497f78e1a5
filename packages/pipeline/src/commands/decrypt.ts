import { decryptFile, readPassphrase } from "@lmsynth/reader";
import { OptionError } from "@lmsynth/schema";
import { GENERAL_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { withClaimedOutputs } from "../output-claim.js";
import type { Command } from "./command.js";

const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "where the plaintext goes (written only after the integrity check)" },
  "passphrase-file": { type: "string", arg: "file", description: "passphrase (first line; or env LMSYNTH_PASSPHRASE)" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

/** What `lmsynth decrypt` did. */
export interface DecryptResult {
  command: "decrypt";
  input: string;
  output: string;
  bytes: number;
  seconds: number;
}

/** `lmsynth decrypt`: a passphrase-encrypted OpenPGP file to its plaintext, integrity-checked, atomic. */
export const decryptCommand: Command<typeof TABLE, DecryptResult> = {
  about: "decrypt an OpenPGP (.gpg) file, integrity-checked, atomic",
  usage: "lmsynth decrypt <in.gpg> -o <out>",
  summary:
    "Decrypts a passphrase-encrypted OpenPGP file (gpg --symmetric: CFB+MDC or OCB/AEAD, binary or armored). Rarely needed: every command reads .gpg inputs directly.",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const input = options.inputs?.length === 1 ? options.inputs[0]! : undefined;
    if (input === undefined) throw new OptionError("decrypt takes one input file");
    const output = o.output;
    if (!output) throw new OptionError("missing -o <output>");
    const passphrase = await readPassphrase({ ...(o["passphrase-file"] ? { passphraseFile: o["passphrase-file"] } : {}), env: context.env });
    return yield* withClaimedOutputs([{ flag: "-o", path: output }], [input, o["passphrase-file"]], async (): Promise<DecryptResult> => {
      const started = performance.now();
      const done = await decryptFile(input, output, { passphrase, ...(context.signal ? { signal: context.signal } : {}) });
      return { command: "decrypt", input, output: done.path, bytes: done.bytes, seconds: (performance.now() - started) / 1000 };
    });
  },
};
