import { describe, it, expect } from "vitest";
import { promptIdOf } from "../src/index.js";

describe("promptIdOf", () => {
  // Expected values from coreutils: printf '%s' TEXT | sha256sum
  it.each([
    ["日本の首都はどこですか？", "452dcf691eb97bca494c7e8cf187b4be51dade209ecaa9aa7bf3c3b8b2ca6820"],
    ["What is the capital of Japan?", "2227487b5826e487e301d5cbae2745a83934b65211f33360814fa1036c2deea4"],
    ["  東京タワーの高さは？\n", "9343e3f0fda4fb26bbe977dc3d2a4a88c2ee20a03659386f400362c21387ac37"],
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ])("hashes %j as its UTF-8 bytes", (text, hex) => {
    expect(promptIdOf(text)).toBe(hex);
  });
});
