// UI-pass fixture: prints a line through the console service (so the console terminal has output),
// then stops at a `debugger` statement, which the debugger treats as a breakpoint.
import { ConsoleTag, client, defineDriver } from "@zds/sdk";

export default defineDriver({
  name: "hello-debugger",
  caps: { console: client("console") },
  main({ console }) {
    const port = console.connect();
    port.call(ConsoleTag.WRITE, new TextEncoder().encode("hello-debugger: the console works\n"));
    debugger; // eslint-disable-line no-debugger
    return 0;
  },
});
