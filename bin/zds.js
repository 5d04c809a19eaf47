#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/cli.js by `npm run build`.
const path = require("node:path");
const fs = require("node:fs");
const cli = path.join(__dirname, "..", "dist", "cli.js");
if (!fs.existsSync(cli)) {
  process.stderr.write(`zds: ${cli} is missing; run \`npm run build\` first\n`);
  process.exit(2);
}
const args = process.argv.slice(2);
// One-shot commands end when their work is done, even if a stray handle (a worker that would not
// terminate) is left behind; `zds dap` lives as long as its client.
const oneShot = args[0] !== "dap";
function finish(code) {
  process.exitCode = code;
  if (oneShot) process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
require(cli)
  .main(args)
  .then(finish, (error) => {
    process.stderr.write(`zds: internal error: ${error && error.stack ? error.stack : String(error)}\n`);
    finish(70);
  });
