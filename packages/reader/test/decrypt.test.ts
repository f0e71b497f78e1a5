import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { InputError, OutputError, OptionError } from "@lmsynth/schema";
import { decryptSessionKeys, enums, readMessage, type SymEncryptedSessionKeyPacket } from "openpgp";
import { decryptFile, decryptStream } from "../src/decrypt.js";
import { readPassphrase } from "../src/read-passphrase.js";
import { isOpenPgp } from "../src/openpgp-sniff.js";
import { s2kSessionKey } from "../src/s2k.js";

const FIXTURES = fileURLToPath(new URL("../../../test-fixtures/gpg/", import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);
const PLAINTEXT = readFileSync(fixture("instructions-ja.jsonl.gz"));
const PASSPHRASE_FILE = fixture("passphrase.txt");
const PASSPHRASE = "lmsynth テスト passphrase 1";

const tmp = mkdtempSync(join(tmpdir(), "lmsynth-decrypt-"));
const gnupgHome = mkdtempSync(join(tmpdir(), "lmsynth-gnupg-"));
afterAll(() => {
  try {
    execFileSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: gnupgHome } });
  } catch {
    // no agent was started
  }
  rmSync(gnupgHome, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs gpg with a private home and no passphrase cache, so a wrong passphrase cannot pass by caching. */
function gpg(args: string[], input?: Buffer): Buffer {
  return execFileSync("gpg", ["--batch", "--quiet", "--no-symkey-cache", "--pinentry-mode", "loopback", ...args], {
    env: { ...process.env, GNUPGHOME: gnupgHome },
    input,
    maxBuffer: 64 << 20,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** A copy of `bytes` under the temp folder. */
function tempFile(name: string, bytes: Uint8Array | string): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

/** The source as 64 KiB chunks, counting how many bytes the consumer pulled. */
function counted(bytes: Uint8Array): { source: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  async function* source() {
    for (let i = 0; i < bytes.length; i += 65536) {
      const chunk = bytes.subarray(i, i + 65536);
      pulled += chunk.length;
      yield chunk;
    }
  }
  return { source: source(), pulled: () => pulled };
}

async function decryptBytes(source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, passphrase: string, file = "input") {
  const chunks: Uint8Array[] = [];
  for await (const chunk of decryptStream(source, { passphrase, file })) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), chunks: chunks.length };
}

async function decryptError(source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, passphrase = PASSPHRASE, file = "input") {
  let yielded = 0;
  try {
    for await (const chunk of decryptStream(source, { passphrase, file })) yielded += chunk.length;
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return { error: error as InputError, yielded };
  }
  throw new Error("decryption did not fail");
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

// Each gpg-made fixture with what `gpg --list-packets` must show, so the table tests what it claims.
const GPG_FIXTURES = [
  ["file-default.gpg", ["cipher 9, aead 0,s2k 3, hash 2", "count 65011712", "encrypted data packet", "literal data packet"]],
  ["stdin-zip.gpg", ["cipher 9", "compressed packet: algo=1"]],
  ["stdin-zlib-sha512.gpg", ["hash 10", "compressed packet: algo=2"]],
  ["stdin-bzip2.gpg", ["compressed packet: algo=3"]],
  ["stdin-none.gpg", ["cipher 9", "partial new-ctb\n:literal data packet"]],
  ["aes128-sha256.gpg", ["cipher 7, aead 0,s2k 3, hash 8"]],
  ["cast5.gpg", ["cipher 3, aead 0"]],
  ["armored.asc", ["cipher 9", "literal data packet"]],
  ["ocb-librepgp.gpg", ["version 5, cipher 9, aead 2", "aead encrypted packet: cipher=9 aead=2"]],
] as const;

describe("s2kSessionKey: the passphrase's key with node:crypto", () => {
  /** The body of the file's one SKESK packet, and the session key openpgp derives from it. */
  async function viaOpenpgp(bytes: Uint8Array, passphrase = PASSPHRASE) {
    const message = await readMessage({ binaryMessage: bytes });
    const [skesk] = message.packets.filterByTag(enums.packet.symEncryptedSessionKey) as unknown as SymEncryptedSessionKeyPacket[];
    const [key] = await decryptSessionKeys({ message, passwords: passphrase });
    return { body: skesk!.write(), key: key && { data: Buffer.from(key.data), algorithm: key.algorithm } };
  }

  it.each([
    ["file-default.gpg", "aes256", "SHA-1, so two hashes fill the key"],
    ["aes128-sha256.gpg", "aes128", "SHA-256"],
    ["stdin-zlib-sha512.gpg", "aes256", "SHA-512"],
  ])("derives openpgp's key for %s (%s, %s)", async (name, algorithm) => {
    const { body, key } = await viaOpenpgp(readFileSync(fixture(name)));
    const got = s2kSessionKey(body, PASSPHRASE);
    expect(got && { data: Buffer.from(got.data), algorithm: got.algorithm }).toEqual(key);
    expect(key?.algorithm).toBe(algorithm);
    // A wrong passphrase gives another key (the quick check then refuses it).
    expect(Buffer.from(s2kSessionKey(body, `${PASSPHRASE}x`)!.data).equals(key!.data)).toBe(false);
    // openpgp's own derivation hashes gpg's default 65 MB in JavaScript: seconds on a busy machine.
  }, 30_000);

  it.each([
    ["0", "simple"],
    ["1", "salted"],
  ])("derives the key of --s2k-mode %s (%s), and the file decrypts to gpg's plaintext", async (mode) => {
    const file = tempFile(`s2k-mode-${mode}.gpg`, gpg(["--passphrase-file", PASSPHRASE_FILE, "--s2k-mode", mode, "--symmetric", "--cipher-algo", "AES256", "-o", "-"], PLAINTEXT));
    const bytes = readFileSync(file);
    const { body, key } = await viaOpenpgp(bytes);
    expect(body.length).toBe(mode === "0" ? 4 : 12);
    const got = s2kSessionKey(body, PASSPHRASE)!;
    expect({ data: Buffer.from(got.data), algorithm: got.algorithm }).toEqual(key);
    expect((await decryptBytes(createReadStream(file), PASSPHRASE)).bytes.equals(PLAINTEXT)).toBe(true);
  }, 30_000);

  it.each([
    ["cast5.gpg", "a cipher other than AES"],
    ["ocb-librepgp.gpg", "a version 5 packet"],
  ])("leaves %s (%s) to openpgp", async (name) => {
    const { body } = await viaOpenpgp(readFileSync(fixture(name)));
    expect(s2kSessionKey(body, PASSPHRASE)).toBeUndefined();
  });
});

describe("decryptStream on gpg-made files", () => {
  it.each(GPG_FIXTURES)("%s decrypts to exactly what gpg --decrypt gives", async (name, packets) => {
    const listing = gpg(["--passphrase-file", PASSPHRASE_FILE, "--list-packets", fixture(name)]).toString("latin1");
    for (const expected of packets) expect(listing).toContain(expected);
    const fromGpg = gpg(["--passphrase-file", PASSPHRASE_FILE, "--decrypt", fixture(name)]);
    expect(sha256(fromGpg)).toBe(sha256(PLAINTEXT));
    const { bytes } = await decryptBytes(createReadStream(fixture(name)), PASSPHRASE, name);
    expect(bytes.equals(fromGpg)).toBe(true);
  });

  it("decrypts the RFC 9580 form (SKESK v6 + SEIPD v2, OCB), which gpg 2.2 cannot read", async () => {
    const bytes = readFileSync(fixture("ocb-seipdv2.gpg"));
    // New-format tag 3 (0xc3) version 6; then tag 18 (0xd2, a 1-byte partial length) whose body starts
    // with version 2, cipher 9 (AES-256), AEAD 2 (OCB).
    expect([bytes[0], bytes[2]]).toEqual([0xc3, 6]);
    const seipd = 2 + bytes[1]!;
    expect([bytes[seipd], bytes[seipd + 2], bytes[seipd + 3], bytes[seipd + 4]]).toEqual([0xd2, 2, 9, 2]);
    const { bytes: plain } = await decryptBytes(createReadStream(fixture("ocb-seipdv2.gpg")), PASSPHRASE);
    expect(plain.equals(PLAINTEXT)).toBe(true);
  });

  it.each([
    ["stdin-zip.gpg", 1],
    ["file-default.gpg", 7],
    ["armored.asc", 5],
    ["ocb-librepgp.gpg", 3],
  ] as const)("%s fed in %i-byte chunks decrypts exactly (headers split across chunks)", async (name, size) => {
    const bytes = readFileSync(fixture(name));
    async function* tiny() {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    const { bytes: plain } = await decryptBytes(tiny(), PASSPHRASE);
    expect(plain.equals(PLAINTEXT)).toBe(true);
  });

  it("streams: a 5 MB file gpg encrypts in the test decrypts exactly, in several chunks", async () => {
    const lines: string[] = [];
    let seed = 7;
    for (let i = 0, size = 0; size < 5_000_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const id = seed.toString(16).padStart(8, "0").repeat(4);
      const content = `質問${i}：${"あいうえお".repeat(seed % 40)}`;
      lines.push(JSON.stringify({ conversation_id: id, translated_conversation: [{ role: "user", content }] }) + "\n");
      size += Buffer.byteLength(lines[i]!);
    }
    const plain = Buffer.from(lines.join(""));
    expect(plain.length).toBeGreaterThan(5_000_000);
    const passFile = tempFile("big-pass.txt", `${PASSPHRASE}\n`);
    const encrypted = gpg(["--passphrase-file", passFile, "--symmetric", "--cipher-algo", "AES256", "--output", "-"], plain);
    const { bytes, chunks } = await decryptBytes(counted(encrypted).source, PASSPHRASE);
    expect(sha256(bytes)).toBe(sha256(plain));
    expect(chunks).toBeGreaterThan(1);

    // A wrong passphrase is rejected after reading the start of the file only.
    const { source, pulled } = counted(encrypted);
    const { error, yielded } = await decryptError(source, "not the passphrase");
    expect([error.reason, error.detail, yielded]).toEqual(["bad-passphrase", "wrong passphrase", 0]);
    expect(pulled()).toBeLessThanOrEqual(128 * 1024);
  }, 30_000);

  it("stops cleanly when the consumer stops early, closing the file", async () => {
    const stream = createReadStream(fixture("stdin-none.gpg"), { highWaterMark: 64 });
    for await (const chunk of decryptStream(stream, { passphrase: PASSPHRASE, file: "x" })) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(stream.destroyed).toBe(true);
  });
});

describe("decryptStream errors", () => {
  const ALL = [...GPG_FIXTURES.map(([name]) => name), "ocb-seipdv2.gpg"].filter((n) => n !== "cast5.gpg");

  it.each(ALL)("%s with a wrong passphrase: bad-passphrase before any plaintext", async (name) => {
    const { error, yielded } = await decryptError(createReadStream(fixture(name)), "wrong", name);
    expect([error.file, error.line, error.reason, error.detail, yielded]).toEqual([name, undefined, "bad-passphrase", "wrong passphrase", 0]);
    expect(error.message).toBe(`${name}: wrong passphrase`);
  });

  it("a passphrase ending in \\r gets a hint about Windows line endings", async () => {
    const { error } = await decryptError(createReadStream(fixture("file-default.gpg")), `${PASSPHRASE}\r`);
    expect(error.detail).toBe(
      "wrong passphrase (the passphrase ends with a carriage return \\r: was the passphrase file saved with Windows line endings?)",
    );
  });

  it("CAST5 allows no early check: a wrong passphrase is reported as either", async () => {
    const { error, yielded } = await decryptError(createReadStream(fixture("cast5.gpg")), "wrong");
    expect([error.reason, yielded]).toEqual(["decrypt", 0]);
    // What openpgp trips over in the garbage varies with the random session prefix.
    expect(error.detail).toMatch(/^wrong passphrase, or the file was modified: this cipher allows no early passphrase check \(.+\)$/);
  });

  it("truncated.gpg: truncated", async () => {
    const { error } = await decryptError(createReadStream(fixture("truncated.gpg")), PASSPHRASE, "truncated.gpg");
    expect([error.reason, error.message]).toEqual([
      "decrypt",
      "truncated.gpg: truncated OpenPGP data: the file ends inside the encrypted packet (incomplete download or copy?)",
    ]);
  });

  const cuts: Array<[string, (n: number) => number]> = [
    ["one byte short", (n) => n - 1],
    ["half", (n) => Math.floor(n / 2)],
    ["inside the first partial-length chunk", () => 100],
  ];
  const truncatable = ["file-default.gpg", "stdin-zip.gpg", "stdin-none.gpg", "ocb-librepgp.gpg", "ocb-seipdv2.gpg"];
  it.each(truncatable.flatMap((name) => cuts.map(([cut, at]) => [name, cut, at] as const)))("%s cut %s: truncated", async (name, _cut, at) => {
    const bytes = readFileSync(fixture(name));
    const { error } = await decryptError(counted(bytes.subarray(0, at(bytes.length))).source);
    expect([error.reason, error.detail]).toEqual([
      "decrypt",
      "truncated OpenPGP data: the file ends inside the encrypted packet (incomplete download or copy?)",
    ]);
  });

  it("a file that ends before the encrypted data: truncated", async () => {
    const skeskOnly = readFileSync(fixture("file-default.gpg")).subarray(0, 15);
    const { error } = await decryptError(counted(skeskOnly).source);
    expect(error.detail).toBe("truncated OpenPGP data: the file ends before the encrypted data (incomplete download or copy?)");
  });

  it("armor without its END line: truncated", async () => {
    const text = readFileSync(fixture("armored.asc"), "latin1");
    const { error } = await decryptError(counted(Buffer.from(text.slice(0, Math.floor(text.length * 0.6)), "latin1")).source);
    expect([error.reason, error.detail]).toEqual(["decrypt", "truncated OpenPGP data: the armor has no END line"]);
  });

  it.each(["flipped.gpg", "flipped-zip.gpg"])("%s: integrity check failed", async (name) => {
    const { error } = await decryptError(createReadStream(fixture(name)), PASSPHRASE, name);
    expect([error.reason, error.message]).toEqual(["decrypt", `${name}: integrity check failed: the file was modified`]);
  });

  it.each(["ocb-librepgp.gpg", "ocb-seipdv2.gpg", "stdin-none.gpg", "stdin-bzip2.gpg"])(
    "%s with one byte inverted mid-body: integrity check failed",
    async (name) => {
      const bytes = Buffer.from(readFileSync(fixture(name)));
      bytes[Math.floor(bytes.length * 0.7)]! ^= 0xff;
      const { error } = await decryptError(counted(bytes).source);
      expect(error.reason).toBe("decrypt");
      expect(error.detail).toMatch(/^integrity check failed: the file was modified/);
    },
  );

  it("armored input with CRLF line endings and leading blank lines decrypts", async () => {
    const text = "\r\n\r\n" + readFileSync(fixture("armored.asc"), "latin1").replace(/\n/g, "\r\n");
    const { bytes } = await decryptBytes(counted(Buffer.from(text, "latin1")).source, PASSPHRASE);
    expect(bytes.equals(PLAINTEXT)).toBe(true);
  });

  it.each([
    ["empty", Buffer.alloc(0), "not OpenPGP data: the file is empty"],
    ["gzip", PLAINTEXT, "not OpenPGP data: byte 0x1f at offset 0 is not an OpenPGP packet header"],
    ["JSON", Buffer.from('{"a":1}\n'), "not OpenPGP data: byte 0x7b at offset 0 is not an OpenPGP packet header"],
    ["a public key block", Buffer.from([0x99, 0x00, 0x0d, 4]), "not OpenPGP-encrypted data: found packet type 6 where a session-key packet was expected"],
  ])("%s: not OpenPGP", async (_, bytes, detail) => {
    const { error } = await decryptError(counted(bytes).source);
    expect([error.reason, error.detail]).toEqual(["decrypt", detail]);
  });

  it("an unencrypted OpenPGP message (gpg --store): not encrypted", async () => {
    const stored = gpg(["--store", "--output", "-"], Buffer.from("hello\n"));
    const { error } = await decryptError(counted(stored).source);
    expect([error.reason, error.detail]).toEqual(["decrypt", "not an encrypted OpenPGP message: it holds unencrypted data"]);
  });

  it("data without integrity protection (packet 9) is refused", async () => {
    const bytes = Buffer.from(readFileSync(fixture("file-default.gpg")));
    // Turn the new-format tag 18 header at offset 15 into tag 9 (Symmetrically Encrypted Data, no MDC).
    expect(bytes[15]).toBe(0xd2);
    bytes[15] = 0xc9;
    const { error } = await decryptError(counted(bytes).source);
    expect(error.detail).toBe("the OpenPGP data has no integrity protection (packet 9, no MDC); refusing to decrypt it, as gpg does");
  });
});

describe("decryptFile", () => {
  it("writes the plaintext and nothing else", async () => {
    const dir = mkdtempSync(join(tmp, "out-"));
    const out = join(dir, "instructions-ja.jsonl.gz");
    const written = await decryptFile(fixture("stdin-zip.gpg"), out, { passphrase: PASSPHRASE });
    expect(written).toEqual({ path: out, bytes: PLAINTEXT.length });
    expect(readFileSync(out).equals(PLAINTEXT)).toBe(true);
    expect(readdirSync(dir)).toEqual(["instructions-ja.jsonl.gz"]);
  });

  it.each([
    ["file-default.gpg", "wrong", "bad-passphrase"],
    ["truncated.gpg", PASSPHRASE, "decrypt"],
    ["flipped.gpg", PASSPHRASE, "decrypt"],
    ["flipped-zip.gpg", PASSPHRASE, "decrypt"],
  ])("%s (passphrase %s) fails with %s and leaves no file", async (name, passphrase, reason) => {
    const dir = mkdtempSync(join(tmp, "out-"));
    const error = await decryptFile(fixture(name), join(dir, "out.jsonl.gz"), { passphrase }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).reason).toBe(reason);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("leaves an existing output untouched when it fails", async () => {
    const dir = mkdtempSync(join(tmp, "out-"));
    const out = join(dir, "out.jsonl.gz");
    writeFileSync(out, "previous");
    await expect(decryptFile(fixture("flipped.gpg"), out, { passphrase: PASSPHRASE })).rejects.toThrow("integrity check failed");
    expect(readdirSync(dir)).toEqual(["out.jsonl.gz"]);
    expect(readFileSync(out, "utf8")).toBe("previous");
  });

  it("names the missing input and the unwritable output", async () => {
    const missing = (await decryptFile(join(tmp, "nope.gpg"), join(tmp, "x"), { passphrase: PASSPHRASE }).catch((e: unknown) => e)) as InputError;
    expect([missing.reason, missing.file]).toEqual(["io", join(tmp, "nope.gpg")]);
    const badOut = join(tmp, "no-such-dir", "out");
    const unwritable = await decryptFile(fixture("file-default.gpg"), badOut, { passphrase: PASSPHRASE }).catch((e: unknown) => e);
    expect(unwritable).toBeInstanceOf(OutputError);
    expect((unwritable as OutputError).path).toBe(badOut);
  });

  it("stops on an aborted signal with its reason, removing the temporary file", async () => {
    const dir = mkdtempSync(join(tmp, "out-"));
    const controller = new AbortController();
    controller.abort(new Error("interrupted by SIGINT"));
    const error = await decryptFile(fixture("file-default.gpg"), join(dir, "out"), { passphrase: PASSPHRASE, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBe(controller.signal.reason);
    expect(readdirSync(dir)).toEqual([]);
  });

  // Through a link, so that a regression replaces the link and not the device.
  it.skipIf(!existsSync("/dev/full"))("writes a device in place: /dev/full fails with ENOSPC and stays a device", async () => {
    const dir = mkdtempSync(join(tmp, "out-"));
    const link = join(dir, "full");
    symlinkSync("/dev/full", link);
    const error = (await decryptFile(fixture("file-default.gpg"), link, { passphrase: PASSPHRASE }).catch((e: unknown) => e)) as OutputError;
    expect([error.name, error.message]).toEqual(["OutputError", `${link}: cannot write: ENOSPC: no space left on device, write`]);
    expect(statSync(link).isCharacterDevice()).toBe(true);
    expect(readdirSync(dir)).toEqual(["full"]);
  });
});

describe("readPassphrase", () => {
  it.each([
    ["a line ending in \\n", "secret\n", "secret"],
    ["no newline", "secret", "secret"],
    ["\\r\\n: the \\r stays, as in gpg", "secret\r\n", "secret\r"],
    ["several lines: the first, as in gpg", "secret\nsecond line\n", "secret"],
    ["spaces kept", "  secret  \n", "  secret  "],
    ["UTF-8", "パスフレーズ\n", "パスフレーズ"],
  ])("file with %s", async (_, content, expected) => {
    const passphraseFile = tempFile("pass.txt", content);
    expect(await readPassphrase({ passphraseFile, env: {} })).toBe(expected);
  });

  it("reads the fixture's passphrase file as gpg does (the fixtures decrypt with it)", async () => {
    const passphrase = await readPassphrase({ passphraseFile: PASSPHRASE_FILE, env: { LMSYNTH_PASSPHRASE: "other" } });
    expect(passphrase).toBe(PASSPHRASE);
  });

  it("agrees with gpg on a CRLF passphrase file", async () => {
    const passphraseFile = tempFile("crlf.txt", "crlf secret\r\n");
    const encrypted = gpg(["--passphrase-file", passphraseFile, "--symmetric", "--output", "-"], Buffer.from("hi\n"));
    const passphrase = await readPassphrase({ passphraseFile, env: {} });
    const { bytes } = await decryptBytes(counted(encrypted).source, passphrase);
    expect(bytes.toString()).toBe("hi\n");
  });

  it("takes LMSYNTH_PASSPHRASE as is", async () => {
    expect(await readPassphrase({ env: { LMSYNTH_PASSPHRASE: " env secret\n" } })).toBe(" env secret\n");
  });

  it.each([
    ["neither", {}, "the input is OpenPGP-encrypted: give --passphrase-file FILE or set LMSYNTH_PASSPHRASE"],
    ["empty env", { env: { LMSYNTH_PASSPHRASE: "" } }, "LMSYNTH_PASSPHRASE is set but empty"],
  ])("usage error: %s", async (_, extra, message) => {
    const error = await readPassphrase({ env: {}, ...extra }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).message).toBe(message);
  });

  it.each([
    ["empty first line", "\nsecret\n", "the passphrase file's first line is empty"],
    ["not UTF-8", Buffer.from([0xff, 0xfe, 0x0a]), "the passphrase file is not UTF-8 text"],
  ])("usage error: file with %s", async (_, content, message) => {
    const passphraseFile = tempFile("bad-pass.txt", content);
    const error = await readPassphrase({ passphraseFile, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).message).toBe(`${passphraseFile}: ${message}`);
  });

  it("a missing file is an io error naming it", async () => {
    const passphraseFile = join(tmp, "missing-pass.txt");
    const error = (await readPassphrase({ passphraseFile, env: {} }).catch((e: unknown) => e)) as InputError;
    expect([error.reason, error.file]).toEqual(["io", passphraseFile]);
  });
});

describe("isOpenPgp", () => {
  it.each([
    ["new-format SKESK v4", [0xc3, 0x0d, 4, 9], true],
    ["old-format SKESK v4", [0x8c, 0x0d, 4, 9], true],
    ["new-format SKESK v6", [0xc3, 0x4f, 6], true],
    ["old-format PKESK v3, 2-byte length", [0x85, 0x01, 0x0c, 3], true],
    ["new-format PKESK v3", [0xc1, 0xc0, 0x4c, 3], true],
    ["SKESK with an unknown version", [0xc3, 0x0d, 9], false],
    ["literal data packet", [0xcb, 0x0d, 0x62], false],
    ["public key", [0x99, 0x01, 0x0d, 4], false],
    ["armor", [...Buffer.from("-----BEGIN PGP MESSAGE-----\n\nhQ")], true],
    ["armor after a BOM and blank lines", [0xef, 0xbb, 0xbf, ...Buffer.from("\r\n\n-----BEGIN PGP MESSAGE-----\n")], true],
    ["armored public key", [...Buffer.from("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")], false],
    ["gzip", [0x1f, 0x8b, 8, 0], false],
    ["Parquet", [...Buffer.from("PAR1")], false],
    ["JSON", [...Buffer.from('{"a":1}')], false],
    ["empty", [], false],
  ])("%s → %s", (_, bytes, expected) => {
    expect(isOpenPgp(Uint8Array.from(bytes))).toBe(expected);
  });

  it.each(readdirSync(FIXTURES).filter((n) => /\.(gpg|asc)$/.test(n)))("fixture %s is OpenPGP", (name) => {
    expect(isOpenPgp(readFileSync(fixture(name)).subarray(0, 64))).toBe(true);
  });
});
