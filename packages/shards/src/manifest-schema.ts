import { z } from "zod";
import { printable } from "@lmsynth/schema";
import { OUTPUT_FORMATS } from "@lmsynth/sinks";
import type { DatasetManifest } from "./dataset-manifest.js";
import type { SplitName } from "./split-of.js";

const SPLITS = ["train", "test"] as const satisfies readonly SplitName[];

const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits (sha256)");
const file = z.looseObject({ path: z.string().min(1), rows: count, bytes: count, sha256 });
const counts = z.record(z.string(), count.optional());

/**
 * What a `manifest.json` must hold for lmsynth to act on it: every field a command reads, typed. Fields this
 * version does not know (a newer lmsynth's) are kept; the card settings, encoding settings and raw
 * statistics are checked where they are used.
 */
const MANIFEST_SCHEMA = z.looseObject({
  tool: z.string(),
  version: z.string(),
  command: z.string(),
  options: z.record(z.string(), z.unknown()),
  inputs: z.array(z.looseObject({ path: z.string(), bytes: count, sha256 })),
  files: z.array(file),
  counts: z.looseObject({
    records: count,
    rows: z.record(z.string(), counts),
    funnel: z.record(z.string(), counts),
    languages: z.record(z.string(), counts).optional(),
  }),
  card: z.looseObject({ configs: z.array(z.string()), formats: z.array(z.enum(OUTPUT_FORMATS)), splits: z.array(z.enum(SPLITS)) }).optional(),
  shards: z.looseObject({}).optional(),
  stats: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The manifest in `text`, validated.
 * @throws Error naming the first field that is not what a manifest of lmsynth's holds (or the JSON error).
 */
export function parseManifest(text: string): DatasetManifest {
  const parsed = MANIFEST_SCHEMA.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.map(String).join(".") || "the manifest"}: ${printable(issue.message, 200)}`);
  }
  // The schema checks what commands read; the rest of the settings are checked where they are used.
  return parsed.data as unknown as DatasetManifest;
}
