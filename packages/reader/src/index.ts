/**
 * @file Everything lmsynth reads: content sniffing (gzip, OpenPGP, Parquet, JSONL), streaming gunzip and
 * decryption, Buffer line splitting, JSON parsing and schema validation with `file:line` errors.
 */
export { readRecords, parseLine } from "./read-records.js";
export { openInput, sniff, inputSize, CHUNK_BYTES } from "./open-input.js";
export { splitLines } from "./split-lines.js";

export type { LocatedRecord, RejectedLine, ReadRecordsOptions } from "./read-records.js";
export type { InputKind, OpenInputOptions } from "./open-input.js";
