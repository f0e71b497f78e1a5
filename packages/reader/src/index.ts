/**
 * @file Everything lmsynth reads: content sniffing (gzip, OpenPGP, Parquet, JSONL), streaming gunzip and
 * decryption, Buffer line splitting, JSON parsing and schema validation with `file:line` errors, the
 * three-source join, and mapping records in worker threads. The only package that opens input files.
 */
export { readRecords, parseLine } from "./read-records.js";
export { openInput, peekFirstLine, sniff, inputSize, CHUNK_BYTES } from "./open-input.js";
export { openWorkerPool } from "./worker-pool.js";
export { DEFAULT_MAX_LINE_BYTES, splitLines } from "./split-lines.js";
export { joinSources, emptyJoinCounts } from "./join-sources.js";
export { UniqueIds } from "./unique-ids.js";
export { mapRecords } from "./map-records.js";
export { mapJoinedSources } from "./map-joined.js";
export { mapBlock } from "./map-block.js";
export { decryptStream, decryptFile } from "./decrypt.js";
export { readPassphrase } from "./read-passphrase.js";
export { isOpenPgp } from "./openpgp-sniff.js";
export { readParquet, isParquet } from "./read-parquet.js";
export { readIdList } from "./read-id-list.js";

export type { LocatedRecord, RejectedLine, ReadRecordsOptions } from "./read-records.js";
export type { InputKind, OpenInputOptions, OpenedInput } from "./open-input.js";
export type { TaskModule, TaskSpecs, WorkerPool, WorkerPoolOptions } from "./worker-pool.js";
export type { JoinCounts, JoinSourcesOptions } from "./join-sources.js";
export type { MapRecordsOptions, MappedRecord } from "./map-records.js";
export type { MapJoinedOptions } from "./map-joined.js";
export type { RecordMapper, RecordMapperModule, BlockResult, IdFilter } from "./map-block.js";
export type { DecryptStreamOptions, DecryptFileOptions, DecryptedFile } from "./decrypt.js";
export type { ReadPassphraseOptions } from "./read-passphrase.js";
export type { ReadParquetOptions, ParquetCounts } from "./read-parquet.js";
export type { IdList, IdListFile } from "./read-id-list.js";
