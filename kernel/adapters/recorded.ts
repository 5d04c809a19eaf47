// The replay backend of the adapters: every result comes from the trace (its adapter lines, keyed
// by kind and request id), so a replay touches neither the store nor the network and still gives
// the same results at the same points (kernel/adapters/hub.ts says why the points are the same).

import { NET_RESULT_TYPE, StorageResult } from "../abi/adapters";
import type { AdapterBackend, AdapterKind, ResultBody } from "./hub";

export interface RecordedResult {
  kind: AdapterKind;
  id: number;
  type: number;
  data: Uint8Array;
}

export class RecordedAdapters implements AdapterBackend {
  private readonly results = new Map<string, ResultBody>();
  /** Requests the trace had no result for (the replay has diverged). */
  readonly missing: string[] = [];

  constructor(recorded: readonly RecordedResult[]) {
    for (const r of recorded) this.results.set(`${r.kind}:${r.id}`, { type: r.type, data: r.data });
  }

  storage(id: number): ResultBody {
    return this.take("storage", id);
  }

  network(id: number): ResultBody {
    return this.take("network", id);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private take(kind: AdapterKind, id: number): ResultBody {
    const found = this.results.get(`${kind}:${id}`);
    if (found) return found;
    const text = `replay: the trace holds no result for ${kind} request ${id}`;
    this.missing.push(`${kind} request ${id}`);
    const data = new TextEncoder().encode(
      kind === "storage" ? text : JSON.stringify({ result: { Err: { Other: text } }, message: text }),
    );
    return { type: kind === "storage" ? StorageResult.ERROR : NET_RESULT_TYPE, data };
  }
}
