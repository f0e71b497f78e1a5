import { createHash, type Hash } from "node:crypto";
import { OptionError, conversationIdIn, variantEvidence, variantOfEvidence, type MergedRecord, type Variant } from "@lmsynth/schema";
import type { ConvertInit, ConvertOut } from "./convert-record.js";
import {
  DEFAULT_MAX_LINE_BYTES,
  decryptStream,
  emptyJoinCounts,
  inputSize,
  joinSources,
  mapJoinedSources,
  mapRecords,
  peekFirstLine,
  readPassphrase,
  readRecords,
  type JoinCounts,
  type LocatedRecord,
  type MappedRecord,
  type MapRecordsOptions,
  type OpenedInput,
  type ReadRecordsOptions,
  type RejectedLine,
} from "@lmsynth/reader";
import { describeInputFile } from "@lmsynth/hub-folder";
import { openJsonlSink, type RowSink } from "@lmsynth/sinks";

/** Records of the command's inputs, with what progress and the summary need. */
export interface RecordSource {
  records: AsyncIterable<LocatedRecord>;
  /**
   * The records converted per `init` in `threads` worker threads, in input order (joined sources are
   * joined in this thread and merged in the workers). Iterate either this or `records`, once.
   */
  map(init: ConvertInit, threads: number, initFor?: MapRecordsOptions<ConvertInit>["initFor"]): AsyncIterable<MappedRecord<ConvertOut>>;
  /** Compressed bytes read so far. */
  read: { bytesRead: number };
  /** Sum of input sizes, when all are files. */
  totalBytes: number | undefined;
  /** Rejected lines so far. */
  rejected: () => number;
  /** The first rejected lines as `file:line: detail`. */
  rejectedExamples: string[];
  /** Variant given by `--variant` or detected from the records seen. */
  variant: () => Variant | undefined;
  /** The variant given by the caller, undefined when it is to be detected. */
  variantGiven: Variant | undefined;
  /** The variant given, else the first record's (read through the stream the run reads on from, so that it
   * works for stdin and encrypted inputs): what fixes the columns before the first row. Call before reading. */
  firstVariant(): Promise<Variant | undefined>;
  /**
   * Every input file in command-line order, with its size and sha256: hashed as it was read, or read
   * again now for inputs read by random access (Parquet shards).
   */
  inputFiles(): Promise<Array<{ path: string; bytes: number; sha256: string }>>;
  /** Counts of the join, when `--synth` sources were joined on the fly. */
  join: JoinCounts | undefined;
  /** True for a record of the deletion list (`excludeIds`). `records` leaves them out itself; a converting
   * caller of `map` withholds their rows. */
  excluded(id: string): boolean;
  /** True when a deletion list was given (even one that matches nothing here). */
  excluding: boolean;
  /** Records `records` left out as listed in `excludeIds`, and rejected lines of listed conversations (not
   * counted as rejected, and not written to `rejected`). */
  deleted(): number;
  /** Commits the rejected-lines file (if any) after a successful run. */
  close(): Promise<void>;
  /** Removes the rejected-lines file of a failed run. */
  abort(): Promise<void>;
}

const MAX_EXAMPLES = 10;

/** Where skipped lines go: a path, or a sink opened on the first one (e.g. inside a dataset folder). */
export type RejectedTarget = string | (() => Promise<RowSink<RejectedLine>>) | undefined;

/** What to read and how (the input flags of every converting command, as data). */
export interface RecordSourceOptions {
  /** Merged inputs (`-` is stdin); or leave empty and give `synth`. */
  files?: readonly string[];
  /** Synth file(s) to join on the fly with `instructions` and `lmsys` (input-format.md §4). */
  synth?: readonly string[];
  instructions?: readonly string[];
  lmsys?: readonly string[];
  /** Append LMSYS records without synth data, in LMSYS order. Default false. */
  keepUnmatched?: boolean;
  /** The LMSYS Parquet export filter. Default: Japanese and English, flagged conversations dropped. */
  lmsysFilter?: { languages: readonly string[] | "all"; dropFlagged: boolean };
  /** The variant, instead of detecting it from the records. */
  variant?: Variant;
  /** Where the passphrase of OpenPGP inputs is read: a file, else `env.LMSYNTH_PASSPHRASE`. */
  passphraseFile?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Read for `-`. Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream;
  /** Aborts reading, in every phase; the iteration throws its reason. */
  signal?: AbortSignal;
  /** `fail` (default): a bad line stops the run. `skip`: it goes to `rejected` and is counted. */
  onInvalid?: "fail" | "skip";
  /** Where skipped lines go; undefined: only counted. */
  rejected?: RejectedTarget;
  /** Longest line accepted, in bytes. Default 256 MiB. */
  maxLineBytes?: number;
  /** Conversations under a deletion request (`--exclude-ids`): they reach no output. */
  excludeIds?: ReadonlySet<string>;
}

/**
 * Opens merged inputs, or the three sources to join, for reading records, with `onInvalid` and `rejected`.
 * @throws OptionError when both or neither kinds of input are given.
 */
export async function openRecordSource(options: RecordSourceOptions): Promise<RecordSource> {
  const files = options.files ?? [];
  const synth = options.synth && options.synth.length > 0 ? options.synth : undefined;
  const instructions = options.instructions ?? [];
  const lmsys = options.lmsys ?? [];
  if (synth && files.length > 0) throw new OptionError("give either a merged input or --synth (with --instructions/--lmsys), not both");
  if (!synth && (instructions.length > 0 || lmsys.length > 0)) throw new OptionError("--instructions and --lmsys are joined to --synth: give --synth too");
  if (!synth && files.length === 0) throw new OptionError("no input: give a merged file (or - for stdin), or --synth with --instructions/--lmsys");
  const inputs = synth ? [...synth, ...instructions, ...lmsys] : files;
  let totalBytes: number | undefined = 0;
  for (const p of inputs) {
    const size = await inputSize(p);
    totalBytes = size === undefined || totalBytes === undefined ? undefined : totalBytes + size;
  }
  const read = { bytesRead: 0 };
  const skip = options.onInvalid === "skip";
  let rejectedSink: RowSink<RejectedLine> | undefined;
  let rejected = 0;
  const rejectedExamples: string[] = [];
  const target = options.rejected;
  const openRejected = typeof target === "string" ? () => openJsonlSink<RejectedLine>(target) : target;
  const hashes = new Map<string, { hash: Hash; bytes: number }>();
  let evidence = 0;
  let passphrase: Promise<string> | undefined;
  const exclude = options.excludeIds;
  let deleted = 0;
  // The first input, once peeked at (`firstVariant`), is read on from the same stream.
  const opened = new Map<string, OpenedInput>();
  const readOptions: ReadRecordsOptions = {
    ...(options.stdin ? { stdin: options.stdin } : {}),
    opened,
    onRawChunk(file, chunk) {
      let h = hashes.get(file);
      if (!h) hashes.set(file, (h = { hash: createHash("sha256"), bytes: 0 }));
      h.hash.update(chunk);
      h.bytes += chunk.length;
    },
    // The passphrase is asked for only when an input turns out to be encrypted.
    decrypt: async function* (chunks, file) {
      passphrase ??= readPassphrase({ ...(options.passphraseFile ? { passphraseFile: options.passphraseFile } : {}), env: options.env ?? process.env });
      yield* decryptStream(chunks, { passphrase: await passphrase, file });
    },
    progress: read,
    // Ctrl-C stops reading even in phases that yield no record (the join's LMSYS spool).
    ...(options.signal ? { signal: options.signal } : {}),
    onInvalid: skip ? "skip" : "fail",
    ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
    onRejected: async (r) => {
      // A line of a listed conversation goes nowhere, not even to the rejected lines: its text is what the
      // deletion request is about.
      const id = exclude && conversationIdIn(r.text);
      if (id && exclude.has(id)) {
        deleted++;
        return;
      }
      rejected++;
      if (rejectedExamples.length < MAX_EXAMPLES) rejectedExamples.push(`${r.file}:${r.line}: ${r.detail}`);
      if (openRejected === undefined) return;
      rejectedSink ??= await openRejected();
      await rejectedSink.write(r);
    },
  };
  const join = synth ? emptyJoinCounts() : undefined;
  const joinOptions = synth && {
    ...readOptions,
    synth,
    instructions,
    lmsys,
    keepUnmatched: options.keepUnmatched === true,
    ...(options.lmsysFilter ? { lmsysFilter: options.lmsysFilter } : {}),
    counts: join!,
  };
  const inner = joinOptions ? joinSources(joinOptions) : readRecords(files, readOptions);
  async function* records(): AsyncGenerator<LocatedRecord> {
    for await (const r of inner) {
      options.signal?.throwIfAborted();
      evidence |= variantEvidence(r.record);
      if (exclude?.has(r.record.conversation_id)) {
        deleted++;
        continue;
      }
      yield r;
    }
  }
  const closeUnread = async (): Promise<void> => {
    for (const input of opened.values()) await input.close?.();
    opened.clear();
  };
  // The worker threads load the converter from this package by URL: it is the one module they run.
  const mapperUrl = new URL("./convert-record.js", import.meta.url).href;
  function map(init: ConvertInit, threads: number, initFor?: MapRecordsOptions<ConvertInit>["initFor"]): AsyncIterable<MappedRecord<ConvertOut>> {
    const mapping = { mapper: mapperUrl, init, threads, ...(initFor ? { initFor } : {}) };
    // A conversion reads few LMSYS fields: the join spools (and reads from Parquet) only those.
    if (joinOptions) return mapJoinedSources<ConvertInit, ConvertOut>({ ...joinOptions, ...mapping, lmsysPart: "converted" });
    return mapRecords<ConvertInit, ConvertOut>(files, { ...readOptions, ...mapping });
  }
  return {
    records: records(),
    map,
    read,
    totalBytes,
    rejected: () => rejected,
    rejectedExamples,
    join,
    excluded: (id) => exclude?.has(id) === true,
    excluding: exclude !== undefined,
    deleted: () => deleted,
    async inputFiles() {
      const out = [];
      for (const path of inputs.filter((p) => p !== "-" || hashes.has(p))) {
        const h = hashes.get(path);
        out.push(h ? { path, bytes: h.bytes, sha256: h.hash.copy().digest("hex") } : await describeInputFile(path));
      }
      return out;
    },
    variant: () => options.variant ?? variantOfEvidence(evidence),
    variantGiven: options.variant,
    async firstVariant() {
      if (options.variant) return options.variant;
      const first = synth?.[0] ?? files[0]!;
      const line = await peekFirstLine(first, { ...readOptions, opened, maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES });
      try {
        return variantOfEvidence(variantEvidence(JSON.parse(line ?? "") as MergedRecord));
      } catch {
        // Not a record: the read reports it at its line.
        return undefined;
      }
    },
    async close() {
      await closeUnread();
      await rejectedSink?.close();
    },
    async abort() {
      await closeUnread();
      await rejectedSink?.abort();
    },
  };
}
