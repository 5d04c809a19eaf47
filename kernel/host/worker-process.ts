// Host side of one worker-thread process: starts the worker, waits for its syscalls without ever
// blocking the event loop (Atomics.waitAsync), posts results, attaches DMA memory, and ends it.

import { MessageChannel, Worker } from "node:worker_threads";
import { HostMailbox, MailboxState, Word, type SyscallRequest } from "../worker/mailbox";
import type { BootstrapData } from "../worker/bootstrap";
import { InspectorHub, type WorkerLink } from "./inspector-hub";
import { bootstrapPath } from "./paths";
import { beginSlice, type RunningSlice } from "./memory-guard";
import { lifecycleStep } from "./worker-lifecycle";
import type { WasmImage } from "../worker/wasm-runtime";

export type WorkerGoneKind = "memory-limit" | "worker";

export interface WorkerProcessEvents {
  /** The worker posted a syscall. */
  onSyscall(request: SyscallRequest): void;
  /** The worker ended or failed on its own (not through terminate()). */
  onWorkerGone(reason: string, kind: WorkerGoneKind): void;
}

export interface WorkerProcessOptions {
  code: string;
  /** A Zero OS WASM program instead of a script bundle (then `code` is unused). */
  wasm?: WasmImage;
  filename: string;
  seed: number;
  epochMs: number;
  /** Heap limit of the driver's isolate. */
  memoryMb: number;
  /** Shown as the worker's title in debuggers and profilers. */
  title: string;
  /** A source-level debugger for this worker (the debug adapter); without one, pauses are resumed. */
  debug?: (link: WorkerLink) => WorkerDebugClient;
}

/** What a debugger attached to a worker's inspector does with it. */
export interface WorkerDebugClient {
  /** Settles once breakpoints are in place: the worker gets its first run token only then, so a
   *  breakpoint on the driver's first lines is bound before they run. */
  ready: Promise<void>;
  /** A Debugger.paused that is not OOM; true when the debugger keeps the worker paused. */
  paused(params: Record<string, unknown>): boolean;
}

/** Off-heap memory an isolate holds before any driver code (Node's own buffers), on top of the
 *  driver's budget; measured at 2.5 MiB on Node 20. */
const OFF_HEAP_BASELINE_MB = 16;
/** Resident growth allowed while a worker runs between two syscalls: its heap and its off-heap
 *  budget may both fill, plus what the host does meanwhile. */
const sliceAllowanceBytes = (memoryMb: number): number => (2 * memoryMb + 64) * 2 ** 20;
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** How long the host waits for a worker's stack (captureStack) before reporting without it (wall
 *  ms). The worker answers from a futex wake, in microseconds; this only bounds a stuck one. */
const STACK_TIMEOUT_MS = 500;

/** How long the host spins for a worker's next syscall before sleeping (wall ms). */
const HOST_SPIN_MS = 0.03;

/** Bounds how long the host serves syscalls from microtasks before letting its event loop run. */
const HostPump = {
  since: 0,
  /** True when the current burst has lasted long enough that the next turn should be a macrotask. */
  shouldYield(): boolean {
    const now = performance.now();
    if (this.since === 0) this.since = now;
    if (now - this.since < 2) return false;
    this.since = 0;
    return true;
  },
  /** The host slept in waitAsync: the event loop ran, a new burst begins. */
  slept(): void {
    this.since = 0;
  },
};

// An eval'd one-liner, not the file itself: file workers stop at "Break on start" whenever a
// Debugger is enabled on them (notes P1); eval workers do not.
const BOOTSTRAP = `require(require("node:worker_threads").workerData.bootstrap)`;

export class WorkerProcess {
  private readonly mailbox = HostMailbox.create();
  private readonly attachmentPort;
  private worker: Worker | undefined;
  private link: WorkerLink | undefined;
  private waiting = false;
  private ended = false;
  /** The worker's V8 is stopped in the inspector (a breakpoint, a step, an OOM). */
  private inspectorPaused = false;
  private markClosed: () => void = () => undefined;
  /** Resolves once the worker thread is gone (or was never started). */
  private readonly closedPromise = new Promise<void>((resolve) => (this.markClosed = resolve));
  private debugClient: WorkerDebugClient | undefined;
  /** False while a debugger is preparing the worker; the first resume() waits for it. */
  private ready: boolean;
  private heldStart: (() => void) | undefined;
  /** Measures host memory while this worker holds the run token (memory-guard.ts). */
  private slice: RunningSlice | undefined;

  constructor(
    private readonly options: WorkerProcessOptions,
    private readonly events: WorkerProcessEvents,
  ) {
    this.ready = options.debug === undefined;
    const channel = new MessageChannel();
    this.attachmentPort = channel.port1;
    const data: BootstrapData & { bootstrap: string } = {
      bootstrap: bootstrapPath(),
      mailbox: this.mailbox.buffer,
      attachments: channel.port2,
      code: options.code,
      // WASM linear memory lives outside the V8 heap that resourceLimits caps, so the same budget
      // bounds it separately (64 KiB pages).
      wasm: options.wasm && { ...options.wasm, memoryLimitPages: Math.floor((options.memoryMb * 2 ** 20) / 65536) },
      filename: options.filename,
      seed: options.seed,
      epochMs: options.epochMs,
    };
    const create = () =>
      new Worker(BOOTSTRAP, {
        eval: true,
        name: options.title,
        workerData: data,
        transferList: [channel.port2],
        execArgv: [],
        env: {},
        stdout: true,
        stderr: true,
        resourceLimits: {
          maxOldGenerationSizeMb: options.memoryMb,
          maxYoungGenerationSizeMb: Math.min(32, Math.max(4, options.memoryMb / 8)),
        },
      });
    const attached = lifecycleStep<{ worker: Worker; link: WorkerLink | undefined }>(() =>
      process.env.ZDS_NO_INSPECTOR === "1" ? startBare(create) : InspectorHub.get().attach(create),
    );
    attached.then(
      ({ worker, link }) => this.started(worker, link),
      (error: unknown) => {
        this.markClosed(); // there is no thread to wait for
        this.gone(`cannot start the worker: ${error instanceof Error ? error.message : String(error)}`, "worker");
      },
    );
  }

  private started(worker: Worker, link: WorkerLink | undefined): void {
    this.worker = worker;
    this.link = link;
    // Worker stdout/stderr are not the machine console; driver output goes through syscalls.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on("error", (err) =>
      this.gone(`worker failed: ${err instanceof Error ? err.message : String(err)}`, "worker"),
    );
    worker.on("exit", (code) => this.gone(`worker exited with code ${code}`, "worker"));
    link?.onEvent((method, params) => {
      if (method === "Debugger.resumed") {
        this.inspectorPaused = false;
        this.slice?.rebase();
      }
      if (method !== "Debugger.paused") return;
      this.inspectorPaused = true;
      if (params.reason === "OOM") {
        this.gone("memory limit exceeded: the driver's heap reached its limit", "memory-limit");
        return;
      }
      if (this.debugClient?.paused(params)) return;
      // A `debugger;` statement with no debugging session attached: carry on.
      void link?.send("Debugger.resume").catch(() => undefined);
    });
    if (this.ended) this.stopWorker();
    if (link && this.options.debug) {
      // Listeners first (notes P2), then let the debugger set its breakpoints.
      const client = this.options.debug(link);
      this.debugClient = client;
      void client.ready.catch(() => undefined).then(() => this.release());
    } else this.release();
  }

  private release(): void {
    this.ready = true;
    const start = this.heldStart;
    this.heldStart = undefined;
    start?.();
  }

  /** Give the run token: post the result of the pending syscall (or the start) and wait for the next. */
  resume(result: number, payload?: Uint8Array, attachment?: SharedArrayBuffer): void {
    if (this.ended) return;
    if (!this.ready) {
      this.heldStart = () => this.resume(result, payload, attachment);
      return;
    }
    if (attachment) this.attachmentPort.postMessage(attachment);
    this.mailbox.respond(result, payload, attachment !== undefined);
    this.slice?.end();
    this.slice = beginSlice(
      sliceAllowanceBytes(this.options.memoryMb),
      (grown) =>
        this.gone(
          `memory limit exceeded: the host's memory grew by ${mib(grown)} MiB while the driver ran without a syscall (its limit is ${this.options.memoryMb} MiB)`,
          "memory-limit",
        ),
      () => this.inspectorPaused,
    );
    this.awaitRequest();
  }

  /** Where the driver is, while it waits in a syscall (mailbox requestStack): for a violation the
   *  kernel found, so that the report names the driver's line. Undefined for a WASM program, a worker
   *  stopped in the inspector, or one that does not answer in time. */
  captureStack(): string | undefined {
    if (this.ended || !this.worker || this.inspectorPaused || this.options.wasm) return undefined;
    return this.mailbox.requestStack(STACK_TIMEOUT_MS);
  }

  /** Stop the worker. Safe to call more than once. */
  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    this.slice?.end();
    this.attachmentPort.close();
    this.stopWorker();
  }

  /** Resolves when the worker thread has ended: a host must not exit while workers are still
   *  being torn down under the inspector (that can abort the whole process). */
  closed(): Promise<void> {
    return this.closedPromise;
  }

  /** terminate() never resolves on a paused worker unless it is resumed too (notes P4). */
  private stopWorker(): void {
    const { worker, link } = this;
    if (!worker) return;
    void lifecycleStep(() => {
      const ended = worker.terminate();
      // Only a paused worker needs the resume (P4); a message sent to a worker that is already being
      // torn down is the prime suspect of a rare abort, so none is sent otherwise.
      if (link && this.inspectorPaused) void link.send("Debugger.resume").catch(() => undefined);
      return ended;
    })
      .catch(() => undefined)
      .finally(() => {
        if (link) InspectorHub.get().release(link);
        this.markClosed();
      });
  }

  private awaitRequest(): void {
    if (this.waiting || this.ended) return;
    this.waiting = true;
    // A run of quick syscalls is served from microtasks; every so often the host takes a macrotask
    // turn so that its timers and I/O (the watchdog, a debugger, the editor) are never starved.
    if (HostPump.shouldYield()) setImmediate(() => this.poll());
    else queueMicrotask(() => this.poll());
  }

  /** Catch a quick answer by spinning briefly; otherwise sleep in Atomics.waitAsync (a futex wake
   *  costs tens of µs on these machines, more than most syscalls take to post). */
  private poll(): void {
    if (this.ended) return;
    const words = this.mailbox.words;
    let state = Atomics.load(words, Word.STATE);
    if (state !== MailboxState.REQUEST) {
      const until = performance.now() + HOST_SPIN_MS;
      while (state !== MailboxState.REQUEST && performance.now() < until) state = Atomics.load(words, Word.STATE);
    }
    if (state === MailboxState.REQUEST) {
      this.waiting = false;
      this.deliver();
      return;
    }
    const wait = Atomics.waitAsync(words, Word.STATE, state);
    const next = (): void => {
      this.waiting = false;
      HostPump.slept();
      this.awaitRequest();
    };
    if (wait.async) void wait.value.then(next);
    else queueMicrotask(next);
  }

  private deliver(): void {
    if (this.ended) return;
    this.slice?.end();
    this.slice = undefined;
    // ArrayBuffers and typed arrays live outside the heap resourceLimits caps: the same budget
    // bounds them, as reported by the trusted runtime with this request.
    const offHeap = this.mailbox.offHeapBytes();
    if (offHeap > (this.options.memoryMb + OFF_HEAP_BASELINE_MB) * 2 ** 20) {
      this.gone(
        `memory limit exceeded: ${mib(offHeap)} MiB of off-heap memory (ArrayBuffers, typed arrays) over the driver's ${this.options.memoryMb} MiB limit`,
        "memory-limit",
      );
      return;
    }
    // Only a REQUEST is acted on; the worker moves RESPONSE → RUNNING → REQUEST itself.
    this.events.onSyscall(this.mailbox.readRequest());
  }

  private gone(reason: string, kind: WorkerGoneKind): void {
    if (this.ended) return;
    this.ended = true;
    this.slice?.end();
    this.attachmentPort.close();
    this.stopWorker();
    this.events.onWorkerGone(reason, kind);
  }
}

/** A worker without the inspector: its start step ends once its isolate runs. */
function startBare(create: () => Worker): Promise<{ worker: Worker; link: undefined }> {
  const worker = create();
  return new Promise((resolve) => {
    const done = () => resolve({ worker, link: undefined });
    worker.once("online", done);
    worker.once("exit", done);
  });
}
