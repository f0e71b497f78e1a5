/**
 * The non-JSONL sources: OpenPGP-encrypted files (decryption, passphrase, sniffing) and the original
 * LMSYS-Chat-1M Parquet shards. Re-exported by index.ts.
 */
export { decryptStream, decryptFile, readPassphrase, isOpenPgp } from "./decrypt.js";
export { readParquet, isParquet } from "./read-parquet.js";

export type { DecryptStreamOptions, DecryptFileOptions, DecryptedFile, ReadPassphraseOptions } from "./decrypt.js";
export type { ReadParquetOptions, ParquetCounts } from "./read-parquet.js";
