// CommitLog: every kernel state change, hash-chained exactly as Zero OS's Axiom does it
// (zero-os-abi.md §6.3–6.4): id = expand(FNV-1a-64(prev_commit ‖ seq ‖ timestamp ‖ discriminant ‖
// fields)), integers little-endian, strings raw UTF-8 without a length prefix, and the 64-bit hash
// widened to 32 bytes as LE(h) ‖ LE(h·P) ‖ LE(h·P²) ‖ LE(h·P³) (mod 2⁶⁴).

import { utf8Encode } from "../abi/wire";
import { FNV64_PRIME, Fnv64 } from "./fnv";

export const CommitType = {
  Genesis: 0,
  ProcessCreated: 1,
  ProcessExited: 2,
  ProcessFaulted: 3,
  CapInserted: 4,
  CapRemoved: 5,
  CapGranted: 6,
  EndpointCreated: 7,
  EndpointDestroyed: 8,
  MessageSent: 9,
} as const;

export type CommitBody =
  | { type: "Genesis" }
  | { type: "ProcessCreated"; pid: number; parent: number; name: string }
  | { type: "ProcessExited"; pid: number; code: number }
  | { type: "ProcessFaulted"; pid: number; reason: number; description: string }
  | {
      type: "CapInserted";
      pid: number;
      slot: number;
      capId: number;
      objectType: number;
      objectId: number;
      perms: number;
    }
  | { type: "CapRemoved"; pid: number; slot: number }
  | {
      type: "CapGranted";
      fromPid: number;
      toPid: number;
      fromSlot: number;
      toSlot: number;
      newCapId: number;
      perms: number;
    }
  | { type: "EndpointCreated"; id: number; owner: number }
  | { type: "EndpointDestroyed"; id: number }
  | { type: "MessageSent"; fromPid: number; toEndpoint: number; tag: number; size: number };

export interface Commit {
  seq: number;
  timestamp: number;
  /** 32-byte id as 64 hex digits. */
  id: string;
  prev: string;
  body: CommitBody;
}

const P = FNV64_PRIME;
const MASK = 0xffffffffffffffffn;
const ZERO_ID = "0".repeat(64);

function fields(h: Fnv64, body: CommitBody): void {
  const u64 = (n: number) => h.i64(n);
  switch (body.type) {
    case "Genesis":
      return;
    case "ProcessCreated":
      (u64(body.pid), u64(body.parent), h.update(utf8Encode(body.name)));
      return;
    case "ProcessExited":
      (u64(body.pid), h.u32(body.code >>> 0));
      return;
    case "ProcessFaulted":
      (u64(body.pid), h.u32(body.reason), h.update(utf8Encode(body.description)));
      return;
    case "CapInserted":
      (u64(body.pid), h.u32(body.slot), u64(body.capId), h.u8(body.objectType), u64(body.objectId), h.u8(body.perms));
      return;
    case "CapRemoved":
      (u64(body.pid), h.u32(body.slot));
      return;
    case "CapGranted":
      (u64(body.fromPid),
        u64(body.toPid),
        h.u32(body.fromSlot),
        h.u32(body.toSlot),
        u64(body.newCapId),
        h.u8(body.perms));
      return;
    case "EndpointCreated":
      (u64(body.id), u64(body.owner));
      return;
    case "EndpointDestroyed":
      u64(body.id);
      return;
    case "MessageSent":
      (u64(body.fromPid), u64(body.toEndpoint), h.u32(body.tag), u64(body.size));
  }
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function le64hex(v: bigint): string {
  let s = "";
  for (let i = 0; i < 8; i++)
    s += Number((v >> BigInt(8 * i)) & 0xffn)
      .toString(16)
      .padStart(2, "0");
  return s;
}

/** The commit id of a body at a position in the chain. */
export function commitId(prev: string, seq: number, timestamp: number, body: CommitBody): string {
  const h = new Fnv64().update(hexToBytes(prev)).i64(seq).i64(timestamp).u8(CommitType[body.type]);
  fields(h, body);
  const v = h.value();
  return le64hex(v) + le64hex((v * P) & MASK) + le64hex((v * P * P) & MASK) + le64hex((v * P * P * P) & MASK);
}

export class CommitLog {
  private head = ZERO_ID;
  private seq = 0;
  private readonly listeners: ((commit: Commit) => void)[] = [];
  /** Recent commits for views; the chain itself is unbounded. */
  private readonly recentCommits: Commit[] = [];

  constructor() {
    this.append(0, { type: "Genesis" });
  }

  append(timestamp: number, body: CommitBody): Commit {
    const seq = this.seq++;
    const id = commitId(this.head, seq, timestamp, body);
    const commit: Commit = { seq, timestamp, id, prev: this.head, body };
    this.head = id;
    this.recentCommits.push(commit);
    if (this.recentCommits.length > 11_000) this.recentCommits.splice(0, 1_000);
    for (const l of this.listeners) l(commit);
    return commit;
  }

  onCommit(listener: (commit: Commit) => void): void {
    this.listeners.push(listener);
  }

  get count(): number {
    return this.seq;
  }

  /** Id of the newest commit: a digest of the whole chain. */
  digest(): string {
    return this.head;
  }

  recent(): readonly Commit[] {
    return this.recentCommits;
  }
}

/** Check a sequence of commits links up from genesis and every id matches its content. */
export function verifyChain(commits: readonly Commit[]): { ok: true } | { ok: false; seq: number; reason: string } {
  let prev = ZERO_ID;
  for (const c of commits) {
    if (c.prev !== prev) return { ok: false, seq: c.seq, reason: "prev does not match the previous commit's id" };
    const id = commitId(c.prev, c.seq, c.timestamp, c.body);
    if (id !== c.id) return { ok: false, seq: c.seq, reason: `id ${c.id} does not match its content (${id})` };
    prev = c.id;
  }
  return { ok: true };
}
