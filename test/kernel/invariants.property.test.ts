// Issue 3 part 5: the Zero OS invariants as properties. fast-check drives the real Kernel with
// random syscalls from several processes (valid and invalid arguments, forged slots, odd lengths,
// revoked and expired capabilities) and after every step checks that nothing escaped, that the
// kernel's own state is sound (kernel/invariants.ts), and that the Zero OS properties hold against
// an independent oracle: the Axiom check as the spec writes it (zero-os-abi.md §4.4) and a shadow of
// the derivation relation built from what the syscalls returned.
//
// No workers: each process's ProcessHost is a fake that records resume(), so the harness knows who
// holds the run token. Kernel.submit() is synchronous (it dispatches and resumes the next process),
// so a run is a plain loop.

import assert from "node:assert/strict";
import fc from "fast-check";
import { createMachine, loadMachineDescription, type Machine } from "../../devices";
import { ObjectType, Perm } from "../../kernel/abi/caps";
import { Errno, describeError } from "../../kernel/abi/errors";
import { isKnownSyscall, Pid, Sys, syscallName } from "../../kernel/abi/syscalls";
import { Tag } from "../../kernel/abi/tags";
import { decodeWireMessage, utf8Encode } from "../../kernel/abi/wire";
import type { Capability } from "../../kernel/cspace";
import { checkInvariants } from "../../kernel/invariants";
import { Kernel } from "../../kernel/kernel";
import type { WorkerEvents } from "../../kernel/kernel-types";
import { ENDPOINT_QUEUE_LIMIT } from "../../kernel/objects";
import type { KernelProcess, ProcessHost } from "../../kernel/process";
import type { SyscallRequest } from "../../kernel/worker/mailbox";
import { KernelRig, type Resumed } from "../helpers/kernel-rig";

// ── the programs: small manifests so that services, lookups and hardware caps exist ─────────────

interface TestManifest {
  name: string;
  device?: object;
  caps: Record<string, { kind: string; service?: string; [field: string]: unknown }>;
}

const MANIFESTS: readonly TestManifest[] = [
  { name: "alpha", caps: { svc: { kind: "serve", service: "alpha" }, peer: { kind: "client", service: "beta" } } },
  { name: "beta", caps: { svc: { kind: "serve", service: "beta" }, peer: { kind: "client", service: "alpha" } } },
  { name: "client-ab", caps: { a: { kind: "client", service: "alpha" }, b: { kind: "client", service: "beta" } } },
  { name: "client-a", caps: { a: { kind: "client", service: "alpha" } } },
  // Hardware: a read-only MMIO window, an IRQ with its notification endpoint, a DMA budget.
  {
    name: "rng-drv",
    device: { virtio: 4 },
    caps: { regs: { kind: "mmio", size: 0x100, rights: "r" }, irq: { kind: "irq" }, buf: { kind: "dma", size: 8192 } },
  },
  // Read-only I/O ports of the ATA disk.
  {
    name: "ata-ro",
    device: { ports: { first: 0x1f0, last: 0x1f7 } },
    caps: { io: { kind: "ports", first: 0x1f0, last: 0x1f7, rights: "r" } },
  },
  // Serves a name another program already serves: init refuses it at start (a fault, not a crash).
  { name: "alpha-again", caps: { svc: { kind: "serve", service: "alpha" } } },
];
const SERVICES = ["alpha", "beta", "gamma"];

/** Syscalls whose first step is the Axiom check of the slot in a0. */
const CHECKS_A0 = new Set<number>([
  Sys.SEND,
  Sys.RECV,
  Sys.RECV_WAIT,
  Sys.CALL,
  Sys.SEND_CAP,
  Sys.CAP_GRANT,
  Sys.CAP_DERIVE,
  Sys.CAP_REVOKE,
  Sys.CAP_INSPECT,
  Sys.DELETE_ENDPOINT,
  Sys.MMIO_READ,
  Sys.MMIO_WRITE,
  Sys.IN8,
  Sys.IN16,
  Sys.IN32,
  Sys.OUT8,
  Sys.OUT16,
  Sys.OUT32,
  Sys.IRQ_ACK,
  Sys.IRQ_MASK,
  Sys.IRQ_UNMASK,
  Sys.DMA_FREE,
]);

// ── random steps ────────────────────────────────────────────────────────────────────────────────

/** One step: raw random numbers the harness interprets against the current state, so a step is
 *  model-aware (it mostly names slots the process learned) yet shrinks like plain data. */
interface Step {
  op: number;
  a: number;
  b: number;
  c: number;
  d: number;
}
const stepArb: fc.Arbitrary<Step> = fc.record({ op: fc.nat(999), a: fc.nat(), b: fc.nat(), c: fc.nat(), d: fc.nat() });

interface Scenario {
  programs: number[];
  compat: boolean;
  steps: Step[];
}

/** Operations and their relative weights. */
const OPS = [
  ["send", 60],
  ["recv", 100],
  ["recvWait", 45],
  ["call", 55],
  ["reply", 50],
  ["sendCap", 60],
  ["grant", 80],
  ["derive", 80],
  ["revoke", 45],
  ["delete", 35],
  ["inspect", 20],
  ["list", 10],
  ["createEndpoint", 40],
  ["deleteEndpoint", 20],
  ["initCall", 60],
  ["kill", 10],
  ["misc", 50],
  ["text", 15],
  ["unknown", 20],
  ["initOnly", 10],
  ["hardware", 45],
  ["startupAgain", 5],
  ["exit", 2],
  ["fault", 1],
  ["workerGone", 2],
  ["staleSubmit", 27],
] as const;
type OpName = (typeof OPS)[number][0];
const OP_TABLE: OpName[] = OPS.flatMap(([name, w]) => Array<OpName>(w).fill(name));

// ── the harness ─────────────────────────────────────────────────────────────────────────────────

type Observed = { kind: "result"; result: number; payload?: Uint8Array } | { kind: "blocked" } | { kind: "ended" };

interface Proc {
  pid: number;
  kp: KernelProcess;
  events: WorkerEvents;
  manifest: TestManifest;
  started: boolean;
  /** Slots the process was told about by a result (conventional 0–2, STARTUP handles, returned
   *  slots, received capabilities); the generator draws from these, including lost ones. */
  learned: Set<number>;
  /** The syscall it waits in while blocked, with the capability it named. */
  waiting?: { req: SyscallRequest; cap: Capability | undefined; blockedAt: number };
}

/** CSpaces of every live process: pid → slot → capability record (records are never mutated). */
type Snapshot = Map<number, Map<number, Capability>>;

const stats = { runs: 0, steps: 0, syscalls: 0, ms: 0, outcomes: new Map<string, number>() };

class Harness {
  readonly kernel: Kernel;
  readonly machine: Machine;
  readonly procs: Proc[] = [];
  readonly kernelFaults: string[] = [];
  private holder: number | undefined;
  private resumed = new Map<number, { result: number; payload?: Uint8Array }>();
  // Shadow of the derivation relation, from syscall results only.
  private readonly childrenOf = new Map<number, number[]>();
  private readonly revoked = new Set<number>();
  private readonly inFlight = new Set<number>();
  private readonly everSeen = new Set<number>();
  private snapshot: Snapshot = new Map();
  /** Owner of each DMA object as of the last step (its buffer's capabilities all go with it). */
  private dmaOwner = new Map<number, number>();

  constructor(scenario: Scenario, seed: number) {
    this.machine = createMachine(loadMachineDescription("virt"), { seed });
    this.kernel = new Kernel({
      machine: this.machine,
      seed,
      compat: scenario.compat,
      output: {
        console: () => undefined,
        debug: () => undefined,
        // The kernel catches its own exceptions and faults the caller "kernel error …": for this
        // test that is a crash.
        fault: (p, f) => {
          if (f.message.startsWith("kernel error")) this.kernelFaults.push(`pid ${p.pid}: ${f.message}`);
        },
      },
    });
    for (const index of scenario.programs) {
      const manifest = MANIFESTS[index % MANIFESTS.length];
      const ref = { pid: 0 };
      let events: WorkerEvents | undefined;
      const host: ProcessHost = {
        resume: (result, payload) => {
          assert.equal(this.holder, undefined, "two processes hold the run token");
          this.holder = ref.pid;
          this.resumed.set(ref.pid, { result, payload });
        },
        terminate: () => undefined,
      };
      const kp = this.kernel.spawn(manifest.name, `test:${index}`, (e) => {
        events = e;
        return host;
      });
      ref.pid = kp.pid;
      assert.ok(events);
      this.procs.push({ pid: kp.pid, kp, events, manifest, started: false, learned: new Set([0, 1, 2]) });
    }
    this.snapshot = this.takeSnapshot();
    for (const caps of this.snapshot.values()) for (const cap of caps.values()) this.everSeen.add(cap.id);
    this.kernel.start();
  }

  close(): void {
    void this.kernel.shutdown();
    this.machine.close();
  }

  get tokenHolder(): Proc | undefined {
    return this.procs.find((p) => p.pid === this.holder);
  }

  private takeSnapshot(): Snapshot {
    const s: Snapshot = new Map();
    for (const p of this.procs) if (p.kp.alive) s.set(p.pid, new Map(p.kp.cspace.entries()));
    return s;
  }

  private closure(id: number): number[] {
    const out: number[] = [];
    const stack = [id];
    while (stack.length) {
      const x = stack.pop()!;
      out.push(x);
      stack.push(...(this.childrenOf.get(x) ?? []));
    }
    return out;
  }

  private link(child: number, parent: number): void {
    const list = this.childrenOf.get(parent) ?? [];
    list.push(child);
    this.childrenOf.set(parent, list);
  }

  /** What the process sees for its syscall after this step. */
  private observe(p: Proc): Observed {
    const r = this.resumed.get(p.pid);
    if (r) return { kind: "result", ...r };
    if (!p.kp.alive) return { kind: "ended" };
    if (p.kp.state === "blocked") return { kind: "blocked" };
    if (p.kp.state === "ready" && p.kp.pending)
      return { kind: "result", result: p.kp.pending.result, payload: p.kp.pending.payload };
    return { kind: "ended" };
  }

  // ── building a request from random numbers ─────────────────────────────────────────────────────

  private pickSlot(
    p: Proc,
    n: number,
    prefer?: (cap: Capability) => boolean,
    strong?: (cap: Capability) => boolean,
  ): number {
    const held = p.kp.cspace.entries();
    if (strong && (n >>> 12) % 2 === 0) {
      const best = held.filter(([, cap]) => strong(cap));
      if (best.length && n % 20 > 1) return best[(n >>> 5) % best.length][0];
    }
    const mode = n % 20;
    if (mode === 0) return [0xffffffff, 0x80000000, 4096, 1e6, 65536, 2 ** 31 - 1][(n >>> 5) % 6]; // forged
    if (mode === 1) return held.length ? held[held.length - 1][0] + 1 + ((n >>> 5) % 3) : (n >>> 5) % 8; // not yet issued
    const learned = [...p.learned];
    if (mode < 5 || !held.length) return learned[(n >>> 5) % learned.length]; // possibly lost: revoked, deleted, moved, expired
    const good = prefer ? held.filter(([, cap]) => prefer(cap)) : held;
    const from = good.length ? good : held;
    return from[(n >>> 5) % from.length][0];
  }

  private payload(n: number, limit: number): Uint8Array {
    const sizes = [0, 1, 4, 9, 16, 33, 100, limit - 1, limit, limit + 1, 16_356];
    const len = n % 4 === 0 ? sizes[(n >>> 2) % sizes.length] : (n >>> 2) % 48;
    const out = new Uint8Array(Math.max(0, len));
    for (let i = 0; i < out.length; i++) out[i] = (n * 31 + i * 7) & 0xff;
    return out;
  }

  /** a2 for a payload: usually its length, sometimes a lie. */
  private lengthArg(len: number, n: number): number {
    const m = n % 16;
    if (m === 0) return len + 1;
    if (m === 1) return 0xffffffff;
    if (m === 2 && len > 0) return len - 1;
    return len;
  }

  private pidArg(n: number): number {
    const m = n % 10;
    if (m === 0) return [0, 1, 999, 0xffffffff][(n >>> 4) % 4];
    return this.procs[(n >>> 4) % this.procs.length].pid;
  }

  private nameRequest(name: string, extra?: Uint8Array): Uint8Array {
    const bytes = utf8Encode(name);
    const out = new Uint8Array(1 + bytes.length + (extra?.length ?? 0));
    out[0] = bytes.length;
    out.set(bytes, 1);
    if (extra) out.set(extra, 1 + bytes.length);
    return out;
  }

  build(p: Proc, s: Step): { op: OpName; req?: SyscallRequest; target?: Proc } {
    // A server that owes replies mostly answers them, so callers get replies and not only failures.
    const op: OpName = p.kp.owedReplies.size > 0 && s.op % 3 === 0 ? "reply" : OP_TABLE[s.op % OP_TABLE.length];
    const limit = this.kernel.limits.bytes;
    const isEndpoint = (cap: Capability): boolean => cap.objectType === ObjectType.Endpoint;
    const endpointOf = (cap: Capability) => (isEndpoint(cap) ? this.kernel.endpoints.get(cap.objectId) : undefined);
    // Strong preferences make IPC meet: send where someone else listens, receive where mail waits.
    const elsewhere = (cap: Capability): boolean => {
      const ep = endpointOf(cap);
      return (
        ep !== undefined &&
        (ep.waiters.length > 0 || (ep.owner !== p.pid && ep.owner !== Pid.INIT)) &&
        (cap.perms & Perm.WRITE) !== 0
      );
    };
    const mail = (cap: Capability): boolean =>
      (endpointOf(cap)?.queue.length ?? 0) > 0 && (cap.perms & Perm.READ) !== 0;
    const borrowedRead = (cap: Capability): boolean =>
      isEndpoint(cap) && cap.parent !== undefined && (cap.perms & Perm.READ) !== 0;
    const req = (num: number, a0 = 0, a1 = 0, a2 = 0, payload: Uint8Array = new Uint8Array(0)): SyscallRequest => ({
      num,
      a0: a0 >>> 0,
      a1: a1 >>> 0,
      a2: a2 >>> 0,
      payload,
    });
    switch (op) {
      case "send":
      case "call": {
        const payload = this.payload(s.c, limit);
        // A CALL on one's own endpoint only deadlocks: mostly make it a SEND unless someone else listens.
        if (op === "call" && s.d % 8 !== 0) {
          const listening = p.kp.cspace.entries().filter(([, c]) => elsewhere(c));
          if (!listening.length)
            return {
              op: "send",
              req: req(Sys.SEND, this.pickSlot(p, s.a, isEndpoint), s.b, this.lengthArg(payload.length, s.d), payload),
            };
          return {
            op,
            req: req(Sys.CALL, listening[s.a % listening.length][0], s.b, this.lengthArg(payload.length, s.d), payload),
          };
        }
        return {
          op,
          req: req(
            op === "send" ? Sys.SEND : Sys.CALL,
            this.pickSlot(p, s.a, isEndpoint, elsewhere),
            s.b,
            this.lengthArg(payload.length, s.d),
            payload,
          ),
        };
      }
      case "recv":
      case "recvWait":
        return {
          op,
          req: req(
            op === "recv" ? Sys.RECV : Sys.RECV_WAIT,
            this.pickSlot(
              p,
              s.a,
              s.b % 3 === 0 ? borrowedRead : (c) => isEndpoint(c) && (c.perms & Perm.READ) !== 0,
              mail,
            ),
          ),
        };
      case "reply": {
        const owed = [...p.kp.owedReplies];
        const caller = owed.length && s.a % 8 !== 0 ? owed[s.a % owed.length] : this.pidArg(s.a);
        const payload = this.payload(s.c, limit);
        return { op, req: req(Sys.REPLY, caller, s.b, this.lengthArg(payload.length, s.d), payload) };
      }
      case "sendCap": {
        const ncaps = s.b % 10 < 7 ? s.b % 3 : [3, 4, 5, 8, 9, 0xffff][s.b % 6];
        const body = this.payload(s.c % 3 === 0 ? s.c : s.c % 40, limit);
        const slots: number[] = [];
        for (let i = 0; i < Math.min(ncaps, 12); i++)
          slots.push(
            s.d % 13 === 0 && i > 0
              ? slots[0]
              : this.pickSlot(p, (s.d >>> (i * 3)) + i * 7919, (c) => (c.perms & Perm.GRANT) !== 0),
          );
        const payload = new Uint8Array(body.length + 4 * slots.length);
        payload.set(body);
        const view = new DataView(payload.buffer);
        slots.forEach((slot, i) => view.setUint32(body.length + 4 * i, slot, true));
        const a2 =
          s.d % 11 === 0 ? (body.length + 1) | (ncaps << 16) : (body.length & 0xffff) | ((ncaps & 0xffff) << 16);
        return { op, req: req(Sys.SEND_CAP, this.pickSlot(p, s.a, isEndpoint, elsewhere), s.b, a2, payload) };
      }
      case "grant": {
        const perms = s.c % 3 === 0 ? s.c >>> 2 : [Perm.READ, Perm.WRITE, Perm.READ | Perm.WRITE, Perm.ALL, 0][s.c % 5];
        return {
          op,
          req: req(
            Sys.CAP_GRANT,
            this.pickSlot(p, s.a, (c) => (c.perms & Perm.GRANT) !== 0),
            this.pidArg(s.b),
            perms,
          ),
          target: this.procs.find((q) => q.pid === this.pidArg(s.b)),
        };
      }
      case "derive": {
        const perms =
          s.c % 3 === 0
            ? s.c >>> 2
            : [
                Perm.READ,
                Perm.WRITE,
                Perm.READ | Perm.WRITE,
                Perm.ALL,
                Perm.WRITE | Perm.GRANT,
                Perm.READ | Perm.GRANT,
              ][s.c % 6];
        // Lifetime in virtual µs (one syscall costs 1 µs): mostly none, often short, rarely huge.
        const lifetime = s.d % 5 < 3 ? 0 : s.d % 5 === 3 ? 1 + (s.d % 60) : s.d;
        return { op, req: req(Sys.CAP_DERIVE, this.pickSlot(p, s.a), perms, lifetime) };
      }
      case "revoke":
        return {
          op,
          req: req(
            Sys.CAP_REVOKE,
            this.pickSlot(p, s.a, (c) => (c.perms & Perm.GRANT) !== 0),
          ),
        };
      case "delete":
        return { op, req: req(Sys.CAP_DELETE, this.pickSlot(p, s.a)) };
      case "inspect":
        return { op, req: req(Sys.CAP_INSPECT, this.pickSlot(p, s.a)) };
      case "list":
        return { op, req: req(s.a % 2 ? Sys.CAP_LIST : Sys.PS) };
      case "createEndpoint":
        return { op, req: req(Sys.CREATE_ENDPOINT, s.a % 4 === 0 ? s.a : 0) };
      case "deleteEndpoint":
        return { op, req: req(Sys.DELETE_ENDPOINT, this.pickSlot(p, s.a, isEndpoint)) };
      case "initCall": {
        // REGISTER_SERVICE / LOOKUP_SERVICE on slot 2 (usually Init's endpoint), well-formed or not.
        // Mostly what the program's manifest allows (serve → register, client → look up), so
        // services come up and clients get send rights; sometimes any name, tag or shape.
        const caps = Object.values(p.manifest.caps);
        const serves = caps.filter((c) => c.kind === "serve").map((c) => c.service!);
        const uses = caps.filter((c) => c.kind === "client").map((c) => c.service!);
        let tag: number = [Tag.REGISTER_SERVICE, Tag.LOOKUP_SERVICE, Tag.LOOKUP_SERVICE, 0x1003][s.a % 4];
        let name = SERVICES[s.b % SERVICES.length];
        if (s.a % 8 < 3 && serves.length) [tag, name] = [Tag.REGISTER_SERVICE, serves[s.b % serves.length]];
        else if (s.a % 8 < 6 && uses.length) [tag, name] = [Tag.LOOKUP_SERVICE, uses[s.b % uses.length]];
        let payload = this.nameRequest(name);
        if (s.c % 5 === 0)
          payload = new Uint8Array(s.c % 3); // malformed
        else if (tag === Tag.REGISTER_SERVICE && s.c % 5 === 1)
          payload = this.nameRequest(name, new Uint8Array(8).fill(s.c & 0xff));
        const slot = s.d % 8 === 0 ? this.pickSlot(p, s.d) : 2;
        return { op, req: req(Sys.CALL, slot, tag, payload.length, payload) };
      }
      case "kill":
        return { op, req: req(Sys.KILL, this.pidArg(s.a)) };
      case "misc": {
        const m = s.a % 6;
        if (m === 0) return { op, req: req(Sys.YIELD) };
        if (m === 1) return { op, req: req(Sys.NOP) };
        if (m === 2) return { op, req: req(Sys.TIME, s.b % 4) };
        if (m === 3) return { op, req: req(Sys.WALLCLOCK, s.b % 5) };
        return { op, req: req(Sys.RANDOM, s.b % 3 === 0 ? s.b : s.b % 300) };
      }
      case "text": {
        const payload = s.b % 3 === 0 ? Uint8Array.of(0xff, 0xfe, 0x41) : utf8Encode(`step ${s.c % 1000}`);
        return {
          op,
          req: req(s.a % 2 ? Sys.DEBUG : Sys.CONSOLE_WRITE, this.lengthArg(payload.length, s.d), 0, 0, payload),
        };
      }
      case "unknown": {
        const num = [
          0x08, 0x0f, 0x10, 0x18, 0x24, 0x36, 0x46, 0x4f, 0x54, 0x70, 0x80, 0x90, 0xef, 0xf2, 0x100, 0xffffffff,
        ][s.a % 16];
        return { op, req: req(num, s.b, s.c, s.d, this.payload(s.c, limit)) };
      }
      case "initOnly":
        return {
          op,
          req: req(
            [Sys.REGISTER_PROCESS, Sys.CREATE_ENDPOINT_FOR, Sys.LOAD_BINARY, Sys.SPAWN_PROCESS][s.a % 4],
            s.b % 8,
            s.c,
            0,
            this.nameRequest("x"),
          ),
        };
      case "hardware": {
        const m = s.a % 8;
        const hw = (t: number) => (c: Capability) => c.objectType === t;
        if (m === 0)
          return {
            op,
            req: req(
              Sys.MMIO_READ,
              this.pickSlot(p, s.b, hw(ObjectType.Memory)),
              [0, 4, 8, 0x70, 0xfc, 0x100, 3][s.c % 7],
              [1, 2, 4, 8, 3][s.d % 5],
            ),
          };
        if (m === 1) {
          const width = [1, 2, 4, 8, 3][s.d % 5];
          return {
            op,
            req: req(
              Sys.MMIO_WRITE,
              this.pickSlot(p, s.b, hw(ObjectType.Memory)),
              [0, 4, 0x70, 0x100, 2][s.c % 5],
              width,
              new Uint8Array(s.c % 7 === 0 ? 1 : Math.min(width, 8)),
            ),
          };
        }
        if (m === 2)
          return {
            op,
            req: req([Sys.IRQ_ACK, Sys.IRQ_MASK, Sys.IRQ_UNMASK][s.c % 3], this.pickSlot(p, s.b, hw(ObjectType.Irq))),
          };
        if (m === 3) return { op, req: req(Sys.DMA_ALLOC, [0, 1, 4096, 4097, 8192, 1 << 30][s.c % 6]) };
        if (m === 4)
          return {
            op,
            req: req(
              Sys.DMA_FREE,
              this.pickSlot(p, s.b, hw(ObjectType.Dma)),
              0,
              0,
              new Uint8Array(s.c % 9 === 0 ? 1 : 0),
            ),
          };
        const num = [Sys.IN8, Sys.IN16, Sys.IN32, Sys.OUT8, Sys.OUT16, Sys.OUT32][s.c % 6];
        return {
          op,
          req: req(
            num,
            this.pickSlot(p, s.b, hw(ObjectType.IoPort)),
            [0x1f0, 0x1f7, 0x1f6, 0x1ef, 0x3f6][s.d % 5],
            s.d,
          ),
        };
      }
      case "startupAgain":
        return {
          op,
          req: req(Sys.STARTUP, 0, 0, 0, s.a % 2 ? utf8Encode(JSON.stringify(p.manifest)) : utf8Encode("{not json")),
        };
      case "exit":
        return { op, req: req(Sys.EXIT, s.a) };
      case "fault":
        return { op, req: req(Sys.FAULT, 0, 0, 0, utf8Encode("test: driver threw")) };
      case "workerGone":
      case "staleSubmit":
        return { op, target: this.procs[s.a % this.procs.length] };
    }
  }

  // ── one step ─────────────────────────────────────────────────────────────────────────────────

  /** Run one step; returns false when no process holds the token any more (the run is over). */
  step(s: Step): boolean {
    const p = this.tokenHolder;
    if (!p) {
      // Everyone waits (deadlock is allowed): a worker crash is the only outside event left. It
      // fails the calls pending on that process, so the others may run on.
      const stuck = this.procs.filter((q) => q.kp.alive);
      if (!stuck.length) return false;
      stats.steps++;
      const target = stuck[s.a % stuck.length];
      const pre = this.snapshot;
      const now = this.kernel.now();
      const blockedBefore = stuck.filter((q) => q.kp.state === "blocked");
      const lookupWaiters = new Set(blockedBefore.filter((q) => q.kp.blockedOn?.kind === "lookup").map((q) => q.pid));
      this.resumed.clear();
      target.events.onWorkerGone("test: worker crashed while everyone waited", "worker");
      this.afterStep(target, undefined, "workerGone(idle)", pre, now, blockedBefore, lookupWaiters, []);
      return true;
    }
    stats.steps++;
    let built = this.build(p, s);
    // The bootstrap's first call is always STARTUP with the program's manifest.
    if (!p.started)
      built = {
        op: "startupAgain",
        req: { num: Sys.STARTUP, a0: 0, a1: 0, a2: 0, payload: utf8Encode(JSON.stringify(p.manifest)) },
      };
    const k = this.kernel;
    // Deadlock is legal but ends the interesting part of a run: the last runnable process blocks
    // only one time in eight; otherwise it makes the non-blocking form of the call.
    if (built.req && k.internals().ready.size === 0 && s.d % 8 !== 0 && this.mayBlock(p, built.req)) {
      const r = built.req;
      built =
        r.num === Sys.RECV_WAIT
          ? { op: "recv", req: { ...r, num: Sys.RECV } }
          : r.a1 === Tag.LOOKUP_SERVICE
            ? { op: "misc", req: { ...r, num: Sys.YIELD } }
            : { op: "send", req: { ...r, num: Sys.SEND } };
    }
    const pre = this.snapshot;
    const now = k.now();
    const blockedBefore = this.procs.filter((q) => q.kp.alive && q.kp.state === "blocked");
    const lookupWaiters = new Set(blockedBefore.filter((q) => q.kp.blockedOn?.kind === "lookup").map((q) => q.pid));
    const problems: string[] = [];

    if (built.op === "staleSubmit" || built.op === "workerGone") {
      const target = built.target!;
      if (built.op === "staleSubmit") {
        // Only the token holder may make a syscall: anyone else's request is ignored entirely.
        if (target === p) return true;
        const before = { syscalls: k.syslog.syscallCount, commits: k.commits.count, state: target.kp.state };
        k.submit(target.kp, { num: Sys.CAP_DELETE, a0: 0, a1: 0, a2: 0, payload: new Uint8Array(0) });
        const after = { syscalls: k.syslog.syscallCount, commits: k.commits.count, state: target.kp.state };
        assert.deepEqual(
          after,
          before,
          `a syscall from pid ${target.pid}, which does not hold the token, had an effect`,
        );
        assert.equal(this.holder, p.pid);
        return true;
      }
      // The worker dies (OOM, crash): the kernel faults the process, wherever it is.
      this.resumed.clear();
      if (target === p) this.holder = undefined;
      target.events.onWorkerGone("test: worker crashed", "worker");
      this.afterStep(p, undefined, built.op, pre, now, blockedBefore, lookupWaiters, problems);
      return true;
    }

    const req = built.req!;
    const callerCap = pre.get(p.pid)?.get(req.a0);
    const expect = this.predict(p, req, callerCap, now);
    this.resumed.clear();
    this.holder = undefined;
    stats.syscalls++;
    k.submit(p.kp, req);
    const got = this.observe(p);
    const key = `${built.op}:${got.kind === "result" ? (got.result < 0 ? describeError(got.result).split(" ")[0] : "ok") : got.kind}`;
    stats.outcomes.set(key, (stats.outcomes.get(key) ?? 0) + 1);
    const verdict = expect(got);
    if (verdict)
      problems.push(
        `${syscallName(req.num)}(${req.a0}, ${req.a1}, ${req.a2}; ${req.payload.length} bytes) by pid ${p.pid}: ${verdict}`,
      );
    if (req.num === Sys.STARTUP && !p.started) p.started = true;
    if (
      (req.num === Sys.SEND || req.num === Sys.SEND_CAP || (req.num === Sys.CALL && got.kind === "blocked")) &&
      (got.kind === "blocked" || (got.kind === "result" && got.result === 0))
    ) {
      const why = this.checkSenderIdentity(p, req, callerCap!);
      if (why) problems.push(`${syscallName(req.num)} by pid ${p.pid}: ${why}`);
    }
    this.learnFromResult(p, req, got, callerCap, problems);
    this.afterStep(p, req, built.op, pre, now, blockedBefore, lookupWaiters, problems);
    return true;
  }

  private mayBlock(p: Proc, req: SyscallRequest): boolean {
    if (req.num !== Sys.RECV_WAIT && req.num !== Sys.CALL) return false;
    const cap = p.kp.cspace.get(req.a0);
    const ep = cap?.objectType === ObjectType.Endpoint ? this.kernel.endpoints.get(cap.objectId) : undefined;
    if (!ep) return false;
    if (req.num === Sys.RECV_WAIT) return ep.queue.length === 0;
    if (ep.owner !== Pid.INIT) return true;
    const name = new TextDecoder().decode(req.payload.subarray(1, 1 + (req.payload[0] ?? 0)));
    return (
      req.a1 === Tag.LOOKUP_SERVICE &&
      !this.kernel.init.serviceList().some((x) => x.name === name && x.ready && this.kernel.processes.get(x.pid)?.alive)
    );
  }

  /** Sender identity comes from who made the syscall, never from the payload (invariant 10): the
   *  message just sent is at the tail of the endpoint's queue, or was handed to a waiter. */
  private checkSenderIdentity(p: Proc, req: SyscallRequest, cap: Capability): string | undefined {
    const len = req.num === Sys.SEND_CAP ? req.a2 & 0xffff : req.payload.length;
    const body = req.payload.subarray(0, len);
    const same = (sender: number, tag: number, payload: Uint8Array): boolean =>
      sender === p.pid && tag === req.a1 && payload.length === body.length && payload.every((b, i) => b === body[i]);
    const ep = this.kernel.endpoints.get(cap.objectId);
    if (ep?.owner === Pid.INIT) return undefined; // init answers its calls itself; nothing is queued
    const tail = ep?.queue.at(-1);
    if (tail && same(tail.sender, tail.tag, tail.payload)) return undefined;
    for (const q of this.procs) {
      if (q === p) continue;
      const o = this.observe(q);
      const msg = o.kind === "result" && o.result === 1 && o.payload ? decodeWireMessage(o.payload) : undefined;
      if (msg && same(msg.sender, msg.tag, msg.payload)) return undefined;
    }
    return "the message sent is neither queued nor delivered with the caller's PID, tag and payload";
  }

  /** Slots a result tells the process about. */
  private learnFromResult(
    p: Proc,
    req: SyscallRequest,
    got: Observed,
    cap: Capability | undefined,
    problems: string[],
  ): void {
    if (got.kind === "blocked") {
      p.waiting = { req, cap, blockedAt: this.kernel.now() };
      return;
    }
    if (got.kind !== "result" || got.result < 0) return;
    const r = got.result;
    switch (req.num) {
      case Sys.CREATE_ENDPOINT:
        p.learned.add(Math.floor(r / 0x1_0000_0000));
        break;
      case Sys.CAP_DERIVE:
      case Sys.DMA_ALLOC:
        p.learned.add(r);
        break;
      case Sys.CAP_GRANT:
        this.procs.find((q) => q.pid === req.a1)?.learned.add(r);
        break;
      case Sys.RECV:
      case Sys.RECV_WAIT:
      case Sys.CALL:
        if (r === 1) {
          const msg = got.payload && decodeWireMessage(got.payload);
          if (!msg) problems.push(`pid ${p.pid}: ${syscallName(req.num)} result 1 without a decodable message`);
          else for (const slot of msg.caps) p.learned.add(slot);
        }
        break;
      case Sys.STARTUP:
        if (got.payload && got.payload.length) {
          const info = JSON.parse(new TextDecoder().decode(got.payload)) as {
            handles: Record<string, { slot?: number; endpointSlot?: number }>;
          };
          for (const h of Object.values(info.handles)) {
            if (h.slot !== undefined) p.learned.add(h.slot);
            if (h.endpointSlot !== undefined) p.learned.add(h.endpointSlot);
          }
        }
        break;
    }
  }

  /** The spec's Axiom check (zero-os-abi.md §4.4), the oracle for fail-closed and rights. */
  private axiom(cap: Capability | undefined, required: number, type: number | undefined, now: number): number {
    if (!cap) return Errno.E_BADF;
    if (type !== undefined && cap.objectType !== type) return Errno.E_BADF;
    if ((cap.perms & required) !== required) return Errno.E_PERM;
    if (cap.expiresAt !== 0 && now > cap.expiresAt) return Errno.E_PERM;
    return 0;
  }

  /** What the syscall must do, decided from the state before it. Returns a checker. */
  private predict(
    p: Proc,
    req: SyscallRequest,
    cap: Capability | undefined,
    now: number,
  ): (o: Observed) => string | undefined {
    const k = this.kernel;
    const show = (o: Observed): string =>
      o.kind === "result" ? `${o.result}${o.result < 0 ? ` ${describeError(o.result)}` : ""}` : o.kind;
    const is = (result: number) => (o: Observed) =>
      o.kind === "result" && o.result === result
        ? undefined
        : `expected ${result < 0 ? describeError(result) : result}, got ${show(o)}`;
    const err = (errno: number) => is(-errno);
    const okResult = (o: Observed) =>
      o.kind === "result" && o.result >= 0 ? undefined : `expected success, got ${show(o)}`;
    const blocked = (o: Observed) => (o.kind === "blocked" ? undefined : `expected to block, got ${show(o)}`);
    const anything = () => undefined;
    const limits = k.limits;
    const lenOk = req.a2 === req.payload.length && req.payload.length <= limits.bytes;
    const ep = cap?.objectType === ObjectType.Endpoint ? k.endpoints.get(cap.objectId) : undefined;
    const full = ep !== undefined && ep.queue.length >= ENDPOINT_QUEUE_LIMIT && ep.waiters.length === 0;
    const check = (required: number, type: number | undefined): number => this.axiom(cap, required, type, now);

    switch (req.num) {
      case Sys.SEND: {
        const e = check(Perm.WRITE, ObjectType.Endpoint);
        if (e) return err(e); // fail closed; no sending without write
        if (!ep) return err(Errno.E_NOENT);
        if (!lenOk) return err(Errno.E_INVAL); // message limit: 4 096 bytes (16 384 in compat)
        return full ? err(Errno.E_AGAIN) : is(0);
      }
      case Sys.RECV:
      case Sys.RECV_WAIT: {
        const e = check(Perm.READ, ObjectType.Endpoint);
        if (e) return err(e); // only holders of a read capability receive
        if (!ep) return err(Errno.E_NOENT);
        if (ep.queue.length) return is(1);
        if (req.num === Sys.RECV) return is(0);
        // It blocks; if that left nobody runnable, the kernel's idle SHUTDOWN notice wakes it at once.
        return (o) => {
          if (o.kind === "blocked") return undefined;
          const msg = o.kind === "result" && o.result === 1 && o.payload ? decodeWireMessage(o.payload) : undefined;
          return msg && msg.sender === Pid.KERNEL && msg.tag === Tag.SHUTDOWN
            ? undefined
            : `expected to block, got ${show(o)}`;
        };
      }
      case Sys.CALL: {
        const e = check(Perm.WRITE, ObjectType.Endpoint);
        if (e) return err(e);
        if (!ep) return err(Errno.E_NOENT);
        if (!lenOk) return err(Errno.E_INVAL);
        if (ep.owner === Pid.INIT)
          return (o) =>
            o.kind === "blocked" || (o.kind === "result" && o.result === 1) ? undefined : `init call: ${show(o)}`;
        return full ? err(Errno.E_AGAIN) : blocked;
      }
      case Sys.REPLY:
        if (!p.kp.owedReplies.has(req.a0)) return err(Errno.E_NOENT); // no reply without a received call
        return lenOk ? is(0) : err(Errno.E_INVAL);
      case Sys.SEND_CAP: {
        const e = check(Perm.WRITE, ObjectType.Endpoint);
        if (e) return err(e);
        if (!ep) return err(Errno.E_NOENT);
        const len = req.a2 & 0xffff;
        const ncaps = req.a2 >>> 16;
        if (ncaps > limits.caps || len > limits.bytes || req.payload.length !== len + 4 * ncaps)
          return err(Errno.E_INVAL); // 4 caps (8 in compat)
        const view = new DataView(req.payload.buffer, req.payload.byteOffset + len, 4 * ncaps);
        const slots = Array.from({ length: ncaps }, (_, i) => view.getUint32(4 * i, true));
        if (new Set(slots).size !== slots.length) return err(Errno.E_INVAL);
        for (const slot of slots) {
          const e2 = this.axiom(p.kp.cspace.get(slot), Perm.GRANT, undefined, now); // moving a capability needs its grant right
          if (e2) return err(e2);
        }
        return full ? err(Errno.E_AGAIN) : is(0);
      }
      case Sys.CAP_GRANT: {
        const e = check(Perm.GRANT, undefined);
        if (e) return err(e);
        if ((req.a2 & Perm.ALL & ~cap!.perms) !== 0) return err(Errno.E_PERM); // no rights escalation
        if (!this.procs.find((q) => q.pid === req.a1)?.kp.alive) return err(Errno.E_NOENT);
        return okResult;
      }
      case Sys.CAP_DERIVE: {
        const e = check(0, undefined);
        if (e) return err(e);
        if ((req.a1 & Perm.ALL & ~cap!.perms) !== 0) return err(Errno.E_PERM);
        return okResult;
      }
      case Sys.CAP_REVOKE: {
        const e = check(Perm.GRANT, undefined);
        return e ? err(e) : is(0);
      }
      case Sys.CAP_DELETE:
        return cap ? is(0) : err(Errno.E_BADF);
      case Sys.CAP_INSPECT: {
        const e = check(0, undefined);
        return e ? err(e) : is(1);
      }
      case Sys.CAP_LIST:
      case Sys.PS:
      case Sys.YIELD:
      case Sys.NOP:
        return is(0);
      case Sys.CREATE_ENDPOINT:
        return okResult;
      case Sys.DELETE_ENDPOINT: {
        const e = check(Perm.GRANT, ObjectType.Endpoint);
        if (e) return err(e);
        if (!ep) return err(Errno.E_NOENT);
        return ep.owner === p.pid ? is(0) : err(Errno.E_PERM);
      }
      case Sys.KILL: {
        // Nobody holds a Process capability (the kernel mints none), so no KILL can succeed.
        const target = this.procs.find((q) => q.pid === req.a0);
        return !target?.kp.alive || req.a0 === Pid.INIT ? err(Errno.E_NOENT) : err(Errno.E_PERM);
      }
      case Sys.TIME:
      case Sys.WALLCLOCK:
        return req.a0 <= 2 ? okResult : err(Errno.E_INVAL);
      case Sys.RANDOM:
        return req.a0 > 256
          ? err(Errno.E_INVAL)
          : (o) =>
              o.kind === "result" && o.result === req.a0 && o.payload?.length === req.a0
                ? undefined
                : `RANDOM(${req.a0}): ${show(o)}`;
      case Sys.DEBUG:
      case Sys.CONSOLE_WRITE:
        if (req.a0 !== req.payload.length) return err(Errno.E_INVAL);
        return (o) => (o.kind === "result" && (o.result === 0 || o.result === -Errno.E_INVAL) ? undefined : show(o));
      case Sys.REGISTER_PROCESS:
      case Sys.CREATE_ENDPOINT_FOR:
        return err(Errno.E_PERM);
      case Sys.LOAD_BINARY:
      case Sys.SPAWN_PROCESS:
        return is(-4);
      case Sys.STARTUP:
        if (p.started) return err(Errno.E_EXIST);
        return (o) =>
          o.kind === "ended" || (o.kind === "result" && o.result === 0) ? undefined : `STARTUP: ${show(o)}`;
      case Sys.EXIT:
      case Sys.FAULT:
        return (o) => (o.kind === "ended" ? undefined : `expected the process to end, got ${show(o)}`);
      case Sys.MMIO_READ:
      case Sys.MMIO_WRITE: {
        const e = check(0, ObjectType.Memory);
        if (e) return err(e);
        // Writing through a read-only window is never performed: refused (bad width) or faulted.
        if (req.num === Sys.MMIO_WRITE && !(cap!.perms & Perm.WRITE))
          return (o) =>
            o.kind === "ended" || (o.kind === "result" && o.result === -Errno.E_INVAL)
              ? undefined
              : `write through a read-only MMIO capability: ${show(o)}`;
        return anything;
      }
      case Sys.IN8:
      case Sys.IN16:
      case Sys.IN32:
      case Sys.OUT8:
      case Sys.OUT16:
      case Sys.OUT32: {
        const e = check(0, ObjectType.IoPort);
        if (e) return err(e);
        if (req.num >= Sys.OUT8 && !(cap!.perms & Perm.WRITE))
          return (o) => (o.kind === "ended" ? undefined : `OUT through a read-only port capability: ${show(o)}`);
        return anything;
      }
      case Sys.IRQ_ACK:
      case Sys.IRQ_MASK:
      case Sys.IRQ_UNMASK: {
        const e = check(0, ObjectType.Irq);
        return e ? err(e) : anything;
      }
      case Sys.DMA_FREE: {
        if (req.payload.length !== 0) return err(Errno.E_INVAL);
        const e = check(0, ObjectType.Dma);
        return e ? err(e) : anything;
      }
      case Sys.DMA_ALLOC:
        return anything;
      default:
        return isKnownSyscall(req.num) ? anything : err(Errno.E_NOSYS);
    }
  }

  /** After a step: the capability diff against the shadow model, deliveries, and invariants. */
  private afterStep(
    p: Proc,
    req: SyscallRequest | undefined,
    op: string,
    pre: Snapshot,
    now: number,
    blockedBefore: Proc[],
    lookupWaiters: Set<number>,
    problems: string[],
  ): void {
    const k = this.kernel;
    const post = this.takeSnapshot();
    const preCaller = pre.get(p.pid);
    const gotCaller = this.observe(p);
    const callerResult = gotCaller.kind === "result" ? gotCaller.result : undefined;

    // Processes that were blocked and got an answer in this step.
    for (const q of blockedBefore) {
      if (q === p || !q.waiting) continue;
      const o = this.observe(q);
      if (o.kind === "blocked") continue;
      const w = q.waiting;
      q.waiting = undefined;
      if (o.kind !== "result") continue;
      const key = `woken:${syscallName(w.req.num)}:${o.result < 0 ? describeError(o.result).split(" ")[0] : "ok"}`;
      stats.outcomes.set(key, (stats.outcomes.get(key) ?? 0) + 1);
      this.learnFromResult(q, w.req, o, w.cap, problems);
      // Only a holder of a valid read capability receives: the waiter must still hold, at delivery,
      // the capability it blocked on, unrevoked and unexpired.
      if (w.req.num === Sys.RECV_WAIT && o.result === 1) {
        const held = pre.get(q.pid)?.get(w.req.a0);
        const e = this.axiom(held, Perm.READ, ObjectType.Endpoint, now);
        if (e || held?.id !== w.cap?.id)
          problems.push(
            `pid ${q.pid} received on slot ${w.req.a0} (blocked since ${w.blockedAt}) although at delivery its capability was ${held ? `cap ${held.id} (${describeError(-e)})` : "gone"}`,
          );
      }
    }

    // Revocations this step, from the shadow relation.
    const expected = new Set<number>();
    const revokeTree = (id: number): void => {
      for (const x of this.closure(id)) expected.add(x);
    };
    if (req && callerResult === 0 && req.num === Sys.CAP_REVOKE && preCaller?.get(req.a0))
      revokeTree(preCaller.get(req.a0)!.id);
    // DMA_FREE (by the owner only) revokes the buffer's root: every capability to that buffer.
    const freedDma =
      req && req.num === Sys.DMA_FREE && callerResult === 0 ? preCaller?.get(req.a0)?.objectId : undefined;
    const deadOwners = new Set([...pre.keys()].filter((pid) => !post.has(pid)));
    const goneDma = (cap: { objectType: number; objectId: number }): boolean =>
      cap.objectType === ObjectType.Dma &&
      (cap.objectId === freedDma || deadOwners.has(this.dmaOwner.get(cap.objectId) ?? -1));
    for (const [pid, caps] of pre) {
      if (!post.has(pid)) for (const cap of caps.values()) revokeTree(cap.id); // died: everything it held, and all derived
      for (const cap of caps.values()) if (goneDma(cap)) revokeTree(cap.id); // its buffers, wherever lent
    }
    // Lazy expiry: an expired capability that went away takes its descendants with it.
    // (CAP_DELETE of an expired capability is a deletion, not a revocation: its descendants stay.)
    const deleted = req?.num === Sys.CAP_DELETE && callerResult === 0 ? preCaller?.get(req.a0)?.id : undefined;
    for (const caps of pre.values()) {
      for (const cap of caps.values()) {
        // A Dma capability expires eagerly (at expiresAt + 1, even during the step's own time).
        const expired = now > cap.expiresAt || (cap.objectType === ObjectType.Dma && k.now() > cap.expiresAt);
        if (cap.expiresAt !== 0 && expired && cap.id !== deleted && !this.isHeld(post, cap.id)) revokeTree(cap.id);
      }
    }
    for (const id of expected) this.revoked.add(id);

    // Every capability that vanished has a cause.
    const moved = new Set<number>();
    if (req?.num === Sys.SEND_CAP && callerResult === 0) {
      const len = req.a2 & 0xffff;
      const view = new DataView(req.payload.buffer, req.payload.byteOffset + len, req.payload.length - len);
      for (let i = 0; i + 4 <= view.byteLength; i += 4) {
        const cap = preCaller?.get(view.getUint32(i, true));
        if (cap) moved.add(cap.id);
      }
    }
    for (const [pid, caps] of pre) {
      const after = post.get(pid);
      for (const [slot, cap] of caps) {
        if (after?.get(slot)?.id === cap.id) continue;
        if (!after) continue; // its holder died
        if (this.revoked.has(cap.id)) continue;
        if (moved.has(cap.id) && pid === p.pid) {
          this.inFlight.add(cap.id);
          continue;
        }
        if (req?.num === Sys.CAP_DELETE && pid === p.pid && slot === req.a0 && callerResult === 0) continue;
        problems.push(`cap ${cap.id} vanished from pid ${pid} slot ${slot} with no cause (after ${op})`);
      }
    }

    // Every capability that appeared was handed out legitimately: no forged capability.
    for (const [pid, caps] of post) {
      const before = pre.get(pid);
      const q = this.procs.find((x) => x.pid === pid)!;
      for (const [slot, cap] of caps) {
        if (this.revoked.has(cap.id))
          problems.push(
            `revoked cap ${cap.id} is held by pid ${pid} slot ${slot} (revocation must reach everything derived)`,
          );
        if (!q.learned.has(slot))
          problems.push(`pid ${pid} holds slot ${slot} (cap ${cap.id}) that no result told it about`);
        if (before?.get(slot)?.id === cap.id) continue;
        if (before?.get(slot)) problems.push(`pid ${pid} slot ${slot} was overwritten (slots are never reused)`);
        if (this.everSeen.has(cap.id)) {
          if (!this.inFlight.delete(cap.id))
            problems.push(`cap ${cap.id} reappeared in pid ${pid} slot ${slot} without being in flight`);
          continue;
        }
        this.everSeen.add(cap.id);
        const why = this.explainNew(p, req, callerResult, pre, pid, slot, cap, lookupWaiters, now);
        if (why)
          problems.push(
            `forged capability: cap ${cap.id} at pid ${pid} slot ${slot} (type ${cap.objectType}, perms ${cap.perms}): ${why}`,
          );
      }
    }

    // A used expired capability is gone afterwards (lazy expiry revokes it at its first use).
    if (req && preCaller && CHECKS_A0.has(req.num) && !(req.num === Sys.DMA_FREE && req.payload.length)) {
      const cap = preCaller.get(req.a0);
      if (cap && cap.expiresAt !== 0 && now > cap.expiresAt && this.isHeld(post, cap.id))
        problems.push(`expired cap ${cap.id} was used (${syscallName(req.num)}) and is still held`);
    }

    problems.push(...this.kernelFaults.splice(0));
    problems.push(...checkInvariants(k).map((m) => `invariant: ${m}`));
    this.dmaOwner = new Map(
      [...k.hardware].flatMap(([id, obj]) => (obj.type === "dma" ? [[id, obj.owner] as [number, number]] : [])),
    );
    this.snapshot = post;
    if (problems.length) throw new Error(`after ${op} (step ${stats.steps}):\n  ${problems.join("\n  ")}`);
  }

  private isHeld(s: Snapshot, id: number): boolean {
    for (const caps of s.values()) for (const cap of caps.values()) if (cap.id === id) return true;
    return false;
  }

  /** Why a new capability may exist; undefined when it is explained. */
  private explainNew(
    p: Proc,
    req: SyscallRequest | undefined,
    r: number | undefined,
    pre: Snapshot,
    pid: number,
    slot: number,
    cap: Capability,
    lookupWaiters: Set<number>,
    now: number,
  ): string | undefined {
    const source = req ? pre.get(p.pid)?.get(req.a0) : undefined;
    const child = (perms: number, lifetime: number): string | undefined => {
      if (!source) return "derived from nothing";
      if (cap.parent !== source.id) return `its parent is ${cap.parent}, the source was ${source.id}`;
      if (cap.perms !== (perms & Perm.ALL) || (cap.perms & ~source.perms) !== 0)
        return `rights ${cap.perms} from a source with ${source.perms} asking ${perms & Perm.ALL}`;
      if (cap.objectType !== source.objectType || cap.objectId !== source.objectId)
        return "names another object than its source";
      if (cap.generation !== source.generation) return "a different generation than its source";
      const own = lifetime === 0 ? 0 : now + lifetime * 1000;
      const want = source.expiresAt === 0 ? own : own === 0 ? source.expiresAt : Math.min(own, source.expiresAt);
      if (cap.expiresAt !== want) return `expires at ${cap.expiresAt}, expected ${want}`;
      this.link(cap.id, source.id);
      return undefined;
    };
    if (req && r !== undefined && r >= 0) {
      if (pid === p.pid && req.num === Sys.CREATE_ENDPOINT && slot === Math.floor(r / 0x1_0000_0000)) {
        return cap.parent === undefined &&
          cap.objectType === ObjectType.Endpoint &&
          cap.perms === Perm.ALL &&
          cap.objectId === r % 0x1_0000_0000
          ? undefined
          : "not the endpoint CREATE_ENDPOINT reported";
      }
      if (pid === p.pid && req.num === Sys.CAP_DERIVE && slot === r) return child(req.a1, req.a2);
      if (pid === req.a1 && req.num === Sys.CAP_GRANT && slot === r) return child(req.a2, 0);
      if (pid === p.pid && req.num === Sys.STARTUP && r === 0)
        return cap.parent === undefined ? undefined : "STARTUP made a non-root";
      if (pid === p.pid && req.num === Sys.DMA_ALLOC && slot === r)
        return cap.parent === undefined && cap.objectType === ObjectType.Dma ? undefined : "not a DMA root";
    }
    // A LOOKUP_SERVICE answer: a fresh write-only root to the service, to the looker-up.
    const lookup = (pid === p.pid && req?.num === Sys.CALL && r === 1) || lookupWaiters.has(pid);
    if (lookup && cap.parent === undefined && cap.objectType === ObjectType.Endpoint && cap.perms === Perm.WRITE)
      return undefined;
    return `no syscall of this step (${req ? syscallName(req.num) : "none"} by pid ${p.pid} → ${r}) hands it out`;
  }
}

// ── the properties ──────────────────────────────────────────────────────────────────────────────

const scenarioArb = (maxSteps: number): fc.Arbitrary<Scenario> =>
  fc.record({
    // 2–5 processes: mostly the service pair and clients, sometimes a hardware driver or a refused one.
    programs: fc.uniqueArray(
      fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }) },
        { weight: 1, arbitrary: fc.integer({ min: 4, max: 6 }) },
      ),
      { minLength: 2, maxLength: 5 },
    ),
    compat: fc.constant(false),
    steps: fc.array(stepArb, { minLength: 20, maxLength: maxSteps, size: "max" }),
  });

function runScenario(scenario: Scenario): void {
  stats.runs++;
  const h = new Harness(scenario, 1 + (stats.runs % 7));
  try {
    let n = 0;
    for (const s of scenario.steps) {
      if (!h.step(s)) break;
      n++;
    }
    if (process.env.ZDS_PROPERTY_DEBUG)
      console.log(
        `run: ${n}/${scenario.steps.length} steps; ${h.procs.map((q) => `${q.pid}:${q.kp.state}${q.kp.blockedOn ? "/" + q.kp.blockedOn.kind : ""}${q.kp.faults.map((f) => " " + f.kind + ": " + f.message.slice(0, 80)).join("")}`).join(", ")}`,
      );
  } finally {
    h.close();
  }
}

describe("kernel invariants as properties (fast-check, fixed seeds)", function () {
  // The work is fixed (run counts, seeds); the limits below are far above it (~7 s here, ~20 s on a
  // loaded machine) so a busy machine never turns into a failure. They only bound a shrink.
  this.timeout(300_000);
  // ZDS_PROPERTY_RUNS scales the run counts up for a longer local hunt (CI uses the defaults).
  const scale = Number(process.env.ZDS_PROPERTY_RUNS ?? 1);
  const RUNS = Math.max(1, Math.round(900 * scale));
  const COMPAT_RUNS = Math.max(1, Math.round(200 * scale));
  const MAX_STEPS = 300;
  // Shrinking a 300-step failure can take long: it is bounded, and what was shrunk by then is reported.
  const budget = {
    interruptAfterTimeLimit: 240_000,
    markInterruptAsFailure: true,
    endOnFailure: process.env.ZDS_PROPERTY_NO_SHRINK === "1",
  };

  after(() => {
    const top = [...stats.outcomes.entries()].sort((a, b) => b[1] - a[1]);
    const okCount = top.filter(([k]) => k.endsWith(":ok")).reduce((n, [, c]) => n + c, 0);
    console.log(
      `      invariants property: ${stats.runs} runs, ${stats.steps} random steps (${stats.syscalls} syscalls, ${okCount} succeeded) in ${Math.round(stats.ms)} ms`,
    );
    if (process.env.ZDS_PROPERTY_STATS) console.log(top.map(([k, c]) => `${k}=${c}`).join(" "));
  });

  it(`random syscalls from 2–5 processes never crash the kernel and keep every invariant (${RUNS} runs × ≤ ${MAX_STEPS} steps, seed 0x2e80)`, () => {
    const t0 = performance.now();
    fc.assert(
      fc.property(scenarioArb(MAX_STEPS), (s) => runScenario(s)),
      { seed: Number(process.env.ZDS_PROPERTY_SEED ?? 0x2e80), numRuns: RUNS, ...budget },
    );
    stats.ms += performance.now() - t0;
  });

  it(`…and in compatibility mode (16 384 bytes, 8 capabilities) (${COMPAT_RUNS} runs, seed 0xc0a7)`, () => {
    const t0 = performance.now();
    fc.assert(
      fc.property(
        scenarioArb(MAX_STEPS).map((s) => ({ ...s, compat: true })),
        (s) => runScenario(s),
      ),
      { seed: 0xc0a7, numRuns: COMPAT_RUNS, ...budget },
    );
    stats.ms += performance.now() - t0;
  });
});

// ── focused regressions for what the properties found ───────────────────────────────────────────

describe("kernel regressions found by the invariant properties", () => {
  let rig: KernelRig;
  afterEach(() => rig.close());
  const wire = (r: Resumed | undefined) => (r?.payload ? decodeWireMessage(r.payload) : undefined);

  it("RECV_WAIT ends with E_BADF when the capability it waits through is revoked, and nothing is delivered through it", () => {
    rig = new KernelRig(2);
    const [a, b] = rig.procs.map((p) => p.pid);
    const root = Math.floor(rig.sys(a, Sys.CREATE_ENDPOINT)!.result / 0x1_0000_0000);
    const child = rig.sys(a, Sys.CAP_DERIVE, root, Perm.ALL)!.result;
    const borrowed = rig.sys(a, Sys.CAP_GRANT, child, b, Perm.READ)!.result;
    assert.equal(rig.sys(b, Sys.RECV_WAIT, borrowed), undefined); // blocks
    assert.equal(rig.sys(a, Sys.CAP_REVOKE, child)!.result, 0);
    assert.deepEqual(rig.lastOf(b), { result: -Errno.E_BADF, payload: undefined });
    assert.equal(rig.sys(a, Sys.SEND, root, 7, 3, Uint8Array.of(1, 2, 3))!.result, 0);
    const ep = rig.kernel.endpoints.get(rig.kernel.processes.get(a)!.cspace.get(root)!.objectId)!;
    assert.equal(ep.queue.length, 1, "the message waits for a holder of a read capability");
    assert.deepEqual(checkInvariants(rig.kernel), []);
  });

  it("RECV_WAIT ends with E_PERM when its capability expired before a message came, and the message stays queued", () => {
    rig = new KernelRig(2);
    const [a, b] = rig.procs.map((p) => p.pid);
    const root = Math.floor(rig.sys(a, Sys.CREATE_ENDPOINT)!.result / 0x1_0000_0000);
    const shortLived = rig.sys(a, Sys.CAP_DERIVE, root, Perm.READ | Perm.GRANT, 5)!.result; // 5 µs
    const borrowed = rig.sys(a, Sys.CAP_GRANT, shortLived, b, Perm.READ)!.result;
    assert.equal(rig.sys(b, Sys.RECV_WAIT, borrowed), undefined);
    for (let i = 0; i < 8; i++) rig.sys(a, Sys.YIELD); // 1 µs each
    assert.equal(rig.sys(a, Sys.SEND, root, 7, 0)!.result, 0);
    assert.equal(rig.lastOf(b)?.result, -Errno.E_PERM);
    assert.equal(wire(rig.lastOf(b)), undefined);
    assert.deepEqual(checkInvariants(rig.kernel), []);
  });

  it("a CALL queued by a process that then died leaves the receiver owing nothing (REPLY fails E_NOENT)", () => {
    rig = new KernelRig(2);
    const [a, b] = rig.procs.map((p) => p.pid);
    const toB = rig.sys(b, Sys.CAP_GRANT, 1, a, Perm.WRITE)!.result;
    assert.equal(rig.sys(a, Sys.CALL, toB, 9, 0), undefined); // blocks, message queued on b's input
    rig.events.get(a)!.onWorkerGone("test: worker crashed", "worker");
    const got = rig.sys(b, Sys.RECV, 1)!;
    assert.equal(got.result, 1);
    assert.equal(wire(got)?.sender, a, "the message itself is still delivered, from its true sender");
    assert.deepEqual([...rig.kernel.processes.get(b)!.owedReplies], []);
    assert.equal(rig.sys(b, Sys.REPLY, a, 0, 0)!.result, -Errno.E_NOENT);
    assert.deepEqual(checkInvariants(rig.kernel), []);
  });
});
