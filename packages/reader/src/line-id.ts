// Reading a line's `conversation_id` before (and often instead of) parsing the line.
const ID_KEY = Buffer.from('"conversation_id"');
const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0d;

/**
 * The `conversation_id` of a record line, read without parsing it when it is the first key, as the published
 * files have it; else from a full parse. Undefined when the line has none (the worker then refuses the line).
 */
export function lineIdOf(text: Buffer): string | undefined {
  let i = 0;
  const skip = () => {
    while (isSpace(text[i])) i++;
  };
  skip();
  if (text[i] === 0x7b) {
    i++;
    skip();
    if (text.subarray(i, i + ID_KEY.length).equals(ID_KEY)) {
      i += ID_KEY.length;
      skip();
      if (text[i++] === 0x3a) {
        skip();
        const end = text.indexOf(0x22, i + 1);
        const value = text.subarray(i + 1, end);
        if (text[i] === 0x22 && end !== -1 && !value.includes(0x5c)) return value.toString("utf8");
      }
    }
  }
  try {
    const id = (JSON.parse(text.toString("utf8")) as { conversation_id?: unknown } | null)?.conversation_id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
