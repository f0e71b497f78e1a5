/**
 * A row whose value does not fit its column (a converter bug, not bad input): names the column, the
 * 0-based row number within the sink, what was expected and what was there.
 */
export class RowTypeError extends Error {
  override name = "RowTypeError";
  constructor(
    readonly column: string,
    readonly row: number,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`row ${row}: \`${column}\`: expected ${expected}, got ${got}`);
  }
}
