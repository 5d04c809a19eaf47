// The console protocol ("console", docs/console-protocol.md), server side: decoding a request into
// what it asks for, already checked, and encoding the replies. Every console driver (UART,
// virtio-console) serves the same protocol, so the checks live here once and the drivers only move bytes.

import { CONSOLE_MAX_READ, CONSOLE_MAX_WRITE, ConsoleError, ConsoleTag } from "../../kernel/abi";
import { Reader, Writer } from "./ipc";

export type ConsoleRequest =
  | { readonly kind: "write"; readonly bytes: Uint8Array }
  | { readonly kind: "read"; readonly max: number }
  /** Answer with `consoleError(error)`. */
  | { readonly kind: "refused"; readonly error: number };

export function decodeConsoleRequest(tag: number, payload: Uint8Array): ConsoleRequest {
  switch (tag) {
    case ConsoleTag.WRITE:
      if (payload.length === 0 || payload.length > CONSOLE_MAX_WRITE)
        return { kind: "refused", error: ConsoleError.INVALID };
      return { kind: "write", bytes: payload };
    case ConsoleTag.READ: {
      if (payload.length !== 4) return { kind: "refused", error: ConsoleError.INVALID };
      const max = new Reader(payload).u32();
      if (max === 0 || max > CONSOLE_MAX_READ) return { kind: "refused", error: ConsoleError.INVALID };
      return { kind: "read", max };
    }
    default:
      return { kind: "refused", error: ConsoleError.UNSUPPORTED };
  }
}

/** WRITTEN reply: how many bytes went out. */
export function consoleWritten(count: number): Uint8Array {
  return new Writer().u32(count).finish();
}

/** ERROR reply payload. */
export function consoleError(status: number): Uint8Array {
  return new Writer().u32(status).finish();
}
