import { describe, expect, it } from "vitest";
import { createJinjaRenderer, TemplateError } from "../src/index.js";

const user = [{ role: "user", content: "  hi  " }];

describe("createJinjaRenderer", () => {
  it("passes what transformers passes: messages, tools and documents as none, add_generation_prompt", () => {
    const r = createJinjaRenderer({
      template: "t",
      source:
        "{% if tools is none and documents is none %}none {% endif %}{% if add_generation_prompt %}gen {% endif %}" +
        "{{ messages[0].content | trim }}|{{ bos_token }}",
      variables: { bos_token: "<s>" },
    });
    expect(r.render(user)).toBe("none hi|<s>");
    expect(r.render(user, { addGenerationPrompt: true })).toBe("none gen hi|<s>");
  });

  it("leaves strftime_now undefined so the output never depends on the clock", () => {
    // As Llama 3.2's template does: fall back to a fixed date when strftime_now is not there.
    const source =
      '{% if strftime_now is defined %}{{ strftime_now("%d %b %Y") }}{% else %}26 Jul 2024{% endif %}';
    expect(createJinjaRenderer({ template: "t", source }).render(user)).toBe("26 Jul 2024");
  });

  it("keeps the other globals (range, none, True) and lets variables shadow them", () => {
    const source = "{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}{% if none is none and True %} ok{% endif %}";
    expect(createJinjaRenderer({ template: "t", source }).render(user)).toBe("135 ok");
    const shadowed = createJinjaRenderer({ template: "t", source: "{{ range }}", variables: { range: "mine" } });
    expect(shadowed.render(user)).toBe("mine");
  });

  it("turns raise_exception into a TemplateError carrying the template's message and the record", () => {
    const r = createJinjaRenderer({ template: "my.jinja", source: "{{ raise_exception('No system: ' + messages[0].role) }}" });
    expect(() => r.render(user, { conversationId: "id-1" })).toThrow(new TemplateError("my.jinja", "id-1", "No system: user"));
  });

  it("wraps other runtime errors, keeping the cause", () => {
    const r = createJinjaRenderer({ template: "my.jinja", source: "{{ messages | no_such_filter }}" });
    let error: unknown;
    try {
      r.render(user, { conversationId: "id-2" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).message).toMatch(/^template my\.jinja, conversation_id id-2: render failed: /);
    expect((error as TemplateError).cause).toBeInstanceOf(Error);
  });

  it("fails at creation, without a record, when the source does not parse", () => {
    expect(() => createJinjaRenderer({ template: "bad.jinja", source: "{% if %}" })).toThrow(TemplateError);
  });
});
