// The SDK's answers to a handle used as no manifest allows (drivers/sdk/guard.ts), against a
// scripted gate: an undeclared capability reports ZDS201 with SYS_FAULT, a method of another kind of
// handle throws ZDS202, an access past a DMA buffer reports ZDS103; and the tables they rely on agree
// with the SDK's classes, the language server's and the sandbox runtime's.
import assert from "node:assert/strict";
import {
  decodeFaultReport,
  FaultFormat,
  HANDLE_METHODS,
  Sys,
  utf8Decode,
  utf8Encode,
  type FaultReport,
  type HandleKind,
} from "../../kernel/abi";
import {
  DmaBuffer,
  Irq,
  MmioRegion,
  PortRange,
  Service,
  ServiceClient,
  defineDriver,
  dma,
  mmio,
} from "../../drivers/sdk";
import { DriverError } from "../../drivers/sdk/errors";
import { METHODS } from "../../language-server/analysis/handle-methods";
import { MailboxState } from "../../kernel/worker/mailbox";
import { installSandboxRuntime } from "../../kernel/worker/sandbox-runtime";
import { ScriptedGate } from "./sdk-fakes";

/** Run a driver against a gate that starts it with `handles` and records the fault it reports. */
function faultReport(
  caps: Parameters<typeof defineDriver>[0]["caps"],
  handles: Record<string, unknown>,
  main: (h: Record<string, never>) => void,
): { report: FaultReport | undefined; thrown: unknown } {
  let report: FaultReport | undefined;
  const gate = new ScriptedGate((c) => {
    if (c.num === Sys.STARTUP)
      return { result: 0, response: utf8Encode(JSON.stringify({ pid: 5, name: "t", seed: 1, handles })) };
    if (c.num === Sys.DMA_ALLOC)
      return {
        result: 7,
        response: (() => {
          const r = new Uint8Array(16);
          const v = new DataView(r.buffer);
          v.setUint32(0, 7, true);
          v.setBigUint64(4, 0x4000_0000n, true);
          v.setUint32(12, 4096, true);
          return r;
        })(),
        attached: new SharedArrayBuffer(4096),
      };
    if (c.num === Sys.FAULT) {
      assert.equal(c.a1, FaultFormat.REPORT);
      report = decodeFaultReport(utf8Decode(c.payload));
    }
    return 0;
  });
  let thrown: unknown;
  try {
    defineDriver({ name: "t", caps, main: main as never }).run(gate);
  } catch (error) {
    thrown = error;
  }
  return { report, thrown };
}

describe("SDK: answers in the words of zds check", () => {
  it("an undeclared capability is a stand-in: its first use reports ZDS201 with the fix, as a violation", () => {
    const { report } = faultReport({}, {}, (h) => (h.irq as unknown as Irq).wait());
    assert.ok(report);
    assert.equal(report.code, "ZDS201");
    assert.equal(report.fix, 'Declare "irq: irq()" in the manifest');
    assert.match(
      report.stack,
      /^CapabilityViolation: wait\(\) uses capability "irq", which the manifest does not declare/,
    );
    assert.deepEqual(report.violation, {
      operation: "irq.wait()",
      address: 0,
      grant: 'no irq capability "irq" in the manifest',
    });
  });

  it("shapes the fix after the call: an undeclared MMIO window up to the access", () => {
    const { report } = faultReport({}, {}, (h) => (h.regs as unknown as MmioRegion).read32(0x70));
    assert.equal(report?.fix, 'Declare "regs: mmio({ size: 0x74 })" in the manifest');
  });

  it("a method of another kind of handle throws ZDS202, naming the kind and what it offers", () => {
    const { thrown, report } = faultReport(
      { regs: mmio({ size: 0x100 }) },
      { regs: { kind: "mmio", slot: 3, base: 0x1000_1000, size: 0x100, perms: 1 } },
      (h) => (h.regs as unknown as PortRange).out8(0x70, 1),
    );
    assert.ok(thrown instanceof DriverError);
    assert.equal(thrown.code, "ZDS202");
    assert.equal(
      thrown.message,
      '"regs" is an mmio capability (MMIO window "regs" (0x100 bytes, r)), which has no out8(); out8() needs a ports() capability, which the manifest does not declare; an mmio handle offers read8/16/32/64(offset), write8/16/32/64(offset, value)',
    );
    assert.equal(report?.code, "ZDS202", "and uncaught, it goes to the kernel as a report");
    assert.equal(report?.violation, undefined, "not a violation");
  });

  it("an access past a DMA buffer reports the DMA-range violation ZDS103 with its address and grant", () => {
    const { report } = faultReport({ mem: dma({ size: 4096 }) }, { mem: { kind: "dma", size: 4096 } }, (h) =>
      (h.mem as unknown as DmaBuffer).setU16(4095, 1),
    );
    assert.equal(report?.code, "ZDS103");
    assert.match(
      report!.stack,
      /^CapabilityViolation: setU16\(4095, …\): DMA write of 2 bytes at offset 4095 \(0xfff\) is outside the DMA buffer "mem" \(4096 bytes\); it ends at 4096/,
    );
    assert.deepEqual(report?.violation, {
      operation: "mem.setU16(4095, …)",
      address: 0x4000_0fff,
      grant: 'DMA 0x40000000+0x1000 (buffer "mem")',
    });
  });

  it("HANDLE_METHODS is what each SDK handle has, and what the language server knows of it", () => {
    const classes: Record<HandleKind, { prototype: object }> = {
      mmio: MmioRegion,
      ports: PortRange,
      irq: Irq,
      dma: DmaBuffer,
      serve: Service,
      client: ServiceClient,
    };
    for (const kind of Object.keys(HANDLE_METHODS) as HandleKind[]) {
      const own = Object.getOwnPropertyNames(classes[kind].prototype);
      for (const m of HANDLE_METHODS[kind]) assert.ok(own.includes(m), `${kind}: ${m} is a method of the SDK's class`);
      const known = Object.keys(METHODS[kind]).filter((m) => m !== "in64" && m !== "out64");
      assert.deepEqual([...HANDLE_METHODS[kind]].sort(), known.sort(), `${kind}: the language server's table`);
    }
  });

  it("the sandbox runtime's inlined mailbox states are mailbox.ts's", () => {
    const source = installSandboxRuntime.toString();
    for (const name of ["RUNNING", "REQUEST", "STACK_REQUEST", "STACK_REPLY"] as const) {
      const m = new RegExp(`\\b${name} ?= ?(\\d+)`).exec(source);
      assert.ok(m, `${name} is inlined`);
      assert.equal(Number(m[1]), MailboxState[name], name);
    }
  });
});
