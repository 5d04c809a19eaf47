// Connects "zero-driver" debug sessions to the rest of the extension: the inline adapter (the same
// session `zds dap` serves), the views (the session's machine is watched from launch; a stop
// refreshes them once, and they stay frozen until the machine runs again) and the machine console
// in a terminal. The adapter itself lives in extension/debug-adapter/ and knows nothing of this.

import * as vscode from "vscode";
import { ZeroDriverDebugSession } from "./debug-adapter/session";
import type { MachineConsoleStream } from "./debug-adapter/machine-console";
import { ConsoleTerminal } from "./machine-terminal";
import type { MachineMonitor, WatchedMachine } from "./machine-monitor";

interface DebugMachine {
  watched: WatchedMachine;
  console: ConsoleTerminal;
  titles: vscode.Disposable;
}

/** Per debug session: its machine and console, once launched. */
export class DebugWiring {
  private readonly machines = new Map<string, DebugMachine>();
  private readonly launched = new vscode.EventEmitter<{ session: vscode.DebugSession; console: ConsoleTerminal }>();
  /** A debug session's machine is up and its console terminal exists. */
  readonly onDidLaunch = this.launched.event;

  constructor(private readonly monitor: MachineMonitor) {}

  consoleOf(session: vscode.DebugSession): ConsoleTerminal | undefined {
    return this.machines.get(session.id)?.console;
  }

  register(): vscode.Disposable[] {
    return [
      vscode.debug.registerDebugAdapterDescriptorFactory("zero-driver", {
        createDebugAdapterDescriptor: (session) => {
          const adapter = new ZeroDriverDebugSession();
          // The terminal shows the machine console; the debug console keeps the adapter's own messages.
          adapter.console.echoToDebugConsole = false;
          adapter.runtime.onLaunched = ({ kernel, machine }) => this.attach(session, adapter.console, { machineName: machine.description.name, origin: "debug", kernel, machine });
          return new vscode.DebugAdapterInlineImplementation(adapter);
        },
      }),
      vscode.debug.registerDebugAdapterTrackerFactory("zero-driver", {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string }) => {
            if (message.type === "event" && (message.event === "stopped" || message.event === "continued")) this.monitor.refresh();
          },
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((session) => this.ended(session)),
      this.launched,
    ];
  }

  private attach(session: vscode.DebugSession, stream: MachineConsoleStream, watched: WatchedMachine): void {
    const console = new ConsoleTerminal(`Zero Driver: ${watched.machineName}`, " [debug]");
    // Input and the title come from the machine; output (devices and SYS_CONSOLE_WRITE) from the session's stream.
    console.connect(watched.machine, watched.kernel, watched.machineName, false);
    const output = stream.onOutput((chunk) => console.write(chunk.text));
    console.terminal.show(true);
    this.monitor.watch(watched);
    const titles = this.monitor.onDidChange(() => console.retitle());
    this.machines.set(session.id, { watched, console, titles: { dispose: () => (titles.dispose(), output.dispose()) } });
    this.launched.fire({ session, console });
  }

  private ended(session: vscode.DebugSession): void {
    const m = this.machines.get(session.id);
    if (!m) return;
    this.machines.delete(session.id);
    m.console.ended();
    m.titles.dispose();
    m.console.write("\n[debug session ended]\n");
    this.monitor.ended(m.watched, "debug session ended");
  }
}
