// Extension test entry for the Restricted Mode run (the @vscode/test-electron contract: run()).
const path = require("path");
const Mocha = require("mocha");

exports.run = () =>
  new Promise((resolve, reject) => {
    const mocha = new Mocha({ ui: "tdd", color: false, timeout: 60000 });
    mocha.addFile(path.resolve(__dirname, "restricted.test.js"));
    mocha.run((failures) => (failures ? reject(new Error(`${failures} tests failed`)) : resolve()));
  });
