const ID_FIELD = /"conversation_id"\s*:\s*("(?:[^"\\]|\\.)*")/;

/**
 * The `conversation_id` a raw input line names, found without parsing the line: the first
 * `"conversation_id": "…"` in it. For lines that are not valid records (set aside as rejected), so that a
 * deletion request reaches their text too. Undefined when there is none.
 */
export function conversationIdIn(text: string): string | undefined {
  const m = ID_FIELD.exec(text);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as string;
  } catch {
    return undefined;
  }
}
