// Small steps on a KernelRig shared by the hostile-driver kernel tests: STARTUP with a manifest,
// Init's registry over CALL, DMA_ALLOC's payload.
import { Sys, Slot } from "../../kernel/abi/syscalls";
import { Tag } from "../../kernel/abi/tags";
import { decodeWireMessage, utf8Encode, type WireMessage } from "../../kernel/abi/wire";
import type { KernelRig, Resumed } from "../helpers/kernel-rig";

export function startup(rig: KernelRig, pid: number, manifest: unknown): Resumed | undefined {
  const m = utf8Encode(JSON.stringify(manifest));
  return rig.sys(pid, Sys.STARTUP, m.length, 0, 0, m);
}

export function nameBytes(name: string, extra = 0): Uint8Array {
  const n = utf8Encode(name);
  const out = new Uint8Array(1 + n.length + extra);
  out[0] = n.length;
  out.set(n, 1);
  return out;
}

/** A CALL to Init; undefined while it blocks (a held lookup). */
export function initCall(rig: KernelRig, pid: number, tag: number, payload: Uint8Array): WireMessage | undefined {
  const r = rig.sys(pid, Sys.CALL, Slot.INIT_ENDPOINT, tag, payload.length, payload);
  return r && r.result === 1 && r.payload ? decodeWireMessage(r.payload) : undefined;
}

export function register(rig: KernelRig, pid: number, name: string, endpointId: number): number | undefined {
  const p = nameBytes(name, 8);
  new DataView(p.buffer).setUint32(1 + p[0], endpointId, true);
  const m = initCall(rig, pid, Tag.REGISTER_SERVICE, p);
  return m && new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(0, true);
}

export const lookup = (rig: KernelRig, pid: number, name: string): WireMessage | undefined =>
  initCall(rig, pid, Tag.LOOKUP_SERVICE, nameBytes(name));

/** The wire message a blocked caller was (or will be) resumed with. */
export function resumedMessage(rig: KernelRig, pid: number): WireMessage | undefined {
  const r = rig.lastOf(pid);
  return r && r.result === 1 && r.payload ? decodeWireMessage(r.payload) : undefined;
}

export function dmaAlloc(
  rig: KernelRig,
  pid: number,
  bytes: number,
): { slot: number; phys: number } | { errno: number } {
  const r = rig.sys(pid, Sys.DMA_ALLOC, bytes)!;
  if (r.result < 0) return { errno: -r.result };
  const v = new DataView(r.payload!.buffer, r.payload!.byteOffset);
  return { slot: r.result, phys: Number(v.getBigUint64(4, true)) };
}

export function u32(bytes: Uint8Array, at = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
}
