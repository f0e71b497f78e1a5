import { Template } from "@huggingface/jinja";
import { describe, expect, it } from "vitest";
import { OptionError, type Message } from "@lmsynth/schema";
import { builtinRenderer, resolveTemplate, TemplateError, type BuiltinTemplateName, type ChatRenderer } from "../src/index.js";
import { generateConversations } from "./conversations.js";
import {
  CHATML_TEMPLATE,
  GEMMA2_FILE,
  GEMMA3_FILE,
  LLAMA_FILE,
  REFERENCE_DIR,
  readReference,
  skipReference,
} from "./reference.js";

const LLAMA_TOKENS = { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" };
const GEMMA_TOKENS = { bos_token: "<bos>", eos_token: "<eos>" };

/** What @huggingface/jinja renders, given what transformers passes; or the message the template raised. */
type Outcome = { text: string } | { raised: string };

function reference(template: Template, tokens: object, messages: Message[], gen: boolean): Outcome {
  try {
    return { text: template.render({ messages, tools: null, documents: null, add_generation_prompt: gen, ...tokens }) };
  } catch (e) {
    return { raised: (e as Error).message };
  }
}

function builtin(renderer: ChatRenderer, messages: Message[], gen: boolean): Outcome {
  try {
    return { text: renderer.render(messages, { addGenerationPrompt: gen }) };
  } catch (e) {
    return { raised: e instanceof TemplateError ? e.detail : `not a TemplateError: ${String(e)}` };
  }
}

const CASES = generateConversations(400, 20240726);

describe("generated conversations", () => {
  it("cover the features the conformance test relies on", () => {
    const has = (f: (m: Message) => boolean) => CASES.filter((c) => c.messages.some(f)).length;
    expect(CASES).toHaveLength(400);
    expect(CASES.filter((c) => c.messages[0]!.role === "system").length).toBeGreaterThan(100);
    expect(CASES.filter((c) => c.messages.filter((m) => m.role !== "system").length === 1).length).toBeGreaterThan(30);
    expect(CASES.filter((c) => c.messages.length >= 6).length).toBeGreaterThan(100);
    expect(has((m) => m.content === "")).toBeGreaterThan(30);
    expect(has((m) => m.content.startsWith("\u3000") || m.content.endsWith("\u3000"))).toBeGreaterThan(30);
    expect(has((m) => m.content.startsWith(" ") || m.content.endsWith(" "))).toBeGreaterThan(30);
    expect(has((m) => m.content.includes("\r\n"))).toBeGreaterThan(30);
    expect(has((m) => m.content.includes("👨‍👩‍👧"))).toBeGreaterThan(10);
    for (const kind of ["not-alternating", "system-later", "tool"]) {
      expect(CASES.filter((c) => c.kind === kind).length).toBeGreaterThan(5);
    }
  });
});

describe.skipIf(skipReference)(`conformance with the official templates (${REFERENCE_DIR})`, () => {
  const setups: [string, BuiltinTemplateName, boolean, () => string, object, number][] = [
    ["llama-3.1 = Llama-3.1-8B-Instruct", "llama-3.1", false, () => readReference(LLAMA_FILE), LLAMA_TOKENS, 0],
    ["gemma-2 = gemma-2-27b-it", "gemma-2", false, () => readReference(GEMMA2_FILE), GEMMA_TOKENS, 334],
    ["gemma-2 with systemIntoUser = gemma-3-27b-it", "gemma-2", true, () => readReference(GEMMA3_FILE), GEMMA_TOKENS, 66],
    ["gemma-3 = gemma-3-27b-it", "gemma-3", false, () => readReference(GEMMA3_FILE), GEMMA_TOKENS, 66],
    ["chatml = the well-known ChatML template", "chatml", false, () => CHATML_TEMPLATE, {}, 0],
  ];

  it.each(setups)("%s, byte for byte over 400 conversations × add_generation_prompt", (_, name, fold, source, tokens, raisedCount) => {
    const template = new Template(source());
    const renderer = builtinRenderer(name, { systemIntoUser: fold });
    const mismatches: unknown[] = [];
    let rendered = 0;
    let raised = 0;
    for (const { messages, kind } of CASES) {
      for (const gen of [false, true]) {
        const want = reference(template, tokens, messages, gen);
        const got = builtin(renderer, messages, gen);
        if ("text" in want) rendered++;
        else raised++;
        const same = "text" in want ? "text" in got && got.text === want.text : "raised" in got && got.raised.startsWith(want.raised);
        if (!same) mismatches.push({ kind, gen, messages, want, got });
      }
    }
    expect(mismatches).toEqual([]);
    // Both sides raising is compared too (message included); these counts keep that path exercised.
    expect({ rendered, raised }).toEqual({ rendered: 800 - raisedCount, raised: raisedCount });
  });
});

describe.skipIf(skipReference)("expected_renders.json", () => {
  interface Expected {
    inputs: { conv: Message[]; with_system: [Message, string] };
    renders: Record<string, { sft_full: string; prompt_gen: string; with_system: string }>;
  }
  const load = (): Expected => JSON.parse(readReference("expected_renders.json")) as Expected;
  const files: [BuiltinTemplateName, string, { bosToken: string; eosToken: string }][] = [
    ["llama-3.1", LLAMA_FILE, { bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>" }],
    ["gemma-2", GEMMA2_FILE, { bosToken: "<bos>", eosToken: "<eos>" }],
    ["gemma-3", GEMMA3_FILE, { bosToken: "<bos>", eosToken: "<eos>" }],
  ];
  const cases = files.flatMap(([name, file, tokens]) =>
    (["sft_full", "prompt_gen", "with_system"] as const).map((key) => [name, key, file, tokens] as const),
  );

  function renderCase(render: (m: Message[], gen: boolean) => string, key: string, e: Expected): string {
    const conv = e.inputs.conv;
    try {
      if (key === "sft_full") return render(conv, false);
      if (key === "prompt_gen") return render(conv.slice(0, 1), true);
      return render([e.inputs.with_system[0], ...conv], false);
    } catch (err) {
      return `ERROR: ${(err as TemplateError).detail}`;
    }
  }

  it.each(cases)("built-in %s: %s", (name, key, file) => {
    const e = load();
    const r = builtinRenderer(name);
    const got = renderCase((m, gen) => r.render(m, { addGenerationPrompt: gen }), key, e);
    const want = e.renders[file]![key];
    // The built-in adds a hint after the template's own message.
    if (want.startsWith("ERROR: ")) expect(got.startsWith(want + " (")).toBe(true);
    else expect(got).toBe(want);
  });

  it.each(cases)("template file through @huggingface/jinja, %s: %s", async (_, key, file, tokens) => {
    const e = load();
    const r = await resolveTemplate(REFERENCE_DIR + file, tokens);
    expect(renderCase((m, gen) => r.render(m, { addGenerationPrompt: gen }), key, e)).toBe(e.renders[file]![key]);
  });
});

describe("builtinRenderer", () => {
  const conv: Message[] = [
    { role: "system", content: " 簡潔に。 " },
    { role: "user", content: " Hi " },
    { role: "assistant", content: "Hello!\n" },
  ];

  it("llama-3.1 takes date_string and bos_token from the variables", () => {
    const r = builtinRenderer("llama-3.1", { variables: { date_string: "1 Jan 2025", bos_token: "<B>", unused: 1 } });
    expect(r.render(conv)).toBe(
      "<B><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 1 Jan 2025\n\n" +
        "簡潔に。<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>",
    );
  });

  it("llama-3.1 writes tool messages untrimmed as a JSON string under an ipython header", () => {
    const r = builtinRenderer("llama-3.1");
    const text = r.render([
      { role: "user", content: "temp?" },
      { role: "tool", content: ' {"t": 21}\n\u0001"' },
    ]);
    expect(text.endsWith('<|start_header_id|>ipython<|end_header_id|>\n\n" {\\"t\\": 21}\\n\\u0001\\""<|eot_id|>')).toBe(true);
  });

  it("gemma-2 with systemIntoUser writes the system text untrimmed, a blank line, then the trimmed user text", () => {
    expect(builtinRenderer("gemma-2", { systemIntoUser: true }).render(conv, { addGenerationPrompt: false })).toBe(
      "<bos><start_of_turn>user\n 簡潔に。 \n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n",
    );
  });

  it("gemma-2 without systemIntoUser names the record and the way out", () => {
    const r = builtinRenderer("gemma-2");
    expect(() => r.render(conv, { conversationId: "c-42" })).toThrow(
      new TemplateError(
        "gemma-2",
        "c-42",
        "System role not supported (Gemma 2's template rejects a system message; " +
          "set systemIntoUser / --system-into-user to fold it into the first user turn as Gemma 3 does)",
      ),
    );
    try {
      r.render(conv, { conversationId: "c-42" });
    } catch (e) {
      expect((e as Error).message).toMatch(/^template gemma-2, conversation_id c-42: System role not supported/);
    }
  });

  it.each(["llama-3.1", "gemma-2", "gemma-3"] as const)("%s fails on an empty conversation, as Python Jinja does", (name) => {
    expect(() => builtinRenderer(name).render([], { conversationId: "e" })).toThrow(
      new TemplateError(name, "e", "the conversation has no messages"),
    );
  });

  it("chatml renders an empty conversation as the template does", () => {
    expect(builtinRenderer("chatml").render([], { addGenerationPrompt: true })).toBe("<|im_start|>assistant\n");
  });

  it.each(["llama-3.1", "gemma-2", "gemma-3", "chatml"] as const)("%s rejects a non-string content by name", (name) => {
    const bad = [{ role: "user", content: 42 }] as unknown as Message[];
    expect(() => builtinRenderer(name).render(bad, { conversationId: "x" })).toThrow(
      new TemplateError(name, "x", "messages[0].content: expected string, got number"),
    );
  });

  it("llama-3.1 refuses tool calls it cannot render", () => {
    const m = [{ role: "user", content: "a" }, { role: "assistant", content: "", tool_calls: [] }] as Message[];
    expect(() => builtinRenderer("llama-3.1").render(m)).toThrow(TemplateError);
  });

  it.each([
    ["llama-3.1", { systemIntoUser: true }, "template llama-3.1: systemIntoUser applies to gemma-2 only (this template takes system messages)"],
    ["chatml", { systemIntoUser: true }, "template chatml: systemIntoUser applies to gemma-2 only (this template takes system messages)"],
    ["llama-3.1", { variables: { tools: [] } }, "template llama-3.1: the built-in renders no tools (tools); give the official template file instead"],
    ["llama-3.1", { variables: { date_string: 2024 } }, "template llama-3.1: date_string must be a string, got 2024"],
    ["gemma-3", { variables: { messages: [] } }, "template gemma-3: messages cannot be set as a template variable"],
  ] as const)("%s with %j is a usage error", (name, options, message) => {
    expect(() => builtinRenderer(name, options)).toThrow(new OptionError(message));
  });
});
