#!/usr/bin/env bash
# Writes test-fixtures/gpg/: a small gzip JSONL of Japanese first-turn instructions (the shape of
# lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz) and that file passphrase-encrypted in every
# form a user may have, made by the gpg CLI (2.2.x) where gpg can make it:
#
#   instructions-ja.jsonl.gz      the plaintext (deterministic: fixed records, gzip without mtime/name)
#   passphrase.txt                the passphrase, one line ending in "\n" (non-ASCII on purpose)
#   file-default.gpg              gpg --symmetric --cipher-algo AES256 FILE: AES-256 CFB + MDC, S2K SHA-1,
#                                 no compression (gpg sees the gzip magic and skips it), fixed length;
#                                 the likely form of the published .gpg file
#   stdin-zip.gpg                 same from stdin: ZIP-compressed, partial body lengths
#   stdin-zlib-sha512.gpg         --compress-algo zlib --s2k-digest-algo SHA512
#   stdin-bzip2.gpg               --compress-algo bzip2
#   stdin-none.gpg                --compress-algo none (uncompressed, partial body lengths)
#   aes128-sha256.gpg             --cipher-algo AES128 --s2k-digest-algo SHA256
#   cast5.gpg                     --cipher-algo CAST5 (gpg 1.x default; no early passphrase check)
#   armored.asc                   --armor
#   ocb-seipdv2.gpg               openpgp.js (gpg 2.2 has no AEAD): RFC 9580 SKESK v6 + SEIPD v2, AES-256 OCB
#   ocb-librepgp.gpg              openpgp.js packets in gpg ≥ 2.3's AEAD layout: SKESK v5 + AEAD packet
#                                 (tag 20), AES-256 OCB; gpg 2.2 cannot write it but decrypts it (checked below)
#   truncated.gpg                 file-default.gpg cut in the middle of the encrypted packet
#   flipped.gpg                   file-default.gpg with one byte of the encrypted body inverted
#   flipped-zip.gpg               stdin-zip.gpg with one byte of the encrypted body inverted
#
# Wrong-passphrase cases use the good files with another passphrase (no fixture needed).
# gpg output is randomised (salt, session key), so re-running changes the .gpg bytes but not what they
# decrypt to. Run from anywhere: bash test-fixtures/make-gpg-fixtures.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
out="$here/gpg"
mkdir -p "$out"

GNUPGHOME="$(mktemp -d)"
export GNUPGHOME
cleanup() {
  gpgconf --kill gpg-agent >/dev/null 2>&1 || true
  rm -rf "$GNUPGHOME"
}
trap cleanup EXIT

# --- plaintext ---------------------------------------------------------------------------------------
printf '%s\n' 'lmsynth テスト passphrase 1' >"$out/passphrase.txt"

(cd "$repo" && node --input-type=module -) >"$out/instructions-ja.jsonl" <<'EOF'
import { createHash } from "node:crypto";
const idOf = (name) => createHash("md5").update(name).digest("hex");
const instructions = [
  "東京でおすすめの観光地を3つ教えてください。",
  "次の文章を英語に翻訳してください：「今日はとても良い天気です。」",
  "Pythonでフィボナッチ数列を計算する関数を書いてください。",
  "会社紹介の文章を書いてください。社名はNAME_1です。",
  "",
  "量子コンピュータとは何ですか？\n中学生にもわかるように説明してください。",
  "「吾輩は猫である」の作者は誰ですか？",
  "以下のJSONを整形してください：{\"a\": 1, \"b\": [1, 2]}",
  "タブ\t区切りと改行\r\nを含む入力。絵文字も😀含みます。",
  "SQLで重複行を削除する方法を教えて",
  "日本の四季について短い詩を書いてください。",
  "あなたは誰ですか？",
];
for (const [i, content] of instructions.entries()) {
  const record = { conversation_id: idOf(`gpg-fixture-${i}`), translated_conversation: [{ role: "user", content }] };
  process.stdout.write(JSON.stringify(record) + "\n");
}
EOF
gzip -n -9 -f "$out/instructions-ja.jsonl" # -n: no name, mtime 0

plain="$out/instructions-ja.jsonl.gz"
gpg_sym() { gpg --batch --quiet --no-symkey-cache --pinentry-mode loopback --passphrase-file "$out/passphrase.txt" --symmetric "$@"; }

# --- gpg-made ------------------------------------------------------------------------------------------
rm -f "$out"/*.gpg "$out"/*.asc
# file-default and armored keep gpg's default S2K count (65011712 bytes hashed, ~0.2 s per decryption in
# openpgp.js); the others use a small count only to keep the test suite fast: the count changes no code path.
fast=(--s2k-count 65536)
gpg_sym --cipher-algo AES256 -o "$out/file-default.gpg" "$plain"
gpg_sym --cipher-algo AES256 --armor -o "$out/armored.asc" "$plain"
gpg_sym "${fast[@]}" --cipher-algo AES256 -o "$out/stdin-zip.gpg" <"$plain"
gpg_sym "${fast[@]}" --cipher-algo AES256 --compress-algo zlib --s2k-digest-algo SHA512 -o "$out/stdin-zlib-sha512.gpg" <"$plain"
gpg_sym "${fast[@]}" --cipher-algo AES256 --compress-algo bzip2 -o "$out/stdin-bzip2.gpg" <"$plain"
gpg_sym "${fast[@]}" --cipher-algo AES256 --compress-algo none -o "$out/stdin-none.gpg" <"$plain"
gpg_sym "${fast[@]}" --cipher-algo AES128 --s2k-digest-algo SHA256 -o "$out/aes128-sha256.gpg" "$plain"
gpg_sym "${fast[@]}" --cipher-algo CAST5 -o "$out/cast5.gpg" "$plain"

# --- AEAD (OCB), written with openpgp.js: gpg 2.2 cannot write it (gpg --version lists no AEAD) ---
(cd "$repo" && node --input-type=module - "$out") <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import * as openpgp from "openpgp";
import { readToEnd } from "@openpgp/web-stream-tools";
const [out] = process.argv.slice(2);
const plain = readFileSync(`${out}/instructions-ja.jsonl.gz`);
const passphrase = readFileSync(`${out}/passphrase.txt`, "utf8").split("\n")[0];
const { enums } = openpgp;
// 256-byte chunks (2^(2+6)) so the small plaintext spans several AEAD chunks.
const aead = { aeadProtect: true, preferredAEADAlgorithm: enums.aead.ocb, preferredSymmetricAlgorithm: enums.symmetric.aes256, aeadChunkSizeByte: 2 };

const message = await openpgp.createMessage({ binary: plain, filename: "instructions-ja.jsonl.gz", format: "binary" });
const v2 = await openpgp.encrypt({ message, passwords: passphrase, format: "binary", config: aead });
writeFileSync(`${out}/ocb-seipdv2.gpg`, v2);

// gpg >= 2.3 layout (draft-koch-librepgp): v5 SKESK with the AEAD-encrypted session key, then tag 20.
const config = { ...openpgp.config, ...aead };
const literal = new openpgp.LiteralDataPacket(new Date(0));
literal.setBytes(plain, enums.literal.binary);
literal.setFilename("instructions-ja.jsonl.gz");
const data = new openpgp.AEADEncryptedDataPacket();
data.aeadAlgorithm = enums.aead.ocb;
data.packets = new openpgp.PacketList();
data.packets.push(literal);
const sessionKey = randomBytes(32);
await data.encrypt(enums.symmetric.aes256, sessionKey, config);
const skesk = new openpgp.SymEncryptedSessionKeyPacket(config);
skesk.version = 5;
skesk.sessionKey = sessionKey;
skesk.sessionKeyAlgorithm = enums.symmetric.aes256;
skesk.sessionKeyEncryptionAlgorithm = enums.symmetric.aes256;
skesk.aeadAlgorithm = enums.aead.ocb;
await skesk.encrypt(passphrase, config);
const packets = new openpgp.PacketList();
packets.push(skesk, data);
writeFileSync(`${out}/ocb-librepgp.gpg`, await readToEnd(packets.write()));
EOF

# --- damaged copies ----------------------------------------------------------------------------------------
(cd "$repo" && node --input-type=module - "$out") <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
const [out] = process.argv.slice(2);
const good = readFileSync(`${out}/file-default.gpg`);
writeFileSync(`${out}/truncated.gpg`, good.subarray(0, Math.floor(good.length / 2)));
// Invert one byte half-way through: inside the encrypted body, far from the packet headers and from the
// CFB quick-check bytes at its start, so the key is accepted and the MDC catches the change.
for (const [from, to] of [["file-default.gpg", "flipped.gpg"], ["stdin-zip.gpg", "flipped-zip.gpg"]]) {
  const bytes = Buffer.from(readFileSync(`${out}/${from}`));
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  writeFileSync(`${out}/${to}`, bytes);
}
EOF

# --- check what gpg made ----------------------------------------------------------------------------------
for f in file-default stdin-zip stdin-zlib-sha512 stdin-bzip2 stdin-none aes128-sha256 cast5 ocb-librepgp; do
  gpg --batch --quiet --no-symkey-cache --pinentry-mode loopback --passphrase-file "$out/passphrase.txt" \
    --decrypt "$out/$f.gpg" 2>/dev/null | cmp -s - "$plain" || { echo "gpg cannot decrypt $f.gpg" >&2; exit 1; }
done
ls -l "$out"
du -cb "$out"/* | tail -1
