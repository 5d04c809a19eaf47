// Every syscall handler range-checks what it uses: with extreme integer arguments (0, 2^31,
// 2^32-1, slots past the CSpace, lengths past the payload) no handler throws. A throw is caught by
// the kernel and faults the caller "kernel error in SYS_…" — for this test that is a crash.
import assert from "node:assert/strict";
import { Sys } from "../../kernel/abi/syscalls";
import { checkInvariants } from "../../kernel/invariants";
import { KernelRig } from "../helpers/kernel-rig";
import { startup } from "./rig-steps";

const EXTREMES = [0, 1, 3, 4, 5, 6, 7, 8, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff, 0x0004_0010];
/** 16 payload bytes, then slots 3–6 as SEND_CAP's capability list (a2 = 0x0004_0010). */
const withSlots = new Uint8Array(32);
[3, 4, 5, 6].forEach((slot, i) => new DataView(withSlots.buffer).setUint32(16 + 4 * i, slot, true));
const PAYLOADS = [
  new Uint8Array(0),
  Uint8Array.of(0xff),
  new Uint8Array(9).fill(0xff),
  withSlots,
  new Uint8Array(4100).fill(0x80),
];
// EXIT, FAULT and STARTUP end or bind the caller by design; each is exercised once below.
const SKIP = new Set<number>([Sys.EXIT, Sys.FAULT]);
const CAPS = { buf: { kind: "dma", size: 8192 }, peer: { kind: "client", service: "fuzz" } };
/** The first process binds the rng device (MMIO, IRQ at slots 3–5) and serves a name; only one can. */
const DRIVER = {
  name: "fuzz-drv",
  device: { virtio: 4 },
  caps: { regs: { kind: "mmio", size: 0x100 }, irq: { kind: "irq" }, svc: { kind: "serve", service: "fuzz" }, ...CAPS },
};
const PROGRAM = { name: "fuzz-prog", caps: CAPS };

function kernelErrors(rig: KernelRig): string[] {
  return rig.procs.flatMap((p) =>
    p.faults
      .filter((f) => f.message.startsWith("kernel error"))
      .map((f) => `pid ${p.pid}: ${f.message.split("\n")[0]}`),
  );
}

describe("kernel: no syscall handler throws, whatever the arguments", () => {
  for (const num of Object.values(Sys).filter((n) => !SKIP.has(n))) {
    it(`0x${num.toString(16)} with extreme arguments`, () => {
      const rig = new KernelRig(48);
      try {
        // Each process starts as a driver (slots 3… hold MMIO, IRQ, its endpoint, a service) and
        // allocates DMA, so the handlers get past the Axiom check too.
        let next = 0;
        const fresh = (): number => {
          while (next < rig.procs.length) {
            const p = rig.procs[next++];
            if (!p.alive) continue;
            startup(rig, p.pid, next === 1 ? DRIVER : PROGRAM);
            if (!p.alive) continue;
            rig.sys(p.pid, Sys.DMA_ALLOC, 4096);
            return p.pid;
          }
          return -1;
        };
        let pid = fresh();
        let calls = 0;
        for (const a0 of EXTREMES) {
          for (const a1 of [0, 0x10, 0xffff_ffff]) {
            for (const a2 of EXTREMES) {
              for (const payload of PAYLOADS) {
                if (pid < 0) return assert.ok(calls > 40, `only ${calls} calls made`); // every process used up: enough
                const p = rig.kernel.processes.get(pid)!;
                if (!p.alive || p.state === "blocked") pid = fresh();
                if (pid < 0) return assert.ok(calls > 40, `only ${calls} calls made`);
                rig.sys(pid, num, a0, a1, a2, payload);
                calls++;
                assert.deepEqual(
                  kernelErrors(rig),
                  [],
                  `after 0x${num.toString(16)}(${a0}, ${a1}, ${a2}; ${payload.length} bytes)`,
                );
              }
            }
          }
        }
        assert.deepEqual(checkInvariants(rig.kernel), []);
      } finally {
        rig.close();
      }
    });
  }

  it("EXIT with an extreme code and FAULT with undecodable bytes end the caller without a kernel error", () => {
    const rig = new KernelRig(2);
    try {
      rig.sys(rig.procs[0].pid, Sys.EXIT, 0x8000_0000);
      assert.equal(rig.procs[0].exitCode, -0x8000_0000);
      rig.sys(rig.procs[1].pid, Sys.FAULT, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, Uint8Array.of(0xff, 0xfe));
      assert.equal(rig.procs[1].state, "faulted");
      assert.deepEqual(kernelErrors(rig), []);
    } finally {
      rig.close();
    }
  });
});
