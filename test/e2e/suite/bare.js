// Extension test entry for the bare-folder run (the @vscode/test-electron contract: run()): a folder
// holding one driver copied from a sample and nothing else (test/e2e/run.mjs makes it).
const path = require("path");
const Mocha = require("mocha");

exports.run = () =>
  new Promise((resolve, reject) => {
    const mocha = new Mocha({ ui: "tdd", color: false, timeout: 120000 });
    mocha.addFile(path.resolve(__dirname, "bare.test.js"));
    mocha.run((failures) => (failures ? reject(new Error(`${failures} tests failed`)) : resolve()));
  });
