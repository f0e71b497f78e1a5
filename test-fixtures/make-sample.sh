#!/usr/bin/env bash
# Encrypts the bundled sample's Japanese instructions the way the dataset ships them: gpg --symmetric
# (gpg 2.2 defaults: AES-256, CFB with MDC) with the passphrase in sample/passphrase.txt. The plaintext
# comes from generate.mjs and never touches the disk. OpenPGP output is salted, so rerunning changes
# the bytes but not the plaintext.
set -euo pipefail
cd "$(dirname "$0")"
export GNUPGHOME="$(mktemp -d)"
trap 'rm -rf "$GNUPGHOME"' EXIT
printf 'swallow-sample\n' > sample/passphrase.txt
node generate.mjs --sample-instructions |
  gpg --batch --yes --pinentry-mode loopback --passphrase-file sample/passphrase.txt \
    --symmetric --cipher-algo AES256 -o sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg
echo "wrote sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg"
