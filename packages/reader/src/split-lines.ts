/** 256 MiB: the longest line read by default; real records are under 1 MiB, so more is broken input. */
export const DEFAULT_MAX_LINE_BYTES = 256 * 1024 * 1024;

/**
 * A line grew past the cap before its `\n` arrived. Carries no place: the reader that counts lines turns it
 * into an `InputError` naming file and line.
 */
export class LineTooLongError extends Error {
  override name = "LineTooLongError";
  constructor(readonly maxLineBytes: number) {
    super(`line longer than ${maxLineBytes} bytes (raise the cap with --max-line-bytes)`);
  }
}

/**
 * The unfinished line at the end of the chunks seen so far, kept as a list of pieces so that a long line
 * costs linear time (concatenating on every chunk made `/dev/zero` quadratic), and capped.
 */
class PendingLine {
  private parts: Buffer[] = [];
  length = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Keeps a copy of `piece` (its buffer may be reused by the stream). @throws LineTooLongError */
  add(piece: Buffer): void {
    if (piece.length === 0) return;
    this.length += piece.length;
    if (this.length > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
    this.parts.push(Buffer.from(piece));
  }

  /** The pending bytes followed by `tail`, as one buffer; empties the line. */
  take(tail?: Buffer): Buffer {
    if (tail) this.parts.push(tail);
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.length = 0;
    return out;
  }
}

/**
 * Splits a byte stream into lines on `\n`, yielding one array of lines per input chunk (a per-line yield
 * costs more than the split itself). Lines are Buffer views without the `\n`; a `\r` before it is kept
 * (JSON treats it as white space). A last line without `\n` is yielded too. Memory: one chunk plus the
 * unfinished line, which may grow to `maxLineBytes` (then `LineTooLongError` is thrown).
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<Buffer[]> {
  const rest = new PendingLine(maxLineBytes);
  for await (const chunk of chunks) {
    const lines: Buffer[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    if (nl !== -1 && rest.length > 0) {
      if (rest.length + nl > maxLineBytes) throw new LineTooLongError(maxLineBytes);
      lines.push(rest.take(chunk.subarray(0, nl)));
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    while (nl !== -1) {
      if (nl - start > maxLineBytes) throw new LineTooLongError(maxLineBytes);
      lines.push(chunk.subarray(start, nl));
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) rest.add(chunk.subarray(start));
    if (lines.length > 0) yield lines;
  }
  if (rest.length > 0) yield [rest.take()];
}
