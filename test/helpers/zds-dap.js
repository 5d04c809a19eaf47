// `zds dap` as one process: DebugClient spawns `<runtime> <executable>` with no further arguments,
// and going through a shell to add "dap" left a shell between the test and the adapter, so
// DebugClient.stop()'s kill hit the shell and could leave the adapter running, holding the test
// runner's pipes open. This file adds the argument and runs the CLI in this same process.
process.argv.splice(2, 0, "dap");
require("../../bin/zds.js");
