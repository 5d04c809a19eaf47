// Extension test entry (the @vscode/test-electron contract: a module exporting run()). Plain JS so
// the extension host loads it without a compile step; mocha comes from the repo's devDependencies.
const path = require("path");
const Mocha = require("mocha");

exports.run = () =>
  new Promise((resolve, reject) => {
    const mocha = new Mocha({ ui: "tdd", color: false, timeout: 60000 });
    mocha.addFile(path.resolve(__dirname, "extension.test.js"));
    mocha.addFile(path.resolve(__dirname, "timeline.test.js"));
    mocha.addFile(path.resolve(__dirname, "testing.test.js"));
    mocha.run((failures) => (failures ? reject(new Error(`${failures} tests failed`)) : resolve()));
  });
