/** A command line that cannot run as given: a bad flag, a missing argument. Exit code 1 (`exitCodeOf`). */
export class UsageError extends Error {
  override name = "UsageError";
}
