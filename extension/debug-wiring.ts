// Connects "zero-driver" debug sessions to the rest of the extension: the inline adapter (the same
// session `zds dap` serves), the views (the session's machine is watched from launch; a stop
// refreshes them once, and they stay frozen until the machine runs again) and the machine console
// in a terminal. The adapter itself lives in debug-adapter/ (shared with `zds dap`) and knows nothing of this.

import * as vscode from "vscode";
import { ZeroDriverDebugSession } from "../debug-adapter/session";
import type { MachineConsoleStream } from "../debug-adapter/machine-console";
import { activeConsoleDevice, ConsoleTerminal } from "./machine-terminal";
import type { MachineMonitor, WatchedMachine } from "./machine-monitor";

interface DebugMachine {
  watched: WatchedMachine;
  /** Made once the console device is known (see attach). */
  console: ConsoleTerminal | undefined;
  subscriptions: { dispose(): void }[];
}

/** Per debug session: its machine and console, once launched. */
export class DebugWiring {
  private readonly machines = new Map<string, DebugMachine>();
  private readonly launched = new vscode.EventEmitter<{ session: vscode.DebugSession; console: ConsoleTerminal }>();
  /** A debug session's console terminal exists (its machine is up and its console device known). */
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
          adapter.runtime.onLaunched = ({ kernel, machine }) =>
            this.attach(session, adapter.console, {
              machineName: machine.description.name,
              origin: "debug",
              kernel,
              machine,
            });
          adapter.runtime.onReplaced = ({ kernel, machine }) => this.replaced(session, kernel, machine);
          return new vscode.DebugAdapterInlineImplementation(adapter);
        },
      }),
      vscode.debug.registerDebugAdapterTrackerFactory("zero-driver", {
        createDebugAdapterTracker: () => ({
          onDidSendMessage: (message: { type?: string; event?: string }) => {
            if (message.type === "event" && (message.event === "stopped" || message.event === "continued"))
              this.monitor.refresh();
          },
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((session) => this.ended(session)),
      this.launched,
    ];
  }

  /** Watch the session's machine at once; open its console terminal when the console device is
   *  known (its first output, or a driver bound to a console device), because VS Code shows a
   *  terminal's tab under the name it was created with and ignores later renames there. */
  private attach(session: vscode.DebugSession, stream: MachineConsoleStream, watched: WatchedMachine): void {
    const entry: DebugMachine = { watched, console: undefined, subscriptions: [] };
    const pending: string[] = [];
    const open = (device: string | undefined): ConsoleTerminal => {
      const name = device
        ? `Zero Driver: ${device} (${watched.machineName}) [debug]`
        : `Zero Driver: ${watched.machineName} [debug]`;
      const console = new ConsoleTerminal(name, " [debug]");
      // Input and the title come from the machine; output (devices and SYS_CONSOLE_WRITE) from the session's stream.
      console.connect(watched.machine, watched.kernel, watched.machineName, false);
      for (const text of pending.splice(0)) console.write(text);
      console.terminal.show(true);
      entry.console = console;
      entry.subscriptions.push(this.monitor.onDidChange(() => console.retitle()));
      this.launched.fire({ session, console });
      return console;
    };
    entry.subscriptions.push(
      stream.onOutput((chunk) => {
        if (entry.console) return entry.console.write(chunk.text);
        pending.push(chunk.text);
        open(
          chunk.device === "kernel" ? activeConsoleDevice(watched.machine, watched.kernel, undefined) : chunk.device,
        );
      }),
      this.monitor.onDidChange(() => {
        const device = entry.console ? undefined : activeConsoleDevice(watched.machine, watched.kernel, undefined);
        if (device) open(device);
      }),
    );
    this.machines.set(session.id, entry);
    this.monitor.watch(watched);
  }

  /** Step back or reverse continue replaced the session's machine: the views and the console's input
   *  follow the new one (the terminal keeps its text; output already shown is not shown again). */
  private replaced(
    session: vscode.DebugSession,
    kernel: WatchedMachine["kernel"],
    machine: WatchedMachine["machine"],
  ): void {
    const entry = this.machines.get(session.id);
    if (!entry) return;
    entry.watched = { ...entry.watched, kernel, machine };
    entry.console?.connect(machine, kernel, entry.watched.machineName, false);
    this.monitor.watch(entry.watched);
  }

  private ended(session: vscode.DebugSession): void {
    const m = this.machines.get(session.id);
    if (!m) return;
    this.machines.delete(session.id);
    for (const d of m.subscriptions) d.dispose();
    m.console?.ended();
    m.console?.write("\n[debug session ended]\n");
    this.monitor.ended(m.watched, "debug session ended");
  }
}
