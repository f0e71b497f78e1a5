import { z } from "zod";

/** One chat turn. `role` is open-ended on input (system/user/assistant in practice). */
export const MessageSchema = z.looseObject({
  role: z.string(),
  content: z.string(),
});
/**
 * Where rows keep a response's reasoning trace (`--reasoning-key`): `reasoning_content` (Qwen3 / DeepSeek
 * templates, vLLM before its rename), `thinking` (gpt-oss / Harmony templates), or `both` under the two keys
 * (the Swallow team's generator writes the same text under both).
 */
export const REASONING_KEYS = ["reasoning_content", "thinking", "both"] as const;
export type ReasoningKey = (typeof REASONING_KEYS)[number];

/** The message fields a trace is written to. */
export const TRACE_FIELDS = ["reasoning_content", "thinking"] as const;
export type TraceField = (typeof TRACE_FIELDS)[number];

/** The keys a response's trace is read from, as producers name it: vLLM before and after its rename,
 * Ollama and OpenAI's gpt-oss guidance, Harmony templates. */
export const TRACE_INPUT_KEYS = ["reasoning_content", "reasoning", "thinking"] as const;

/** The fields `key` writes a trace to. */
export function traceFields(key: ReasoningKey): readonly TraceField[] {
  return key === "both" ? TRACE_FIELDS : [key];
}

/** A chat message as rows hold it; with traces kept, every message carries the trace fields. */
export type Message = { role: string; content: string } & Partial<Record<TraceField, string>>;

/**
 * `message` with the trace fields of `key` set to `trace`, or to `""` when it has none (a user or system
 * turn, a response without a trace): never null, since TRL v1 passes `None` on to chat templates, and
 * gpt-oss's evaluates `"…" in message.thinking`. Without `key`, `message` itself.
 */
export function traced(message: Message, trace: string | undefined, key: ReasoningKey | undefined): Message {
  if (!key) return message;
  const out: Message = { ...message };
  for (const field of traceFields(key)) out[field] = trace ?? "";
  return out;
}

/** A string trace of a response under any of {@link TRACE_INPUT_KEYS}, or undefined. */
export function traceOf(response: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of TRACE_INPUT_KEYS) {
    const value = response[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}

const trace = z.string().nullish();

/**
 * One synthesized assistant response. Its `content` is read as text only when it is a string: a reasoning
 * model may give none (`null`), and such a response must be an unusable candidate, not an invalid record. A
 * trace under any known key is a string or null; the same trace under two keys is one, two different ones
 * are an invalid record.
 */
export const ResponseSchema = z
  .looseObject({
    role: z.string(),
    content: z.unknown(),
    reasoning_content: trace,
    reasoning: trace,
    thinking: trace,
  })
  .check((ctx) => {
    const value = ctx.value as Record<string, unknown>;
    // Most responses have one trace key or none: nothing to compare, and no array made (this runs per response).
    if ((typeof value.reasoning_content === "string" ? 1 : 0) + (typeof value.reasoning === "string" ? 1 : 0) + (typeof value.thinking === "string" ? 1 : 0) < 2) return;
    const [first, ...rest] = TRACE_INPUT_KEYS.filter((k) => typeof value[k] === "string");
    const other = rest.find((k) => value[k] !== value[first!]);
    if (other) ctx.issues.push({ code: "custom", input: value, path: [other], message: `is another trace than \`${first}\` holds: one response has one trace` });
  });
export type Response = z.infer<typeof ResponseSchema>;

/** ShareGPT speaker names (LLaMA-Factory's default tags) of the chat roles. */
const SHAREGPT_FROM: Readonly<Record<string, string>> = { system: "system", user: "human", assistant: "gpt" };

const SHAREGPT_ROLE: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(SHAREGPT_FROM).map(([role, from]) => [from, role]));

/**
 * A ShareGPT turn (`{from, value}`) from a message. LLaMA-Factory's format has no reasoning field: a trace goes
 * inline, `<think>{trace}</think>{content}`, as its documentation writes it; an empty one is left out.
 */
export function toShareGptTurn({ role, content, reasoning_content, thinking }: Message): Record<string, unknown> {
  const trace = reasoning_content || thinking;
  return { from: SHAREGPT_FROM[role] ?? role, value: trace ? `<think>${trace}</think>${content}` : content };
}

/** The message of a ShareGPT turn (an inline trace stays in its content, as LLaMA-Factory reads it). */
export function fromShareGptTurn({ from, value, ...rest }: { from: string; value: string } & Record<string, unknown>): Message {
  return { role: SHAREGPT_ROLE[from] ?? from, content: value, ...rest };
}
