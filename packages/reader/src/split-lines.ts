/**
 * Splits a byte stream into lines on `\n`, yielding one array of lines per input chunk (a per-line yield
 * costs more than the split itself). Lines are Buffer views without the `\n`; a `\r` before it is kept
 * (JSON treats it as white space). A last line without `\n` is yielded too. Memory: one chunk plus the
 * unfinished line.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  let rest: Buffer | undefined;
  for await (const chunk of chunks) {
    const lines: Buffer[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    if (nl !== -1 && rest) {
      lines.push(Buffer.concat([rest, chunk.subarray(0, nl)]));
      rest = undefined;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    while (nl !== -1) {
      lines.push(chunk.subarray(start, nl));
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const tail = chunk.subarray(start);
      // Copy: the tail must outlive a chunk buffer that a stream may reuse.
      rest = rest ? Buffer.concat([rest, tail]) : Buffer.from(tail);
    }
    if (lines.length > 0) yield lines;
  }
  if (rest && rest.length > 0) yield [rest];
}
