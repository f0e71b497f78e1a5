import { OptionError } from "@lmsynth/schema";

/**
 * Parses `--template-arg key=value` values into template variables. The value is JSON when it parses as
 * JSON (`true`, `false`, `null`, numbers, `"quoted"` strings, arrays, objects), so `enable_thinking=false` is a
 * boolean, and otherwise the raw text (`date_string=26 Jul 2024`). The key must be a Jinja identifier; a
 * repeated key keeps its last value. Throws `OptionError` for an argument without `=` or a bad key.
 */
export function parseTemplateArgs(args: readonly string[]): Record<string, unknown> {
  const entries = new Map<string, unknown>();
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const key = eq < 0 ? arg : arg.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new OptionError(`--template-arg ${JSON.stringify(arg)}: expected key=value with key a Jinja identifier`);
    }
    const raw = arg.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: the raw text is the value.
    }
    entries.set(key, value);
  }
  // fromEntries defines properties, so even a key like __proto__ stays a plain variable.
  return Object.fromEntries(entries);
}
