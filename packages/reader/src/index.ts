/**
 * @file Everything lmsynth reads: content sniffing (gzip, OpenPGP, Parquet, JSONL), streaming gunzip and
 * decryption, Buffer line splitting, JSON parsing and schema validation with `file:line` errors.
 */
export { readRecords, parseLine } from "./read-records.js";
export { openInput, sniff, inputSize, CHUNK_BYTES } from "./open-input.js";
export { splitLines } from "./split-lines.js";
export { joinSources, emptyJoinCounts } from "./join-sources.js";
export { mapRecords } from "./map-records.js";
export { mapBlock } from "./map-block.js";
export { decryptStream, decryptFile, readPassphrase, isOpenPgp, readParquet, isParquet } from "./sources.js";

export type { LocatedRecord, RejectedLine, ReadRecordsOptions } from "./read-records.js";
export type { InputKind, OpenInputOptions } from "./open-input.js";
export type { JoinCounts, JoinSourcesOptions } from "./join-sources.js";
export type { MapRecordsOptions, MappedRecord } from "./map-records.js";
export type { RecordMapper, RecordMapperModule, BlockResult } from "./map-block.js";
export type {
  DecryptStreamOptions,
  DecryptFileOptions,
  DecryptedFile,
  ReadPassphraseOptions,
  ReadParquetOptions,
  ParquetCounts,
} from "./sources.js";
