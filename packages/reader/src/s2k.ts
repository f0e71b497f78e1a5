import { createHash } from "node:crypto";

/** RFC 9580 §9.5 hash ids an S2K may name, by node:crypto's name. */
const HASHES: Readonly<Record<number, string>> = { 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224" };

/** RFC 9580 §9.3 AES ids, by openpgp's name, with their key sizes. */
const CIPHERS: Readonly<Record<number, { algorithm: "aes128" | "aes192" | "aes256"; bytes: number }>> = {
  7: { algorithm: "aes128", bytes: 16 },
  8: { algorithm: "aes192", bytes: 24 },
  9: { algorithm: "aes256", bytes: 32 },
};

/** Bytes of repeated salt and passphrase hashed per update; the iteration count is up to 65 MB. */
const REPEAT_BYTES = 1 << 20;

/** The byte count an iterated S2K hashes, from its coded form (RFC 9580 §3.7.1.3). */
function iterationCount(coded: number): number {
  return (16 + (coded & 15)) << ((coded >> 4) + 6);
}

/**
 * The session key of a version 4 SKESK packet (`body`: its whole body) that carries no encrypted session
 * key of its own, the form `gpg --symmetric` writes: the packet's S2K (simple, salted, or iterated and
 * salted; RFC 9580 §3.7.1) applied to `passphrase` with node:crypto's hashes. gpg's default iteration hashes
 * 65 MB, which openpgp's JavaScript hashes take over a second for, and node:crypto a tenth of that.
 * Undefined for every other form (another version, cipher, S2K or hash, an encrypted session key), which
 * openpgp derives instead. Whether the key is right is for the caller to check (the CFB quick check).
 */
export function s2kSessionKey(body: Uint8Array, passphrase: string): { data: Uint8Array; algorithm: "aes128" | "aes192" | "aes256" } | undefined {
  const cipher = CIPHERS[body[1] ?? -1];
  const hash = HASHES[body[3] ?? -1];
  const mode = body[2];
  if (body[0] !== 4 || !cipher || !hash) return undefined;
  const end = mode === 0 ? 4 : mode === 1 ? 12 : mode === 3 ? 13 : -1;
  // Anything after the S2K is an encrypted session key.
  if (body.length !== end) return undefined;
  const input = Buffer.concat([body.subarray(4, Math.min(end, 12)), Buffer.from(passphrase, "utf8")]);
  // Iterated: salt and passphrase repeated up to the count coded in the S2K's last byte, and at least once.
  const total = mode === 3 ? Math.max(iterationCount(body[12]!), input.length) : input.length;
  const repeated = input.length === 0 ? input : Buffer.alloc(Math.min(total, Math.ceil(REPEAT_BYTES / input.length) * input.length), input);
  const key = Buffer.alloc(cipher.bytes);
  // A key longer than the hash takes more hashes, the n-th preloaded with n zero bytes.
  for (let filled = 0, zeros = 0; filled < key.length; zeros++) {
    const h = createHash(hash).update(Buffer.alloc(zeros));
    let left = total;
    for (; left >= repeated.length && repeated.length > 0; left -= repeated.length) h.update(repeated);
    h.update(repeated.subarray(0, left));
    filled += h.digest().copy(key, filled);
  }
  return { data: key, algorithm: cipher.algorithm };
}
