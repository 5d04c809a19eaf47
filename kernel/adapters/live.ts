// The live backend of the adapters: storage in the machine's FileStore (opened at the first storage
// request, so a run that never uses storage never touches the disk), network through the allow-list
// and a real fetch. Results are framed as Zero OS frames them (kernel/abi/adapters.ts).

import path from "node:path";
import type { MachineDescription } from "../../devices";
import { MAX_ADAPTER_RESULT_DATA, MAX_STORAGE_VALUE_BYTES, NET_RESULT_TYPE, StorageResult } from "../abi/adapters";
import type { HttpResponseJson } from "../abi/adapters";
import type { AdapterBackend, ResultBody, StorageOp } from "./hub";
import { fetchRequest, parseRequest, DEFAULT_NETWORK_POLICY, type NetworkPolicy } from "./network-fetch";
import { FileStore } from "./storage-store";

export interface LiveAdapterOptions {
  /** The store's directory (created at the first storage request). */
  storageDir: string;
  network?: NetworkPolicy;
  /** One line for the run's debug output (the store was opened, recovered a torn tail…). */
  note?: (text: string) => void;
}

/** Where a machine's store lives when nothing says otherwise: .zds/storage/<machine> in the cwd. */
export function defaultStorageDir(machineName: string, cwd = process.cwd()): string {
  return path.join(cwd, ".zds", "storage", machineName.replace(/[^A-Za-z0-9._-]/g, "-"));
}

/** The adapters a machine description asks for; `storageDir` (zds run --storage) wins over its
 *  "storage.path". Relative paths are taken from the current directory. */
export function adaptersFor(
  description: Pick<MachineDescription, "name" | "storage" | "network">,
  storageDir?: string,
): { storageDir: string; network?: NetworkPolicy; timing: { storageLatencyNs?: number; networkLatencyNs?: number } } {
  const dir = storageDir ?? description.storage?.path;
  return {
    storageDir: dir === undefined ? defaultStorageDir(description.name) : path.resolve(dir),
    network: description.network,
    timing: {
      storageLatencyNs: description.storage && description.storage.latencyUs * 1000,
      networkLatencyNs: description.network && description.network.latencyUs * 1000,
    },
  };
}

const encoder = new TextEncoder();

export function storageError(message: string): ResultBody {
  return { type: StorageResult.ERROR, data: encoder.encode(message) };
}

export function networkAnswer(response: HttpResponseJson): ResultBody {
  const json = JSON.stringify(response);
  if (json.length <= MAX_ADAPTER_RESULT_DATA) return { type: NET_RESULT_TYPE, data: encoder.encode(json) };
  const message = `the HttpResponse JSON is ${json.length} bytes, more than a result message carries (${MAX_ADAPTER_RESULT_DATA} bytes; the body's bytes are numbers in it, about 4 characters each)`;
  return {
    type: NET_RESULT_TYPE,
    data: encoder.encode(JSON.stringify({ result: { Err: { Other: message } }, message })),
  };
}

export class LiveAdapters implements AdapterBackend {
  private store: Promise<FileStore> | undefined;
  private readonly policy: NetworkPolicy;
  private readonly fetches = new Set<Promise<unknown>>();

  constructor(private readonly options: LiveAdapterOptions) {
    this.policy = options.network ?? DEFAULT_NETWORK_POLICY;
  }

  /** The store once opened (for stats), else undefined. */
  opened: FileStore | undefined;

  storage(_id: number, op: StorageOp): Promise<ResultBody> {
    this.store ??= FileStore.open(this.options.storageDir).then((store) => {
      this.opened = store;
      const recovered = store.stats.recoveredBytes;
      this.options.note?.(
        `storage: ${store.dir}: ${store.stats.keysAtOpen} keys${recovered > 0 ? `; cut a torn or damaged tail of ${recovered} bytes (kept as store.log.tail-*)` : ""}`,
      );
      return store;
    });
    return this.store.then(
      (store) => apply(store, op),
      (error: unknown) =>
        storageError(`storage unavailable: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  network(_id: number, requestJson: string): ResultBody | Promise<ResultBody> {
    const parsed = parseRequest(requestJson, this.policy);
    if (!parsed.ok) return networkAnswer(parsed.response);
    const done = fetchRequest(parsed, this.policy).then(networkAnswer);
    this.fetches.add(done);
    void done.finally(() => this.fetches.delete(done));
    return done;
  }

  async close(): Promise<void> {
    // A fetch still running is not waited for: its result would go nowhere.
    const store = await this.store?.catch(() => undefined);
    await store?.close();
  }
}

async function apply(store: FileStore, op: StorageOp): Promise<ResultBody> {
  if (store.failure) return storageError(store.failure);
  switch (op.op) {
    case "read": {
      const value = store.get(op.key);
      return value
        ? { type: StorageResult.READ_OK, data: value }
        : { type: StorageResult.NOT_FOUND, data: new Uint8Array(0) };
    }
    case "exists":
      return { type: StorageResult.EXISTS_OK, data: Uint8Array.of(store.has(op.key) ? 1 : 0) };
    case "list": {
      const json = JSON.stringify(store.keys(op.prefix));
      const data = encoder.encode(json);
      if (data.length > MAX_ADAPTER_RESULT_DATA)
        return storageError(
          `the keys under prefix ${JSON.stringify(op.prefix)} make ${data.length} bytes of JSON, more than a result message carries (${MAX_ADAPTER_RESULT_DATA}); list a longer prefix`,
        );
      return { type: StorageResult.LIST_OK, data };
    }
    case "write":
      if (op.value.length > MAX_STORAGE_VALUE_BYTES)
        return storageError(`value of ${op.value.length} bytes is larger than ${MAX_STORAGE_VALUE_BYTES} bytes`);
      return durably(store.put(op.key, op.value));
    case "delete":
      return durably(store.delete(op.key));
  }
}

/** WRITE_OK once the record is on disk; ERROR if writing it failed. */
async function durably(written: Promise<void>): Promise<ResultBody> {
  try {
    await written;
    return { type: StorageResult.WRITE_OK, data: new Uint8Array(0) };
  } catch (error) {
    return storageError(error instanceof Error ? error.message : String(error));
  }
}
