// echo-shell: a tiny line-editing shell on the machine console, a client of the "console" service
// (docs/console-protocol.md), so it runs over either console driver:
//
//   zds run --interactive drivers/uart16550      drivers/echo-shell
//   zds run --interactive drivers/virtio-console drivers/echo-shell
//
// The console protocol moves bytes and nothing else: no echo, no line discipline. So, as on a raw
// serial line, the shell echoes what it reads and does the line editing itself (line-editor.ts),
// then runs the line (commands.ts): echo, help, ps, caps, exit.

import { CONSOLE_MAX_WRITE, ConsoleTag, Reader, ServiceError, Writer, client, defineDriver, type Connection } from "@zds/sdk";
import { runCommand } from "./commands";
import { LineEditor } from "./line-editor";

const PROMPT = "$ ";
const BANNER = "Zero OS echo-shell. Type help for the commands.\r\n";
/** Bytes asked for per READ: a paste arrives in a few reads, a key in one. */
const READ_MAX = 256;

export default defineDriver({
  name: "echo-shell",
  caps: { console: client("console") },
  main({ console }, sys) {
    const term = new Terminal(console.connect());
    const editor = new LineEditor(PROMPT.length);
    term.write(BANNER + PROMPT);
    for (;;) {
      const input = term.read();
      if (input === "hangup") {
        // The console driver stopped (the machine shut down with nobody typing): as a shell on a
        // line that hung up, end quietly.
        sys.debug("echo-shell: the console service went away (hangup)");
        return 0;
      }
      if (input === undefined) return 1;
      for (const step of editor.feed(input)) {
        term.write(step.echo);
        const event = step.event;
        if (event === undefined) continue;
        if (event.kind === "eof") return finish(term, editor, sys.debug);
        if (event.kind === "line") {
          const result = runCommand(event.text, sys);
          term.write(result.output);
          if (result.exit) return finish(term, editor, sys.debug);
        }
        term.write(PROMPT);
      }
    }
  },
});

function finish(term: Terminal, editor: LineEditor, debug: (text: string) => void): number {
  term.write("logout\r\n");
  if (editor.overflow > 0) debug(`echo-shell: ${editor.overflow} keys refused because the line was full`);
  return 0;
}

/** The console service as a terminal: READ and WRITE with the protocol's checks. */
class Terminal {
  private readonly encoder = new TextEncoder();

  constructor(private readonly conn: Connection) {}

  /** Input from the user (at least one byte); undefined when the service refused; "hangup" when
   *  the service is gone. */
  read(): Uint8Array | undefined | "hangup" {
    try {
      const reply = this.conn.call(ConsoleTag.READ, new Writer().u32(READ_MAX).finish());
      return reply.tag === ConsoleTag.INPUT ? reply.payload : undefined;
    } catch (error) {
      if (error instanceof ServiceError) return "hangup";
      throw error;
    }
  }

  write(text: string): void {
    const bytes = this.encoder.encode(text);
    for (let at = 0; at < bytes.length; at += CONSOLE_MAX_WRITE) {
      const reply = this.conn.call(ConsoleTag.WRITE, bytes.subarray(at, at + CONSOLE_MAX_WRITE));
      if (reply.tag !== ConsoleTag.WRITTEN) throw new Error(`the console refused a WRITE: status ${new Reader(reply.payload).u32()}`);
    }
  }
}
