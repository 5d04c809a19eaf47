// The machine console of one debug session, as a typed stream: what console devices (UART,
// virtio-console) transmit and what programs write with SYS_CONSOLE_WRITE comes out; keystrokes go in
// to a console device. The extension routes it to a VS Code terminal; the adapter also copies it to
// the debug console as `output` events unless told a terminal shows it.

export interface ConsoleChunk {
  /** The device that transmitted it ("uart0", "virtio-console0"), or "kernel" for SYS_CONSOLE_WRITE. */
  device: string;
  text: string;
}

export interface Disposable {
  dispose(): void;
}

export interface MachineConsoleStream {
  /** Hear console output from now on. */
  onOutput(listener: (chunk: ConsoleChunk) => void): Disposable;
  /** Hear when the run ends (the terminal can say so and stop taking input). */
  onEnd(listener: () => void): Disposable;
  /** Send keystrokes to a console device; returns why not, or undefined when delivered. */
  input(device: string, text: string): string | undefined;
  /** The machine's console devices (empty before launch). */
  devices(): string[];
  /** Also copy console output to the debug console (default true). */
  echoToDebugConsole: boolean;
}

/** The session side: feeds the stream. */
export class MachineConsole implements MachineConsoleStream {
  echoToDebugConsole = true;
  private readonly listeners = new Set<(chunk: ConsoleChunk) => void>();
  private readonly endListeners = new Set<() => void>();

  constructor(
    private readonly send: (device: string, bytes: Uint8Array) => string | undefined,
    private readonly list: () => string[],
  ) {}

  onOutput(listener: (chunk: ConsoleChunk) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  onEnd(listener: () => void): Disposable {
    this.endListeners.add(listener);
    return { dispose: () => this.endListeners.delete(listener) };
  }

  input(device: string, text: string): string | undefined {
    return this.send(device, new TextEncoder().encode(text));
  }

  devices(): string[] {
    return this.list();
  }

  emit(chunk: ConsoleChunk): void {
    for (const l of [...this.listeners]) l(chunk);
  }

  end(): void {
    for (const l of [...this.endListeners]) l();
  }
}
