import { InputError } from "@lmsynth/schema";
import { FramingError, type PacketFraming } from "./packet-framing.js";

// What openpgp or the packet framing threw, turned into the InputError the contract promises: a wrong
// passphrase, truncated data, a modified file or not OpenPGP at all, each said in the user's words.

export function badPassphrase(file: string, passphrase: string, cause?: unknown): InputError {
  const hint = passphrase.endsWith("\r")
    ? " (the passphrase ends with a carriage return \\r: was the passphrase file saved with Windows line endings?)"
    : "";
  return new InputError(file, undefined, "bad-passphrase", `wrong passphrase${hint}`, cause === undefined ? undefined : { cause });
}

export function truncatedError(file: string, where = "inside the encrypted packet", cause?: unknown): InputError {
  return new InputError(
    file,
    undefined,
    "decrypt",
    `truncated OpenPGP data: the file ends ${where} (incomplete download or copy?)`,
    cause === undefined ? undefined : { cause },
  );
}

/** Turns whatever openpgp or the framing threw into the `InputError` the contract promises. */
export function classifyOpenPgpError(error: unknown, framing: PacketFraming, file: string, verified: boolean): unknown {
  // Our own errors, also when they come back wrapped by openpgp (a read error inside its stream).
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof InputError) return e;
  }
  if (framing.truncated) return truncatedError(file, undefined, error);
  const messages = errorChain(error);
  const text = messages.join(" / ");
  if (error instanceof FramingError) {
    return new InputError(file, undefined, "decrypt", `not OpenPGP data: ${error.message}`, { cause: error });
  }
  if (/Misformed armored text/.test(text)) {
    return new InputError(file, undefined, "decrypt", "truncated OpenPGP data: the armor has no END line", { cause: error });
  }
  if (error instanceof Error && error.name === "AbortError") return error;
  if (!verified) {
    return new InputError(
      file,
      undefined,
      "decrypt",
      `wrong passphrase, or the file was modified: this cipher allows no early passphrase check (${rootMessage(messages)})`,
      { cause: error },
    );
  }
  if (/Modification detected|Authentication tag mismatch|unable to authenticate/i.test(text)) {
    return new InputError(file, undefined, "decrypt", "integrity check failed: the file was modified", { cause: error });
  }
  if (framing.dataPacket) {
    // The key was verified and the data is complete, so garbage inside it means it was altered
    // (openpgp parses a decompressed stream before the MDC at its end can be checked).
    return new InputError(file, undefined, "decrypt", `integrity check failed: the file was modified (${rootMessage(messages)})`, {
      cause: error,
    });
  }
  return new InputError(file, undefined, "decrypt", `not OpenPGP data: ${rootMessage(messages)}`, { cause: error });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The messages of an error and its causes, outermost first (openpgp wraps its errors once or twice). */
function errorChain(error: unknown): string[] {
  const messages: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    messages.push(errorMessage(e));
    if (!(e instanceof Error)) break;
  }
  return messages;
}

/** The innermost cause's first line: what actually went wrong, without openpgp's wrapping. */
function rootMessage(messages: readonly string[]): string {
  return (messages[messages.length - 1] ?? "").split("\n", 1)[0]!;
}
