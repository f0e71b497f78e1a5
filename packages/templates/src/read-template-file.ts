import { readFile } from "node:fs/promises";
import { TemplateError } from "./template-error.js";

/**
 * The text of a template or config file, UTF-8, or undefined when `optional` and the file does not exist.
 * The only file access of this package (config reading for `resolveTemplate`); throws `TemplateError`
 * naming the path when the file cannot be read.
 */
export async function readTemplateFile(path: string, optional = false): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TemplateError(path, undefined, `cannot read the file: ${(e as Error).message}`, { cause: e });
  }
}
