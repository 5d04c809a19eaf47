// Host side of one worker-thread process: starts the worker, waits for its syscalls without ever
// blocking the event loop (Atomics.waitAsync), posts results, attaches DMA memory, and ends it.

import { MessageChannel, Worker } from "node:worker_threads";
import { HostMailbox, MailboxState, Word, type SyscallRequest } from "../worker/mailbox";
import type { BootstrapData } from "../worker/bootstrap";
import { bootstrapPath } from "./paths";

export interface WorkerProcessEvents {
  /** The worker posted a syscall. */
  onSyscall(request: SyscallRequest): void;
  /** The worker ended or failed on its own (not through terminate()). */
  onWorkerGone(reason: string): void;
}

export interface WorkerProcessOptions {
  code: string;
  filename: string;
  seed: number;
  epochMs: number;
}

export class WorkerProcess {
  private readonly mailbox = HostMailbox.create();
  private readonly worker: Worker;
  private readonly attachmentPort;
  private waiting = false;
  private ended = false;

  constructor(options: WorkerProcessOptions, private readonly events: WorkerProcessEvents) {
    const channel = new MessageChannel();
    this.attachmentPort = channel.port1;
    const data: BootstrapData = {
      mailbox: this.mailbox.buffer,
      attachments: channel.port2,
      code: options.code,
      filename: options.filename,
      seed: options.seed,
      epochMs: options.epochMs,
    };
    this.worker = new Worker(bootstrapPath(), {
      workerData: data,
      transferList: [channel.port2],
      execArgv: [],
      env: {},
      stdout: true,
      stderr: true,
      // A runaway allocation ends the worker instead of the host (best effort: see notes P5).
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
    });
    // Worker stdout/stderr are not the machine console; driver output goes through syscalls.
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on("error", (err) => this.gone(`worker failed: ${err instanceof Error ? err.message : String(err)}`));
    this.worker.on("exit", (code) => this.gone(`worker exited with code ${code}`));
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  /** Give the run token: post the result of the pending syscall (or the start) and wait for the next. */
  resume(result: number, payload?: Uint8Array, attachment?: SharedArrayBuffer): void {
    if (this.ended) return;
    if (attachment) this.attachmentPort.postMessage(attachment);
    this.mailbox.respond(result, payload, attachment !== undefined);
    this.awaitRequest();
  }

  /** Stop the worker. Safe to call more than once. */
  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    this.attachmentPort.close();
    void this.worker.terminate();
  }

  private awaitRequest(): void {
    if (this.waiting || this.ended) return;
    const state = this.mailbox.state();
    if (state === MailboxState.REQUEST) {
      this.deliver();
      return;
    }
    this.waiting = true;
    const wait = Atomics.waitAsync(this.mailbox.words, Word.STATE, state);
    const next = (): void => {
      this.waiting = false;
      this.awaitRequest();
    };
    if (wait.async) void wait.value.then(next);
    else queueMicrotask(next);
  }

  private deliver(): void {
    if (this.ended) return;
    // Only a REQUEST is acted on; the worker moves RESPONSE → RUNNING → REQUEST itself.
    this.events.onSyscall(this.mailbox.readRequest());
  }

  private gone(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.attachmentPort.close();
    this.events.onWorkerGone(reason);
  }
}
