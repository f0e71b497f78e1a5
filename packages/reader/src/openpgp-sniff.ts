import { PacketTag } from "./packet-framing.js";

// What the first bytes of a file say it is, as OpenPGP: an encrypted message lmsynth decrypts, or a signed
// or armored one it names for what it is.

const ARMOR_BEGIN = "-----BEGIN PGP MESSAGE-----";

/**
 * True when `firstBytes` (the first bytes of a file; 64 are plenty, fewer work) look like an encrypted
 * OpenPGP message: ASCII armor `-----BEGIN PGP MESSAGE-----` (after optional whitespace), or a binary
 * packet whose first packet is a Symmetric-Key (tag 3, version 4/5/6) or Public-Key (tag 1, version 3/6)
 * Encrypted Session Key packet, in old or new packet format. Content sniffing only: never throws.
 */
export function isOpenPgp(firstBytes: Uint8Array): boolean {
  if (isArmored(firstBytes)) return true;
  const b = firstBytes[0];
  if (b === undefined || (b & 0x80) === 0) return false;
  let tag: number;
  let bodyAt: number;
  if (b & 0x40) {
    tag = b & 0x3f;
    const l0 = firstBytes[1];
    // Session-key packets are short: a partial length here would not be gpg's output.
    bodyAt = l0 === undefined || l0 < 192 ? 2 : l0 < 224 ? 3 : l0 === 255 ? 6 : -1;
  } else {
    tag = (b >> 2) & 0x0f;
    bodyAt = [2, 3, 5, -1][b & 0x03]!;
  }
  if (bodyAt < 0) return false;
  const version = firstBytes[bodyAt];
  if (tag === PacketTag.skesk) return version === undefined || version === 4 || version === 5 || version === 6;
  if (tag === PacketTag.pkesk) return version === undefined || version === 3 || version === 6;
  return false;
}

/**
 * What an OpenPGP file that {@link isOpenPgp} refused is instead, in words for the user, when its first bytes
 * say: a clearsigned text, a detached signature, or a signed (or only compressed) binary message. Undefined
 * for anything else. lmsynth decrypts passphrase-encrypted files; a signature is checked with `gpg --verify`.
 */
export function describeUnencryptedOpenPgp(firstBytes: Uint8Array): string | undefined {
  const text = Buffer.from(firstBytes.subarray(0, 64)).toString("latin1").replace(/^\uFEFF|^\xEF\xBB\xBF/, "").trimStart();
  if (text.startsWith("-----BEGIN PGP SIGNED MESSAGE-----")) return "a clearsigned OpenPGP text, signed but not encrypted (gpg --verify checks it; its text is readable as it is)";
  if (text.startsWith("-----BEGIN PGP SIGNATURE-----")) return "a detached OpenPGP signature, not an encrypted message (gpg --verify checks the file it signs)";
  const b = firstBytes[0];
  if (b === undefined || (b & 0x80) === 0) return undefined;
  const tag = b & 0x40 ? b & 0x3f : (b >> 2) & 0x0f;
  if (tag === SIGNATURE_TAG || tag === ONE_PASS_SIGNATURE_TAG || tag === PacketTag.compressed || tag === PacketTag.literal) {
    return "a signed or only compressed OpenPGP message, not an encrypted one (gpg --decrypt unwraps it; lmsynth decrypts passphrase-encrypted files)";
  }
  return undefined;
}

/** Signature (tag 2) and one-pass signature (tag 4) packets, which lead a signed message. */
const SIGNATURE_TAG = 2;
const ONE_PASS_SIGNATURE_TAG = 4;

export function isArmored(firstBytes: Uint8Array): boolean {
  let i = 0;
  // Tolerate a UTF-8 BOM and leading blank lines, as editors and mail clients add them.
  if (firstBytes[0] === 0xef && firstBytes[1] === 0xbb && firstBytes[2] === 0xbf) i = 3;
  while (i < firstBytes.length && (firstBytes[i] === 0x20 || firstBytes[i] === 0x09 || firstBytes[i] === 0x0d || firstBytes[i] === 0x0a)) i++;
  const rest = firstBytes.subarray(i, i + ARMOR_BEGIN.length);
  if (rest.length === 0) return false;
  for (let k = 0; k < rest.length; k++) if (rest[k] !== ARMOR_BEGIN.charCodeAt(k)) return false;
  // Too few bytes to see the whole line: a prefix match of at least "-----BEGIN PGP" is enough.
  return rest.length === ARMOR_BEGIN.length || rest.length >= 14;
}

