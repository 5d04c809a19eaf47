// Runs `zds run` in the extension host with its console in a VS Code pseudoterminal, titled by the
// machine. The CLI's Io is redirected into the terminal; the run is the same code path as `zds run`.
// Closing the terminal only stops showing output: the run ends on its own (idle, exit or timeout).

import * as vscode from "vscode";
import type { Io } from "../cli/io";

export interface MachineRun {
  terminal: vscode.Terminal;
  /** Resolves with `zds run`'s exit status. */
  done: Promise<number>;
}

export function runInTerminal(machine: string, argv: string[]): MachineRun {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  let open = false;
  const pending: string[] = [];
  // Terminals want CRLF; the CLI writes LF.
  const emit = (text: string): void => {
    const t = text.replace(/\r?\n/g, "\r\n");
    if (open) write.fire(t);
    else pending.push(t);
  };
  const io: Io = { out: emit, err: (t) => emit(`\x1b[33m${t.replace(/\n$/, "")}\x1b[0m\n`) };
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => {
      open = true;
      for (const t of pending.splice(0)) write.fire(t);
    },
    close: () => {
      open = false;
    },
  };
  const terminal = vscode.window.createTerminal({ name: `Zero Driver: ${machineTitle(machine)}`, pty });
  terminal.show(true);
  emit(`$ zds run ${argv.join(" ")}\n`);
  void (async () => {
    let code = 70;
    try {
      const { main } = await import("../cli/zds");
      code = await main(["run", ...argv], io);
    } catch (error) {
      emit(`zds: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    emit(`\n[zds run exited with status ${code}]\n`);
    resolveDone(code);
  })();
  return { terminal, done };
}

function machineTitle(machine: string): string {
  const base = machine.split(/[\\/]/).pop() ?? machine;
  return base.replace(/\.json$/, "");
}
