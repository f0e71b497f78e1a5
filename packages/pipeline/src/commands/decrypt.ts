import { decryptFile, readPassphrase } from "@lmsynth/reader";

import { GENERAL_OPTIONS } from "../common-options.js";
import type { CliIo } from "../io.js";
import { withClaimedOutputs } from "../output-claim.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { UsageError } from "../usage-error.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "where the plaintext goes (written only after the integrity check)" },
  "passphrase-file": { type: "string", arg: "file", description: "passphrase (first line; or env LMSYNTH_PASSPHRASE)" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth decrypt <in.gpg> -o <out>";
export const SUMMARY =
  "Decrypts a passphrase-encrypted OpenPGP file (gpg --symmetric: CFB+MDC or OCB/AEAD, binary or armored). Rarely needed: every command reads .gpg inputs directly.";

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: o, positionals } = parseOptions(TABLE, argv);
  if (positionals.length !== 1) throw new UsageError("decrypt takes one input file");
  const output = o.output;
  if (!output) throw new UsageError("missing -o <output>");
  const passphrase = await readPassphrase({ ...(o["passphrase-file"] ? { passphraseFile: o["passphrase-file"] } : {}), env: io.env });
  const inputs = [positionals[0], o["passphrase-file"]];
  return withClaimedOutputs([{ flag: "-o", path: output }], inputs, async () => {
    const started = performance.now();
    const done = await decryptFile(positionals[0]!, output, { passphrase, ...(io.signal ? { signal: io.signal } : {}) });
    const summary = { command: "decrypt", input: positionals[0], output: done.path, bytes: done.bytes, seconds: (performance.now() - started) / 1000 };
    if (o.json) io.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    else if (!o.silent) io.stderr.write(`decrypted ${summary.input} → ${summary.output} (${done.bytes} bytes, integrity checked)\n`);
    return 0;
  });
}
