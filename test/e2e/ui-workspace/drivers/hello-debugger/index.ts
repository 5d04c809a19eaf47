// UI-pass fixture: prints a line through the console service (so the console terminal has output),
// then stops at a `debugger` statement, which the debugger treats as a breakpoint.
import { ConsoleTag, client, defineDriver } from "@zds/sdk";

export default defineDriver({
  name: "hello-debugger",
  caps: { console: client("console") },
  main({ console }) {
    const port = console.connect();
    // Built at run time, so the text the UI pass looks for is in the terminal and not in this source.
    const line = ["hello-debugger:", "the", "console", "works"].join(" ");
    port.call(ConsoleTag.WRITE, new TextEncoder().encode(`${line}\n`));
    debugger; // eslint-disable-line no-debugger
    return 0;
  },
});
