/**
 * A chat template could not render: unreadable or invalid template file, a template that raised
 * (`raise_exception`), or a conversation the template cannot express (Gemma 2 and a system message).
 * Prints as `template <name>[, conversation_id <id>]: <detail>`. Exit code 2 at the CLI.
 */
export class TemplateError extends Error {
  override name = "TemplateError";
  constructor(
    /** Built-in name (`gemma-2`) or the path the template was read from. */
    readonly template: string,
    /** The record being rendered; undefined when the template itself is at fault (reading, parsing). */
    readonly conversationId: string | undefined,
    /** What went wrong; for a raising template, its own message verbatim. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `template ${template}${conversationId === undefined ? "" : `, conversation_id ${conversationId}`}: ${detail}`,
      options,
    );
  }
}

/**
 * Thrown inside a renderer (or by a template's `raise_exception`) with only the reason; the renderer's
 * `render` turns it into a `TemplateError` naming the template and the record. Internal.
 */
export class RenderFailure extends Error {
  override name = "RenderFailure";
}
