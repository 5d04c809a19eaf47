// The machine console as a VS Code pseudoterminal: what the console devices transmit (and what
// programs write with SYS_CONSOLE_WRITE) is shown, keystrokes go to the console device, and the
// terminal is titled by that device. Closing the terminal only stops the showing: the machine runs
// on, and its output keeps going to the transcript. Used by the run commands and by debug sessions.

import * as vscode from "vscode";
import type { DeviceInfo, Machine } from "../devices";
import type { Kernel } from "../kernel/kernel";
import type { Io } from "../runner/io";
import { userErrorStatus } from "../runner/errors";
// `zds run` is bundled into the extension (not loaded from dist/cli.js): the views read the live
// machine's device objects, which must be the extension's own classes (instanceof).
import { runCommand } from "../runner/run";
import type { MachineMonitor, WatchedMachine } from "./machine-monitor";
import { TerminalKeyboard } from "./terminal-keyboard";

/** Keep this much of the console for tests and late viewers; older text is dropped. */
const TRANSCRIPT_CHARS = 256 * 1024;

const VIRTIO_ID_CONSOLE = 3;

export function isConsoleDevice(d: DeviceInfo): boolean {
  return d.kind === "uart16550" || (d.kind === "virtio-mmio" && d.virtioId === VIRTIO_ID_CONSOLE);
}

/** The console device keystrokes go to: the one in use, else the machine's first (typed input
 *  waits on its wire for a driver). */
export function chooseConsoleDevice(
  machine: Machine,
  kernel: Kernel,
  lastTransmitter: string | undefined,
): string | undefined {
  return activeConsoleDevice(machine, kernel, lastTransmitter) ?? machine.devices.find(isConsoleDevice)?.name;
}

/** The console device in use: the one that last transmitted, else one bound to a live driver. */
export function activeConsoleDevice(
  machine: Machine,
  kernel: Kernel,
  lastTransmitter: string | undefined,
): string | undefined {
  if (lastTransmitter) return lastTransmitter;
  const processes = [...kernel.processes.values()];
  return machine.devices.find((d) => isConsoleDevice(d) && processes.some((p) => p.alive && p.device === d.name))?.name;
}

export class ConsoleTerminal implements vscode.Disposable {
  readonly terminal: vscode.Terminal;
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly nameEmitter = new vscode.EventEmitter<string>();
  private open = false;
  private closedByUser = false;
  private readonly pending: string[] = [];
  private text = "";
  private target: { machine: Machine; kernel: Kernel; machineName: string } | undefined;
  private transmitter: string | undefined;
  private title: string;
  private running = true;
  private droppedNoted = false;
  private readonly decoder = new TextDecoder();
  /** Where keys go instead of straight to the device (a `zds run --interactive` in this terminal). */
  private keyboard: TerminalKeyboard | undefined;

  constructor(
    title: string,
    private readonly suffix = "",
  ) {
    this.title = title;
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writeEmitter.event,
      onDidChangeName: this.nameEmitter.event,
      open: () => {
        this.open = true;
        // VS Code hears renames only from open() on: one made before (the console device was
        // known early) is repeated now.
        if (this.title !== title) this.nameEmitter.fire(this.title);
        for (const t of this.pending.splice(0)) this.writeEmitter.fire(t);
      },
      close: () => {
        // The machine is not ours to stop: it runs on and ends by itself.
        this.open = false;
        this.closedByUser = true;
      },
      handleInput: (data) => this.input(data),
    };
    this.terminal = vscode.window.createTerminal({ name: title, pty, iconPath: new vscode.ThemeIcon("terminal") });
  }

  /** Everything written so far (capped), with LF line ends: what the terminal shows. */
  get output(): string {
    return this.text;
  }

  get name(): string {
    return this.title;
  }

  /** Whether the user closed the terminal (the machine carries on regardless). */
  get closed(): boolean {
    return this.closedByUser;
  }

  write(text: string): void {
    if (!text) return;
    this.text = (this.text + text).slice(-TRANSCRIPT_CHARS);
    if (this.closedByUser) return;
    const t = text.replace(/\r?\n/g, "\r\n");
    if (this.open) this.writeEmitter.fire(t);
    else this.pending.push(t);
  }

  /** Take keystrokes for this machine's console device, and show what its console devices
   *  transmit unless someone else already writes that here (`zds run` does). */
  connect(machine: Machine, kernel: Kernel, machineName: string, showOutput = true): void {
    this.target = { machine, kernel, machineName };
    machine.onConsoleOutput((device, bytes) => {
      if (device !== this.transmitter) {
        this.transmitter = device;
        this.retitle();
      }
      if (showOutput) this.write(this.decoder.decode(bytes, { stream: true }));
    });
    this.retitle();
  }

  /** The machine has stopped: later keystrokes are refused with a note. */
  ended(): void {
    this.running = false;
  }

  /** Title by the console device in use, once there is one (a run without a console driver keeps
   *  the machine's name). Called on output and whenever the machine's picture changes. */
  retitle(): void {
    const t = this.target;
    if (!t) return;
    const device = activeConsoleDevice(t.machine, t.kernel, this.transmitter);
    const title = device
      ? `Zero Driver: ${device} (${t.machineName})${this.suffix}`
      : `Zero Driver: ${t.machineName}${this.suffix}`;
    if (title === this.title) return;
    this.title = title;
    this.nameEmitter.fire(title);
  }

  /** Send keys to `zds run --interactive`'s keyboard, which applies and records them. */
  routeKeys(keyboard: TerminalKeyboard): void {
    this.keyboard = keyboard;
  }

  private input(data: string): void {
    if (this.keyboard && this.running && this.keyboard.type(data)) return;
    const t = this.target;
    const device = t && chooseConsoleDevice(t.machine, t.kernel, this.transmitter);
    if (!t || !this.running || !device) {
      if (!this.droppedNoted)
        this.write(
          `\n\x1b[2m[${!t ? "the machine is not up yet" : !device ? "this machine has no console device" : "the machine has stopped"}: keystrokes are not delivered]\x1b[0m\n`,
        );
      this.droppedNoted = true;
      return;
    }
    try {
      t.machine.consoleInput(device, new TextEncoder().encode(data));
    } catch (error) {
      this.write(`\n\x1b[33m[console input: ${error instanceof Error ? error.message : String(error)}]\x1b[0m\n`);
    }
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.nameEmitter.dispose();
  }
}

export interface MachineRun {
  terminal: vscode.Terminal;
  console: ConsoleTerminal;
  /** Resolves with `zds run`'s exit status. */
  done: Promise<number>;
  /** The machine, once built (for tests: views and input). */
  readonly started: Promise<WatchedMachine>;
  /** End the run now. */
  stop(): void;
}

/** Run `zds run` in the extension host with its console in a terminal; the views follow it. */
export function runInTerminal(machineArg: string, argv: string[], monitor: MachineMonitor): MachineRun {
  const term = new ConsoleTerminal(`Zero Driver: ${machineTitle(machineArg)}`);
  term.terminal.show(true);
  let stopRun: () => void = () => undefined;
  let resolveStarted: (m: WatchedMachine) => void = () => undefined;
  const started = new Promise<WatchedMachine>((r) => (resolveStarted = r));
  let watched: WatchedMachine | undefined;
  let titles: vscode.Disposable | undefined;
  // Keys typed here go through `zds run --interactive` (recorded, applied at input points), and a
  // program waiting for them (a shell) keeps the machine up until it ends or the run is stopped.
  const keyboard = new TerminalKeyboard();
  term.routeKeys(keyboard);
  const keyed = argv.includes("--input") || argv.includes("--interactive") ? argv : [...argv, "--interactive"];
  const io: Io = {
    keyboard,
    outIsTerminal: true,
    out: (t) => term.write(t),
    err: (t) => term.write(`\x1b[33m${t.replace(/\n$/, "")}\x1b[0m\n`),
    machineStarted: ({ machineName, session, machine }) => {
      stopRun = () => session.stop();
      // The CLI already writes what term devices transmit to `out`; connect() is for input, titles
      // and the views, so output is not shown twice.
      term.connect(machine, session.kernel, machineName, false);
      watched = { machineName, origin: "run", kernel: session.kernel, machine };
      monitor.watch(watched);
      titles = monitor.onDidChange(() => term.retitle());
      resolveStarted(watched);
    },
  };
  term.write(`$ zds run ${argv.join(" ")}\n`);
  const done = (async () => {
    let code = 70;
    try {
      code = await runCommand(keyed, io);
    } catch (error) {
      const status = userErrorStatus(error, io);
      if (status !== undefined) code = status;
      else
        term.write(`zds: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    term.ended();
    titles?.dispose();
    if (watched) monitor.ended(watched, code === 0 ? "completed" : `exit status ${code}`);
    term.write(`\n[zds run exited with status ${code}]\n`);
    return code;
  })();
  return { terminal: term.terminal, console: term, done, started, stop: () => stopRun() };
}

function machineTitle(machine: string): string {
  const base = machine.split(/[\\/]/).pop() ?? machine;
  return base.replace(/\.json$/, "");
}
