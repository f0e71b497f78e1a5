import { createHash, type Hash } from "node:crypto";
import { UsageError, variantEvidence, variantOfEvidence, type Variant } from "@lmsynth/schema";
import { createMapper, type ConvertInit, type ConvertOut } from "./convert-mapper.js";
import {
  decryptStream,
  emptyJoinCounts,
  inputSize,
  joinSources,
  mapRecords,
  readPassphrase,
  readRecords,
  type JoinCounts,
  type LocatedRecord,
  type MappedRecord,
  type ReadRecordsOptions,
  type RejectedLine,
} from "@lmsynth/reader";
import { describeInputFile, openJsonlSink, type RowSink } from "@lmsynth/shards";
import type { CliIo } from "./io.js";
import type { ParsedValue } from "./option-table.js";

/** Records of the command's inputs, with what progress and the summary need. */
export interface RecordSource {
  records: AsyncIterable<LocatedRecord>;
  /**
   * The records converted per `init`, in input order: in `threads` worker threads for files, in this
   * thread for joined sources (the join's indexes live here). Iterate either this or `records`, once.
   */
  map(init: ConvertInit, threads: number): AsyncIterable<MappedRecord<ConvertOut>>;
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
  /**
   * Every input file in command-line order, with its size and sha256: hashed as it was read, or read
   * again now for inputs read by random access (Parquet shards).
   */
  inputFiles(): Promise<Array<{ path: string; bytes: number; sha256: string }>>;
  /** Counts of the join, when `--synth` sources were joined on the fly. */
  join: JoinCounts | undefined;
  /** Commits the rejected-lines file (if any) after a successful run. */
  close(): Promise<void>;
  /** Removes the rejected-lines file of a failed run. */
  abort(): Promise<void>;
}

const MAX_EXAMPLES = 10;

/** Every file a converting command reads: no output may be, or contain, one of them. */
export function inputPathsOf(positionals: readonly string[], opts: Record<string, ParsedValue | undefined>): string[] {
  const lists = [opts.synth, opts.instructions, opts.lmsys].flatMap((v) => (Array.isArray(v) ? v : []));
  const single = [opts["passphrase-file"], opts.config].filter((v): v is string => typeof v === "string");
  return [...positionals, ...lists, ...single];
}

/** Where skipped lines go: a path, or a sink opened on the first one (e.g. inside a dataset folder). */
export type RejectedTarget = string | (() => Promise<RowSink<RejectedLine>>) | undefined;

/**
 * Opens the inputs named on the command line for reading records, with `--on-invalid` and `--rejected`.
 * Skipped lines go to `--rejected`, else to `defaultRejected`; with neither, they are only counted.
 */
export async function openRecordSource(
  files: string[],
  opts: Record<string, ParsedValue | undefined>,
  io: CliIo,
  defaultRejected: RejectedTarget,
): Promise<RecordSource> {
  const synth = opts.synth as string[] | undefined;
  const instructions = (opts.instructions as string[] | undefined) ?? [];
  const lmsys = (opts.lmsys as string[] | undefined) ?? [];
  if (synth && files.length > 0) throw new UsageError("give either a merged input or --synth (with --instructions/--lmsys), not both");
  if (!synth && (instructions.length > 0 || lmsys.length > 0)) throw new UsageError("--instructions and --lmsys are joined to --synth: give --synth too");
  if (!synth && files.length === 0) throw new UsageError("no input: give a merged file (or - for stdin), or --synth with --instructions/--lmsys");
  const inputs = synth ? [...synth, ...instructions, ...lmsys] : files;
  let totalBytes: number | undefined = 0;
  for (const p of inputs) {
    const size = await inputSize(p);
    totalBytes = size === undefined || totalBytes === undefined ? undefined : totalBytes + size;
  }
  const read = { bytesRead: 0 };
  const skip = opts["on-invalid"] === "skip";
  let rejectedSink: RowSink<RejectedLine> | undefined;
  let rejected = 0;
  const rejectedExamples: string[] = [];
  const target: RejectedTarget = (opts.rejected as string | undefined) ?? defaultRejected;
  const openRejected = typeof target === "string" ? () => openJsonlSink<RejectedLine>(target) : target;
  const hashes = new Map<string, { hash: Hash; bytes: number }>();
  let evidence = 0;
  let passphrase: Promise<string> | undefined;
  const readOptions: ReadRecordsOptions = {
    stdin: io.stdin,
    onRawChunk(file, chunk) {
      let h = hashes.get(file);
      if (!h) hashes.set(file, (h = { hash: createHash("sha256"), bytes: 0 }));
      h.hash.update(chunk);
      h.bytes += chunk.length;
    },
    // The passphrase is asked for only when an input turns out to be encrypted.
    decrypt: async function* (chunks, file) {
      passphrase ??= readPassphrase({ ...(opts["passphrase-file"] ? { passphraseFile: opts["passphrase-file"] as string } : {}), env: io.env });
      yield* decryptStream(chunks, { passphrase: await passphrase, file });
    },
    progress: read,
    // Ctrl-C stops reading even in phases that yield no record (the join's LMSYS spool).
    ...(io.signal ? { signal: io.signal } : {}),
    onInvalid: skip ? "skip" : "fail",
    ...(typeof opts["max-line-bytes"] === "number" ? { maxLineBytes: opts["max-line-bytes"] } : {}),
    onRejected: async (r) => {
      rejected++;
      if (rejectedExamples.length < MAX_EXAMPLES) rejectedExamples.push(`${r.file}:${r.line}: ${r.detail}`);
      if (openRejected === undefined) return;
      rejectedSink ??= await openRejected();
      await rejectedSink.write(r);
    },
  };
  const join = synth ? emptyJoinCounts() : undefined;
  const inner = synth
    ? joinSources({
        ...readOptions,
        synth,
        instructions,
        lmsys,
        keepUnmatched: opts["keep-unmatched"] === true,
        lmsysFilter: {
          languages: opts.languages === "all" ? "all" : String(opts.languages ?? "Japanese,English").split(",").map((l) => l.trim()),
          dropFlagged: opts["drop-flagged"] !== false,
        },
        counts: join!,
      })
    : readRecords(files, readOptions);
  async function* records(): AsyncGenerator<LocatedRecord> {
    for await (const r of inner) {
      io.signal?.throwIfAborted();
      evidence |= variantEvidence(r.record);
      yield r;
    }
  }
  const mapperUrl = new URL("./convert-mapper.js", import.meta.url).href;
  async function* map(init: ConvertInit, threads: number): AsyncGenerator<MappedRecord<ConvertOut>> {
    if (synth) {
      const mapper = await createMapper(init);
      for await (const r of inner) yield { file: r.file, line: r.line, out: mapper(r.record) };
      return;
    }
    yield* mapRecords<ConvertInit, ConvertOut>(files, { ...readOptions, mapper: mapperUrl, init, threads });
  }
  return {
    records: records(),
    map,
    read,
    totalBytes,
    rejected: () => rejected,
    rejectedExamples,
    join,
    async inputFiles() {
      const out = [];
      for (const path of inputs.filter((p) => p !== "-" || hashes.has(p))) {
        const h = hashes.get(path);
        out.push(h ? { path, bytes: h.bytes, sha256: h.hash.copy().digest("hex") } : await describeInputFile(path));
      }
      return out;
    },
    variant: () => (opts.variant as Variant | undefined) ?? variantOfEvidence(evidence),
    async close() {
      await rejectedSink?.close();
    },
    async abort() {
      await rejectedSink?.abort();
    },
  };
}
