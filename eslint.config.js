// Type-aware lint of every package's sources and tests (issue 12): typescript-eslint's recommended rules,
// plus the type-checked rules that catch real bugs in stream code (a promise left floating or misused).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: [".venv-conformance/**", "**/dist/**", "**/node_modules/**", "bench/**", "test-fixtures/**", "**/*.mjs", "**/*.cjs", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { project: ["packages/*/tsconfig.check.json", "apps/*/tsconfig.check.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unnecessary-type-assertion": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      // `for await (const _ of …)` drains an iterator on purpose.
      "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
);
