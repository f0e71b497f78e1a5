import type { MergedRecord } from "@lmsynth/schema";

/** A validated record and where it came from (1-based line; a Parquet row number for LMSYS shards). */
export interface LocatedRecord {
  record: MergedRecord;
  file: string;
  line: number;
}
