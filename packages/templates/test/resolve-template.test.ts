import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OptionError, type Message } from "@lmsynth/schema";
import { resolveTemplate, TemplateError } from "../src/index.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

const conv: Message[] = [
  { role: "system", content: " Be brief. " },
  { role: "user", content: "  こんにちは\u3000" },
  { role: "assistant", content: "やあ！ 😀\n" },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmsynth-templates-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Expected values as transformers renders them (Python Jinja, trim_blocks + lstrip_blocks).
describe("resolveTemplate with a tokenizer_config.json (fixtures/custom)", () => {
  const path = join(FIXTURES, "custom/tokenizer_config.json");

  it("renders with bos/eos taken from AddedToken objects", async () => {
    const r = await resolveTemplate(path);
    expect(r.template).toBe(path);
    expect(r.render(conv)).toBe(
      "<s><<SYS>>\nBe brief.\n(unknown date)\n<</SYS>>\n\n[INST] こんにちは [/INST] やあ！ 😀 </s>",
    );
    expect(r.render(conv.slice(1, 2), { addGenerationPrompt: true })).toBe("<s>[INST] こんにちは [/INST] ");
  });

  it("passes template variables (--template-arg date_string=…)", async () => {
    const r = await resolveTemplate(path, { variables: { date_string: "1 Jan 2025" } });
    expect(r.render(conv)).toBe("<s><<SYS>>\nBe brief.\n(1 Jan 2025)\n<</SYS>>\n\n[INST] こんにちは [/INST] やあ！ 😀 </s>");
  });

  it("lets bosToken and then variables override the config's tokens", async () => {
    expect((await resolveTemplate(path, { bosToken: "<B>" })).render(conv.slice(1, 2))).toBe("<B>[INST] こんにちは [/INST]");
    const r = await resolveTemplate(path, { bosToken: "<B>", variables: { bos_token: "<V>" } });
    expect(r.render(conv.slice(1, 2))).toBe("<V>[INST] こんにちは [/INST]");
  });

  it("turns raise_exception into a TemplateError naming the template and the record", async () => {
    const r = await resolveTemplate(path);
    const bad = [{ role: "user", content: "x" }, { role: "tool", content: "y" }];
    expect(() => r.render(bad, { conversationId: "r7" })).toThrow(new TemplateError(path, "r7", "Unknown role: tool"));
  });
});

describe("resolveTemplate with a built-in name", () => {
  it("returns the native renderer with its options", async () => {
    const r = await resolveTemplate("gemma-2", { systemIntoUser: true });
    expect(r.template).toBe("gemma-2");
    expect(r.render(conv)).toBe(
      "<bos><start_of_turn>user\n Be brief. \n\nこんにちは<end_of_turn>\n<start_of_turn>model\nやあ！ 😀<end_of_turn>\n",
    );
  });
});

describe("resolveTemplate with other template files", () => {
  it("takes the chat_template.jinja next to a tokenizer_config.json without chat_template", async () => {
    const r = await resolveTemplate(join(FIXTURES, "split/tokenizer_config.json"));
    expect(r.render(conv.slice(0, 2), { addGenerationPrompt: true })).toBe(
      "<|im_start|>system\n Be brief. <|im_end|>\n<|im_start|>user\n  こんにちは\u3000<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  it("uses the template named default from a list of named templates", async () => {
    const r = await resolveTemplate(join(FIXTURES, "named/tokenizer_config.json"));
    expect(r.render(conv)).toBe("<bos>system:  Be brief. \nuser:   こんにちは\u3000\nassistant: やあ！ 😀\n\n<eos>");
  });

  it("renders a bare chat_template.jinja with bos/eos given as options", async () => {
    const path = join(dir, "chat_template.jinja");
    await writeFile(path, "{{ bos_token }}{% for m in messages %}{{ m.content | trim }}{{ eos_token }}{% endfor %}\n");
    const r = await resolveTemplate(path, { bosToken: "<s>", eosToken: "</s>" });
    // Jinja drops the single trailing newline of the template source.
    expect(r.render(conv)).toBe("<s>Be brief.</s>こんにちは</s>やあ！ 😀</s>");
    // Without them the variables are undefined, which Jinja prints as nothing.
    expect((await resolveTemplate(path)).render(conv)).toBe("Be brief.こんにちはやあ！ 😀");
  });

  it("detects a JSON config by content whatever its name", async () => {
    const path = join(dir, "config.txt");
    await writeFile(path, JSON.stringify({ bos_token: "<b>", chat_template: "{{ bos_token }}{{ messages | length }}" }));
    expect((await resolveTemplate(path)).render(conv)).toBe("<b>3");
  });
});

describe("resolveTemplate errors", () => {
  it("is a usage error for an unknown name, listing the built-ins", async () => {
    await expect(resolveTemplate("llama3")).rejects.toThrow(
      new OptionError(
        'unknown template "llama3": expected one of llama-3.1, gemma-2, gemma-3, chatml, ' +
          "or a path to a tokenizer_config.json or chat_template.jinja",
      ),
    );
  });

  it("names the path of a missing file", async () => {
    const path = join(dir, "missing/tokenizer_config.json");
    const error = await resolveTemplate(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).message).toMatch(
      new RegExp(`^template ${path}: cannot read the file: ENOENT: no such file or directory`),
    );
  });

  it.each([
    ["bad.json", "{ not json", /^not valid JSON: /],
    ["array.json", "[1, 2]", /^expected a JSON object \(tokenizer_config\.json\)$/],
    ["shape.json", '{"chat_template": 5}', /^chat_template: expected a string or a list of \{ name, template \}$/],
    ["nodefault.json", '{"chat_template": [{"name": "rag", "template": "x"}]}', /^chat_template: no template named "default" \(available: rag\)$/],
    ["unparsable.jinja", "{% for m in messages %}", /^cannot parse the template: /],
  ])("reports %s as a TemplateError without a record", async (name, text, detail) => {
    const path = join(dir, name);
    await writeFile(path, text);
    const error = (await resolveTemplate(path).catch((e: unknown) => e)) as TemplateError;
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.template).toBe(path);
    expect(error.conversationId).toBeUndefined();
    expect(error.detail).toMatch(detail);
  });

  it("reports a config without chat_template and without chat_template.jinja beside it", async () => {
    const sub = join(dir, "no-template");
    await mkdir(sub);
    const path = join(sub, "tokenizer_config.json");
    await writeFile(path, '{"bos_token": "<s>"}');
    await expect(resolveTemplate(path)).rejects.toThrow(
      new TemplateError(path, undefined, `no chat_template in the file and no ${join(sub, "chat_template.jinja")}`),
    );
  });

  it.each([
    ["gemma-2", { bosToken: "<b>" }, "template gemma-2: bosToken/eosToken apply to template files; a built-in has its model's tokens"],
    ["x/chat_template.jinja", { systemIntoUser: true }, "template x/chat_template.jinja: systemIntoUser applies to the built-in gemma-2 only"],
    ["x/chat_template.jinja", { variables: { add_generation_prompt: true } }, "template x/chat_template.jinja: add_generation_prompt cannot be set as a template variable"],
  ] as const)("is a usage error for %s with %j", async (name, options, message) => {
    await expect(resolveTemplate(name, options)).rejects.toThrow(new OptionError(message));
  });
});
