// One V8 inspector session for the whole host, attached to every driver worker through the
// NodeWorker domain. It is what keeps a memory bomb in a driver from taking the host down: with the
// worker's Debugger enabled, V8 pauses it with reason "OOM" near its heap limit instead of aborting
// the process (shared/notes/worker-inspector-feasibility.md, Q3 and P5; our own test covers arrays,
// a growing Map, an object gaining keys and strings). The debug adapter will drive the same links.

import inspector from "node:inspector";
import type { Worker } from "node:worker_threads";

export interface WorkerLink {
  readonly sessionId: string;
  /** Send a CDP command to the worker; resolves with its result. */
  send(method: string, params?: object): Promise<unknown>;
  /** Events from the worker (Debugger.paused, …). */
  onEvent(listener: (method: string, params: Record<string, unknown>) => void): void;
}

interface PendingAttach {
  threadId: number;
  resolve(link: WorkerLink): void;
}

interface Link extends WorkerLink {
  listeners: ((method: string, params: Record<string, unknown>) => void)[];
  calls: Map<number, { resolve(v: unknown): void; reject(e: Error): void }>;
}

type Notification = { method: string; params: Record<string, unknown> };

/** How long a new worker may take to attach before it is given up (wall ms; startup is ~50 ms). */
const ATTACH_TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class InspectorHub {
  private static shared: InspectorHub | undefined;
  private readonly session = new inspector.Session();
  private readonly links = new Map<string, Link>();
  private readonly pending: PendingAttach[] = [];
  private nextId = 1;
  /** Creations are serialised: NodeWorker.enable holds every new worker of the process while on. */
  private queue: Promise<unknown> = Promise.resolve();

  static get(): InspectorHub {
    return (InspectorHub.shared ??= new InspectorHub());
  }

  private connected = false;
  private active = 0;

  private constructor() {
    this.session.on("inspectorNotification", (n: Notification) => this.onNotification(n));
  }

  /** Create a worker held at start, attach to it, enable its Debugger, then let it run. */
  attach(create: () => Worker): Promise<{ worker: Worker; link: WorkerLink }> {
    this.active++;
    const run = async () => {
      if (!this.connected) {
        this.session.connect();
        this.connected = true;
      }
      await this.post("NodeWorker.enable", { waitForDebuggerOnStart: true });
      let worker: Worker;
      let attached: Promise<WorkerLink>;
      try {
        worker = create();
        attached = new Promise<WorkerLink>((resolve) => this.pending.push({ threadId: worker.threadId, resolve }));
      } catch (error) {
        await this.post("NodeWorker.disable", {});
        this.done();
        throw error;
      }
      try {
        const link = await withTimeout(attached, ATTACH_TIMEOUT_MS, "the worker never showed up in the inspector");
        await this.post("NodeWorker.disable", {});
        await withTimeout(link.send("Debugger.enable", {}), ATTACH_TIMEOUT_MS, "the worker's Debugger did not answer");
        await withTimeout(
          link.send("Runtime.runIfWaitingForDebugger", {}),
          ATTACH_TIMEOUT_MS,
          "the worker did not start",
        );
        return { worker, link };
      } catch (error) {
        // Never leave the queue (and so every later driver) stuck behind one worker.
        this.pending.splice(this.pending.findIndex((p) => p.threadId === worker.threadId) >>> 0, 1);
        await this.post("NodeWorker.disable", {}).catch(() => undefined);
        void worker.terminate();
        this.done();
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Forget a worker that ended. */
  release(link: WorkerLink): void {
    const l = this.links.get(link.sessionId);
    if (!l) return;
    for (const call of l.calls.values()) call.reject(new Error("worker ended"));
    this.links.delete(link.sessionId);
    this.done();
  }

  /** An open session keeps the host alive: close it when no worker needs it. */
  private done(): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active === 0 && this.connected) {
      this.session.disconnect();
      this.connected = false;
    }
  }

  private post(method: string, params: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  }

  private onNotification(n: Notification): void {
    if (n.method === "NodeWorker.attachedToWorker") this.onAttached(n.params);
    else if (n.method === "NodeWorker.receivedMessageFromWorker") this.onMessage(n.params);
    else if (n.method === "NodeWorker.detachedFromWorker") this.links.delete(String(n.params.sessionId));
  }

  private onAttached(params: Record<string, unknown>): void {
    const sessionId = String(params.sessionId);
    const info = params.workerInfo as { title?: string } | undefined;
    // NodeWorker's workerId is its own counter; the title is "[worker <threadId>] <name>".
    const index =
      params.waitingForDebugger === true
        ? this.pending.findIndex((p) => info?.title?.startsWith(`[worker ${p.threadId}]`))
        : -1;
    if (index < 0) {
      // Somebody else's worker (another extension's, a loader's) caught while we had NodeWorker
      // enabled: let it run. An already running worker reported again needs nothing. Neither is
      // detached: a rare abort (about 1 run in 100 under load) was seen with detaches racing worker
      // teardown, and an idle extra session costs nothing.
      if (params.waitingForDebugger === true) {
        void this.post("NodeWorker.sendMessageToWorker", {
          sessionId,
          message: JSON.stringify({ id: 0, method: "Runtime.runIfWaitingForDebugger" }),
        }).catch(() => undefined);
      }
      return;
    }
    const [pending] = this.pending.splice(index, 1);
    const link: Link = {
      sessionId,
      listeners: [],
      calls: new Map(),
      send: (method, p = {}) =>
        new Promise((resolve, reject) => {
          const id = this.nextId++;
          link.calls.set(id, { resolve, reject });
          this.post("NodeWorker.sendMessageToWorker", {
            sessionId,
            message: JSON.stringify({ id, method, params: p }),
          }).catch((e: Error) => {
            link.calls.delete(id);
            reject(e);
          });
        }),
      onEvent: (listener) => link.listeners.push(listener),
    };
    this.links.set(sessionId, link);
    pending.resolve(link);
  }

  private onMessage(params: Record<string, unknown>): void {
    const link = this.links.get(String(params.sessionId));
    if (!link) return;
    const msg = JSON.parse(String(params.message)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
      method?: string;
      params?: Record<string, unknown>;
    };
    if (msg.id !== undefined) {
      const call = link.calls.get(msg.id);
      link.calls.delete(msg.id);
      if (msg.error) call?.reject(new Error(msg.error.message));
      else call?.resolve(msg.result);
      return;
    }
    if (msg.method) for (const l of link.listeners) l(msg.method, msg.params ?? {});
  }
}
