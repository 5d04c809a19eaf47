// A few rules that catch real bugs (not style: the formatter owns that). Typed rules read tsconfig.json.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["node_modules/**", "dist/**", "test/e2e/**", "test/fixtures/broken-syntax/**", "test/fixtures/uses-fs/**", "test/fixtures/lsp/**", "timeline/view/**", "**/*.mjs", "**/*.js"],
  },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@typescript-eslint": tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // A promise nobody awaits loses its error; an async callback where void is expected runs unawaited.
      "@typescript-eslint/no-floating-promises": "error",
      // DebugSession's request handlers are void by signature and async by nature (the DAP library
      // does not await them; each sends its own response).
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { inheritedMethods: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-fallthrough": "error",
      "no-self-compare": "error",
      "no-unreachable": "error",
      "no-dupe-keys": "error",
      "no-duplicate-case": "error",
      "no-cond-assign": ["error", "except-parens"],
      "no-unsafe-finally": "error",
      "no-sparse-arrays": "error",
      "use-isnan": "error",
      "valid-typeof": "error",
    },
  },
  {
    // Raw test programs spin and compare on purpose (a watchdog target, Math.random() twice).
    files: ["test/fixtures/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-vars": "off", "no-self-compare": "off" },
  },
);
