// Fuzz for "A hostile driver must not get out": random syscall sequences and random virtio ring
// contents from raw programs, against the real Kernel and machine (test/helpers/kernel-rig.ts: no
// workers, synchronous submit). Whatever the programs do, the host never throws, the kernel never
// faults a process for an error of its own ("kernel error in …"), every process that ended has a
// named reason, and checkInvariants holds after every step.
//
// Program p0 is a driver of the virtio-rng device (MMIO, IRQ, 2 MiB of DMA); p1 serves "fz" and
// has DMA it lends; p2 is its client. Steps are random syscalls with random arguments and
// payloads, or model-aware ones: DMA_ALLOC and random bytes in the memory, a virtio queue set up
// through MMIO_WRITE with random descriptor tables (direct, indirect, aliasing the whole region)
// and a QUEUE_NOTIFY, a lend of p1's buffer to p0 (CAP_GRANT) that p0 then frees, YIELDs so device
// events run, EXIT. Seeded; the seed and the failing steps are printed on failure.

import assert from "node:assert/strict";
import fc from "fast-check";
import { Perm } from "../../kernel/abi/caps";
import { Sys } from "../../kernel/abi/syscalls";
import { checkInvariants } from "../../kernel/invariants";
import { KernelRig } from "../helpers/kernel-rig";

const SEED = Number(process.env.ZDS_FUZZ_SEED ?? 0x5eed_f022);
const RUNS = Number(process.env.ZDS_FUZZ_RUNS ?? 60);
const REGION = 2 * 1024 * 1024;
const MANIFESTS = [
  {
    name: "fz-rng",
    device: { virtio: 4 },
    caps: {
      regs: { kind: "mmio", size: 0x200, rights: "rw" },
      irq: { kind: "irq" },
      ring: { kind: "dma", size: REGION },
    },
  },
  { name: "fz-server", caps: { svc: { kind: "serve", service: "fz" }, buf: { kind: "dma", size: 8192 } } },
  { name: "fz-client", caps: { peer: { kind: "client", service: "fz" }, buf: { kind: "dma", size: 4096 } } },
];

const SYSCALLS = Object.values(Sys).filter((n) => n !== Sys.STARTUP);

type Step =
  | { kind: "sys"; who: number; num: number; a: [number, number, number]; payload: number[] }
  | { kind: "alloc"; who: number; size: number; fill: number[] }
  | {
      kind: "ring";
      size: number;
      descAt: number;
      availAt: number;
      usedAt: number;
      table: Desc[];
      heads: number[];
      status: number;
      indirect?: { count: number; len: number; at: number };
    }
  | { kind: "lend-free"; perms: number }
  | { kind: "yield"; who: number; n: number }
  | { kind: "exit"; who: number; code: number };

interface Desc {
  /** Offset into p0's region, or an absolute address when `absolute`. */
  addr: number;
  absolute: boolean;
  len: number;
  flags: number;
  next: number;
}

const u32 = fc.oneof(
  fc.integer({ min: 0, max: 16 }),
  fc.constantFrom(0xffffffff, 0x80000000, 0x7fffffff, 0x1000, 0x10003000, 0x40000000),
  fc.nat({ max: 0xffffffff }),
);
const who = fc.integer({ min: 0, max: 2 });

const desc: fc.Arbitrary<Desc> = fc.record({
  addr: fc.oneof(fc.integer({ min: 0, max: REGION }), fc.nat({ max: 0xffffffff })),
  absolute: fc.boolean(),
  len: fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(REGION, 0xffffffff, 16, 0)),
  flags: fc.integer({ min: 0, max: 7 }),
  next: fc.integer({ min: 0, max: 20 }),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("sys" as const),
      who,
      num: fc.oneof(fc.constantFrom(...SYSCALLS), fc.integer({ min: 0, max: 0x100 })),
      a: fc.tuple(u32, u32, u32),
      payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("alloc" as const),
      who,
      size: fc.oneof(fc.integer({ min: 0, max: 9000 }), fc.constant(REGION)),
      fill: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant("ring" as const),
        size: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constantFrom(0, 256, 257, 0xffff)),
        descAt: fc.oneof(fc.constantFrom(0x10000, 0x10004), fc.integer({ min: 0, max: REGION })),
        availAt: fc.oneof(fc.constant(0x11000), fc.integer({ min: 0, max: REGION })),
        usedAt: fc.oneof(fc.constant(0x12000), fc.integer({ min: 0, max: REGION })),
        table: fc.array(desc, { maxLength: 16 }),
        heads: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 6 }),
        status: fc.oneof(fc.constant(15), fc.integer({ min: 0, max: 255 })),
        // An indirect table at the region's start whose entries alias the whole region: as many
        // as a hostile driver likes (2^17 × 2 MiB claims 2^38 bytes), or a few.
        indirect: fc.option(
          fc.record({
            count: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constant(REGION / 16)),
            len: fc.oneof(fc.constant(REGION), fc.integer({ min: 0, max: 4096 })),
            at: fc.constantFrom(0, 16, REGION - 16),
          }),
          { nil: undefined },
        ),
      },
      { requiredKeys: ["kind", "size", "descAt", "availAt", "usedAt", "table", "heads", "status"] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("lend-free" as const), perms: fc.integer({ min: 0, max: 7 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("yield" as const), who, n: fc.integer({ min: 1, max: 40 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("exit" as const), who, code: fc.integer({ min: -2, max: 3 }) }),
  },
);

const le32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

class Fuzz {
  readonly rig = new KernelRig(3, { seed: 7 });
  readonly pids = this.rig.procs.map((p) => p.pid);
  readonly handles: Record<string, { slot: number; kind: string; endpointId?: number }>[] = [];
  ring: { phys: number; buffer: SharedArrayBuffer } | undefined;
  lent: { slot: number } | undefined;

  constructor() {
    for (let i = 0; i < 3; i++) {
      const m = new TextEncoder().encode(JSON.stringify(MANIFESTS[i]));
      const r = this.sys(i, Sys.STARTUP, m.length, 0, 0, m);
      const info =
        r && r.result === 0 && r.payload
          ? (JSON.parse(new TextDecoder().decode(r.payload)) as {
              handles: Record<string, { slot: number; kind: string }>;
            })
          : { handles: {} };
      this.handles.push(info.handles);
    }
    const ring = this.sys(0, Sys.DMA_ALLOC, REGION);
    const region = this.rig.kernel.processes.get(this.pids[0])?.dmaRegions[0];
    if (ring && ring.result > 0 && region) this.ring = { phys: region.phys, buffer: region.buffer };
  }

  alive(i: number): boolean {
    const p = this.rig.kernel.processes.get(this.pids[i])!;
    return p.alive && p.state !== "blocked";
  }

  /** A syscall from process i, if it can make one now. */
  sys(i: number, num: number, a0 = 0, a1 = 0, a2 = 0, payload: Uint8Array = new Uint8Array(0)) {
    if (!this.alive(i)) return undefined;
    if (this.rig.holder !== undefined && !this.alive(this.pids.indexOf(this.rig.holder))) return undefined;
    // The rig passes the token round: it needs a holder that can yield.
    if (this.rig.holder === undefined) return undefined;
    return this.rig.sys(this.pids[i], num, a0, a1, a2, payload);
  }

  mmio(offset: number, value: number): void {
    const regs = this.handles[0].regs;
    if (regs) this.sys(0, Sys.MMIO_WRITE, regs.slot, offset, 4, le32(value));
  }

  run(s: Step): void {
    switch (s.kind) {
      case "sys":
        this.sys(s.who, s.num, s.a[0], s.a[1], s.a[2], Uint8Array.from(s.payload));
        return;
      case "alloc": {
        const r = this.sys(s.who, Sys.DMA_ALLOC, s.size);
        const regions = this.rig.kernel.processes.get(this.pids[s.who])?.dmaRegions ?? [];
        const last = regions[regions.length - 1];
        if (r && r.result > 0 && last) new Uint8Array(last.buffer).set(s.fill.slice(0, last.size));
        return;
      }
      case "ring": {
        const ring = this.ring;
        if (!ring || !this.handles[0].regs) return;
        const mem = new DataView(ring.buffer);
        const inRegion = (o: number) => Math.min(Math.max(0, o), REGION - 16);
        this.mmio(0x70, 0);
        this.mmio(0x70, 3);
        this.mmio(0x24, 0);
        this.mmio(0x20, 1 << 28);
        this.mmio(0x24, 1);
        this.mmio(0x20, 1);
        this.mmio(0x70, 11);
        this.mmio(0x30, 0);
        this.mmio(0x38, s.size);
        this.mmio(0x80, ring.phys + s.descAt);
        this.mmio(0x90, ring.phys + s.availAt);
        this.mmio(0xa0, ring.phys + s.usedAt);
        this.mmio(0x44, 1);
        this.mmio(0x70, s.status);
        const descAt = inRegion(s.descAt);
        s.table.forEach((d, i) => {
          const at = descAt + 16 * i;
          if (at + 16 > REGION) return;
          const addr = d.absolute ? d.addr : ring.phys + d.addr;
          mem.setUint32(at, addr >>> 0, true);
          mem.setUint32(at + 4, Math.floor(addr / 2 ** 32), true);
          mem.setUint32(at + 8, d.len >>> 0, true);
          mem.setUint16(at + 12, d.flags, true);
          mem.setUint16(at + 14, d.next, true);
        });
        if (s.indirect) {
          const { count, len, at } = s.indirect;
          for (let i = 0; i < count && at + 16 * (i + 1) <= REGION; i++) {
            const e = at + 16 * i;
            mem.setUint32(e, ring.phys, true);
            mem.setUint32(e + 4, 0, true);
            mem.setUint32(e + 8, len, true);
            mem.setUint16(e + 12, 2 | (i + 1 < count ? 1 : 0), true);
            mem.setUint16(e + 14, i + 1, true);
          }
          if (descAt + 16 <= REGION) {
            mem.setUint32(descAt, ring.phys + at, true);
            mem.setUint32(descAt + 4, 0, true);
            mem.setUint32(descAt + 8, 16 * count, true);
            mem.setUint16(descAt + 12, 4, true);
          }
        }
        const availAt = inRegion(s.availAt);
        const idx = mem.getUint16(availAt + 2, true);
        s.heads.forEach((h, i) => {
          const at = availAt + 4 + 2 * ((idx + i) % Math.max(1, Math.min(s.size, 256)));
          if (at + 2 <= REGION) mem.setUint16(at, h, true);
        });
        mem.setUint16(availAt + 2, (idx + s.heads.length) & 0xffff, true);
        this.mmio(0x50, 0);
        for (let i = 0; i < 20; i++) this.sys(0, Sys.YIELD);
        return;
      }
      case "lend-free": {
        const buf = this.rig.kernel.processes.get(this.pids[1])?.cspace;
        if (!buf) return;
        // p1's newest Dma capability, granted to p0, which frees it.
        let dmaSlot: number | undefined;
        for (const [slot, cap] of buf.entries()) if (cap.objectType === 12) dmaSlot = slot;
        if (dmaSlot === undefined) {
          this.sys(1, Sys.DMA_ALLOC, 4096);
          return;
        }
        const granted = this.sys(1, Sys.CAP_GRANT, dmaSlot, this.pids[0], s.perms | Perm.READ);
        if (granted && granted.result > 0) this.sys(0, Sys.DMA_FREE, granted.result);
        return;
      }
      case "yield":
        for (let i = 0; i < s.n; i++) this.sys(s.who, Sys.YIELD);
        return;
      case "exit":
        this.sys(s.who, Sys.EXIT, s.code >>> 0);
        return;
    }
  }

  check(after: string): void {
    const problems = checkInvariants(this.rig.kernel);
    assert.deepEqual(problems, [], `invariants broken after ${after}`);
    for (const p of this.rig.kernel.processes.values()) {
      if (p.alive) continue;
      if (p.state === "faulted") {
        const f = p.faults[p.faults.length - 1];
        assert.ok(f && f.kind && f.message, `${p.name} faulted without a named reason after ${after}`);
        assert.doesNotMatch(
          f.message,
          /^kernel error/,
          `the kernel failed in a syscall of ${p.name} after ${after}: ${f.message.slice(0, 400)}`,
        );
      } else assert.equal(p.state, "exited", `${p.name} ended as ${p.state} after ${after}`);
      if (p.state === "exited")
        assert.equal(typeof p.exitCode, "number", `${p.name} exited without a code after ${after}`);
    }
  }

  close(): void {
    this.rig.close();
  }
}

describe("syscall and virtio ring fuzz (hostile raw programs)", function () {
  this.timeout(240_000);

  it(`never throws on the host, never fails inside the kernel, ends processes with named reasons, keeps the invariants (seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const fuzz = new Fuzz();
        try {
          fuzz.check("startup");
          steps.forEach((s, i) => {
            try {
              fuzz.run(s);
            } catch (e) {
              if (e instanceof assert.AssertionError) throw e;
              throw new Error(
                `the host threw at step ${i} (${s.kind}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
              );
            }
            fuzz.check(`step ${i} (${s.kind})`);
          });
          // Every process still able to run ends now; its end is checked like the others.
          for (let i = 0; i < 3; i++) fuzz.sys(i, Sys.EXIT, 0);
          fuzz.check("the final EXITs");
        } finally {
          fuzz.close();
        }
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        endOnFailure: true,
        reporter: (out) => {
          if (out.failed)
            throw new Error(
              `syscall fuzz failed — rerun with ZDS_FUZZ_SEED=${SEED} (fast-check seed ${out.seed}, path "${out.counterexamplePath}"):\n${out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)}\n${(fc.defaultReportMessage(out) ?? "").slice(0, 4000)}`,
            );
        },
      },
    );
  });
});
