
/** What {@link ManifestMismatchError} found wrong with one file. */
export interface ManifestProblem {
  /** Path relative to the folder. */
  path: string;
  /** `outside`: the path is absolute, holds `..`, or resolves (symlinks included) outside the folder;
   * `undeclared`: a data shard of a config, split or format that the manifest's card settings do not list. */
  problem: "missing" | "unparsable" | "size" | "sha256" | "unlisted" | "outside" | "undeclared";
  /** Expected value from the manifest (size or hash), when there is one. */
  expected?: string;
  /** Value found on disk, when there is one. */
  actual?: string;
}

/**
 * A built folder whose files do not match its `manifest.json` (behaviour.md §7): publish refuses it. Lists
 * every problem; the message names the first and the count.
 */
export class ManifestMismatchError extends Error {
  override name = "ManifestMismatchError";
  constructor(
    readonly dir: string,
    readonly problems: ManifestProblem[],
    options?: { cause?: unknown },
  ) {
    const first = problems[0];
    const problem = first?.problem === "undeclared" ? "a shard of a config, split or format that the manifest's card settings do not declare" : first?.problem;
    const what = first
      ? `${first.path}: ${problem}${first.expected === undefined ? "" : ` (manifest ${first.expected}, found ${first.actual ?? "nothing"})`}`
      : "no problems";
    super(
      `${dir}: files do not match manifest.json: ${what}${problems.length > 1 ? ` and ${problems.length - 1} more` : ""}`,
      options,
    );
  }
}

/**
 * A resumed build (`lmsynth build --resume`) met other rows where it reused a shard of the interrupted run
 * (an input changed without changing its size and mtime, or a template file changed): the folder cannot be
 * completed from that run. The journal is deleted first, so the next run starts over.
 */
export class ResumeMismatchError extends Error {
  override name = "ResumeMismatchError";
  constructor(
    readonly partialDir: string,
    /** `<config>/<split>`. */
    readonly series: string,
    /** 0-based shard index in the series. */
    readonly index: number,
  ) {
    super(
      `${partialDir}: resume: ${series} shard ${index} does not hold the rows this run produced (did an input or template change?); ` +
        "its journal was discarded: run again to start over",
    );
  }
}
