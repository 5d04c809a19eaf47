// Driver syscalls (ZDS): MMIO, port I/O, IRQ control, DMA. Every access is checked against the
// grant with the shared capability rules; an access outside a grant is a capability violation
// that ends the driver, a malformed one fails with E_INVAL.

import { checkMmioAccess, checkPortAccess, ObjectType, Perm, permString, type AccessProblem } from "../abi/caps";
import { accessMessage, rightsText, type AccessWords } from "../abi/diagnostics";
import { Errno } from "../abi/errors";
import { hex } from "../abi/format";
import { DMA_PAGE_BYTES, Sys, syscallName } from "../abi/syscalls";
import { recordViolation } from "../violations";
import { RevokeReason } from "../abi/tags";
import type { HardwareObject } from "../objects";
import type { KernelProcess } from "../process";
import { fail, ok, type Outcome, type SyscallHandler } from "./outcome";
import type { SyscallContext } from "./context";

type Found<T extends HardwareObject["type"]> =
  { obj: HardwareObject & { type: T }; perms: number } | { outcome: Outcome };

function hardwareFor<T extends HardwareObject["type"]>(
  k: SyscallContext,
  p: KernelProcess,
  slot: number,
  objectType: number,
  kind: T,
): Found<T> {
  const check = k.capabilities.check(p, slot, 0, objectType);
  if (!check.ok) return { outcome: fail(check.errno) };
  const obj = k.hardwareObject(check.cap.objectId);
  if (!obj || obj.type !== kind) return { outcome: fail(Errno.E_NOENT) };
  return { obj: obj as HardwareObject & { type: T }, perms: check.cap.perms };
}

function refuse(
  k: SyscallContext,
  p: KernelProcess,
  num: number,
  address: number,
  grant: string,
  problem: AccessProblem,
  words: AccessWords,
): Outcome {
  if (problem.severity === "invalid") return fail(Errno.E_INVAL);
  // In the words of `zds check` (the call as the SDK names it, the grant by its manifest name), with its code.
  const { code, message } = accessMessage(problem, words);
  return recordViolation(k, p, { syscall: syscallName(num), address, grant, message, code });
}

/** The SDK method a hardware syscall is (`read32`, `out8`): what driver code called. */
function callText(num: number, offset: number, width: number): string {
  const at = hex(offset);
  switch (num) {
    case Sys.MMIO_READ:
      return `read${8 * width}(${at})`;
    case Sys.MMIO_WRITE:
      return `write${8 * width}(${at}, …)`;
    case Sys.IN8:
    case Sys.IN16:
    case Sys.IN32:
      return `in${8 * width}(${at})`;
    default:
      return `out${8 * width}(${at}, …)`;
  }
}

function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

const mmio =
  (write: boolean): SyscallHandler =>
  (k, p, req) => {
    const found = hardwareFor(k, p, req.a0, ObjectType.Memory, "memory");
    if ("outcome" in found) return found.outcome;
    const { obj, perms } = found;
    const offset = req.a1;
    const width = req.a2;
    const grant = `MMIO ${hex(obj.base)}+${hex(obj.size)} ${permString(perms)} (${obj.device})`;
    const problem = checkMmioAccess({ base: obj.base, size: obj.size, perms }, offset, width, write);
    if (problem)
      return refuse(k, p, req.num, obj.base + offset, grant, problem, {
        call: callText(req.num, offset, width),
        grant: {
          kind: "mmio",
          name: p.capNames.get(req.a0) ?? `slot ${req.a0}`,
          size: obj.size,
          rights: rightsText(perms),
        },
        space: "mmio",
        effect: write ? "write" : "read",
        offset,
        width,
        end: obj.size,
      });
    const w = width as 1 | 2 | 4 | 8;
    if (write) {
      if (req.payload.length !== width) return fail(Errno.E_INVAL);
      const value = littleEndian(req.payload);
      k.machine.mmioWrite(obj.base + offset, w, w === 8 ? value : Number(value));
      return ok();
    }
    const value = k.machine.mmioRead(obj.base + offset, w);
    if (w !== 8) return ok(Number(value));
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
    return ok(0, out);
  };

const portIo =
  (width: 1 | 2 | 4, write: boolean): SyscallHandler =>
  (k, p, req) => {
    const found = hardwareFor(k, p, req.a0, ObjectType.IoPort, "ports");
    if ("outcome" in found) return found.outcome;
    const { obj, perms } = found;
    const port = req.a1;
    const grant = `ports ${hex(obj.first)}–${hex(obj.last)} ${permString(perms)}`;
    const problem = checkPortAccess({ first: obj.first, last: obj.last, perms }, port, width, write);
    if (problem)
      return refuse(k, p, req.num, port, grant, problem, {
        call: callText(req.num, port, width),
        grant: {
          kind: "ports",
          name: p.capNames.get(req.a0) ?? `slot ${req.a0}`,
          first: obj.first,
          last: obj.last,
          rights: rightsText(perms),
        },
        space: "ports",
        effect: write ? "write" : "read",
        offset: port,
        width,
        end: obj.last,
      });
    if (write) {
      k.machine.portWrite(port, width, width === 4 ? req.a2 >>> 0 : req.a2 & ((1 << (8 * width)) - 1));
      return ok();
    }
    return ok(k.machine.portRead(port, width));
  };

const irqControl =
  (action: "ack" | "mask" | "unmask"): SyscallHandler =>
  (k, p, req) => {
    const found = hardwareFor(k, p, req.a0, ObjectType.Irq, "irq");
    if ("outcome" in found) return found.outcome;
    const irq = found.obj;
    if (action === "ack") {
      if (!irq.pending) return fail(Errno.E_INVAL); // acknowledging an interrupt never delivered
      k.reArmIrq(irq);
    } else {
      irq.masked = action === "mask";
      if (!irq.masked) k.reArmIrq(irq);
    }
    return ok();
  };

/** Bytes of DMA memory a process holds. */
const dmaHeld = (p: KernelProcess): number => p.dmaRegions.reduce((n, r) => n + r.size, 0);

const dmaAlloc: SyscallHandler = (k, p, req) => {
  const size = req.a0;
  if (!Number.isSafeInteger(size) || size <= 0) return fail(Errno.E_INVAL);
  const rounded = Math.ceil(size / DMA_PAGE_BYTES) * DMA_PAGE_BYTES;
  const used = dmaHeld(p);
  if (used + rounded > k.resources.dmaBytes) return k.quota.refuse(p, "dmaBytes", used + rounded, req.num);
  if (used + rounded > p.dmaBudget) return fail(Errno.E_NOMEM);
  if (k.quota.overCapabilityLimit(p, 1)) return k.quota.refuseCapabilities(p, req.num, 1);
  let region;
  try {
    region = k.machine.allocateDma(rounded);
  } catch {
    return fail(Errno.E_NOMEM);
  }
  p.dmaRegions.push(region);
  // The grant right lets the owner share the buffer with a driver (SEND_CAP / CAP_GRANT), whose
  // device then reaches it as the shared capability's rights allow (kernel/dma-sharing.ts).
  const obj: HardwareObject & { type: "dma" } = { type: "dma", region, owner: p.pid, rootCap: 0 };
  const root = k.capabilities.newCapability(ObjectType.Dma, k.addHardware(obj), Perm.ALL);
  obj.rootCap = root.id;
  const slot = k.capabilities.place(p, root);
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, slot, true);
  v.setBigUint64(4, BigInt(region.phys), true);
  v.setUint32(12, region.size, true);
  return { kind: "return", result: slot, payload: out, attachment: region.buffer };
};

/** DMA_FREE: only the owner gives memory back. A borrower (a lent, narrowed copy) freeing it would
 *  leave the owner holding a page the machine hands to the next DMA_ALLOC. Freeing revokes the
 *  buffer's root, so every lent copy goes with it, in a CSpace or in flight. */
const dmaFree: SyscallHandler = (k, p, req) => {
  if (req.payload.length !== 0) return fail(Errno.E_INVAL);
  const found = hardwareFor(k, p, req.a0, ObjectType.Dma, "dma");
  if ("outcome" in found) return found.outcome;
  const obj = found.obj;
  if (obj.owner !== p.pid) return fail(Errno.E_PERM);
  const index = p.dmaRegions.indexOf(obj.region);
  if (index >= 0) p.dmaRegions.splice(index, 1);
  k.removeHardware(obj);
  k.capabilities.revokeTree(obj.rootCap, p, RevokeReason.EXPLICIT);
  k.refreshIommu(p);
  k.freeDma(p, obj.region);
  return ok();
};

export const hardwareSyscalls: [number, SyscallHandler][] = [
  [Sys.MMIO_READ, mmio(false)],
  [Sys.MMIO_WRITE, mmio(true)],
  [Sys.IN8, portIo(1, false)],
  [Sys.IN16, portIo(2, false)],
  [Sys.IN32, portIo(4, false)],
  [Sys.OUT8, portIo(1, true)],
  [Sys.OUT16, portIo(2, true)],
  [Sys.OUT32, portIo(4, true)],
  [Sys.IRQ_ACK, irqControl("ack")],
  [Sys.IRQ_MASK, irqControl("mask")],
  [Sys.IRQ_UNMASK, irqControl("unmask")],
  [Sys.DMA_ALLOC, dmaAlloc],
  [Sys.DMA_FREE, dmaFree],
];
