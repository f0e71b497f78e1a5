import { LANGUAGE_FIELDS, traceOf, traced, type Annotation, type Lang, type MergedRecord, type Message, type ReasoningKey } from "@lmsynth/schema";

/** One synthesized response with its judge annotation, as read from a record. */
export interface Candidate {
  /** Position in the record's response list. */
  index: number;
  /** The response text; null when its `content` is not a string (null: a reasoning model gave no answer). */
  content: string | null;
  /** The response's reasoning trace (GPT-OSS), when it is a string under any key of `TRACE_INPUT_KEYS`. */
  reasoning?: string;
  /** Judge score, or undefined when the record has no usable annotations for this response. */
  score: number | undefined;
  /** `repetition_flag` of the annotation. */
  repetition: boolean;
  /** `response_token_length` of the annotation, when given. */
  tokens: number | undefined;
}

/** The user turn and candidate responses of one record in one language (behaviour.md §2). */
export interface CandidateSet {
  lang: Lang;
  /** `translated_conversation[0].content` (ja) or `conversation[0].content` (en); undefined when absent. */
  instruction: string | undefined;
  candidates: Candidate[];
  /** False when annotations are missing or their count differs from the responses: no scores at all. */
  scored: boolean;
}

function firstContent(messages: readonly Message[] | null | undefined): string | undefined {
  return messages?.[0]?.content;
}

function scoreOf(a: Annotation | undefined): number | undefined {
  const s = a?.preference_score;
  return typeof s === "number" ? s : undefined;
}

/**
 * Reads the instruction and the candidates of `record` for `lang`. Annotations are paired with responses
 * by index only when both lists have the same length; otherwise the set is unscored.
 */
export function readCandidates(record: MergedRecord, lang: Lang): CandidateSet {
  const fields = LANGUAGE_FIELDS[lang];
  const responses = record[fields.responses] ?? [];
  const annotations = record[fields.annotations];
  const scored = responses.length > 0 && annotations?.length === responses.length;
  const candidates = responses.map((r, index): Candidate => {
    const a = scored ? annotations[index] : undefined;
    const c: Candidate = {
      index,
      content: typeof r.content === "string" ? r.content : null,
      score: scoreOf(a),
      repetition: a?.repetition_flag === true,
      tokens: a?.response_token_length ?? undefined,
    };
    const trace = traceOf(r);
    if (trace !== undefined) c.reasoning = trace;
    return c;
  });
  const instruction = firstContent(record[fields.conversation]);
  return { lang, instruction, candidates, scored };
}

/** A candidate whose response is text: every usable one is. */
export type TextCandidate = Candidate & { content: string };

/** Text content, non-empty after trimming: a response that can be trained on at all. */
export function hasText(c: Candidate): c is TextCandidate {
  return c.content !== null && c.content.trim() !== "";
}

/** Text content (see {@link hasText}), and a finite score other than -1 (behaviour.md §2). */
export function isUsable(c: Candidate): c is TextCandidate {
  return hasText(c) && c.score !== undefined && Number.isFinite(c.score) && c.score !== -1;
}

/** Usable and not repetition-flagged (flagged ones too with `keepRepetition`). */
export function isChoosable(c: Candidate, keepRepetition = false): c is TextCandidate {
  return isUsable(c) && (keepRepetition || !c.repetition);
}

/** Better first: higher score, then lower index. */
export function byScoreDesc(a: Candidate, b: Candidate): number {
  return b.score! - a.score! || a.index - b.index;
}

/**
 * The assistant message of a candidate: its content, and with `reasoningKey` (`--reasoning keep`) its trace
 * under that key's fields, `""` when it has none (`traced`).
 */
export function assistantMessage(c: TextCandidate, reasoningKey: ReasoningKey | undefined): Message {
  return traced({ role: "assistant", content: c.content }, c.reasoning, reasoningKey);
}
