// PortRange: an x86-style I/O port range. Ports are absolute numbers (0x1F0, not an offset), as in
// every datasheet; the kernel checks each access against first..last.

import { accessMessage, checkPortWidth, Sys } from "../../kernel/abi";
import { DriverError } from "./errors";
import { handleRecord } from "./guard";
import type { SyscallPort } from "./syscall-port";
import { toUnsigned } from "./values";

export class PortRange {
  readonly first: number;
  readonly last: number;
  readonly perms: number;
  readonly slot: number;

  constructor(
    private readonly kernel: SyscallPort,
    info: { slot: number; first: number; last: number; perms: number },
  ) {
    this.slot = info.slot;
    this.first = info.first;
    this.last = info.last;
    this.perms = info.perms;
  }

  in8(port: number): number {
    return this.kernel.call(Sys.IN8, this.slot, port);
  }

  in16(port: number): number {
    return this.kernel.call(Sys.IN16, this.slot, port);
  }

  in32(port: number): number {
    return this.kernel.call(Sys.IN32, this.slot, port);
  }

  out8(port: number, value: number): void {
    this.kernel.call(Sys.OUT8, this.slot, port, toUnsigned(value, 1, `out8 to port 0x${port.toString(16)}`));
  }

  out16(port: number, value: number): void {
    this.kernel.call(Sys.OUT16, this.slot, port, toUnsigned(value, 2, `out16 to port 0x${port.toString(16)}`));
  }

  out32(port: number, value: number): void {
    this.kernel.call(Sys.OUT32, this.slot, port, toUnsigned(value, 4, `out32 to port 0x${port.toString(16)}`));
  }
}

// Ports take 1, 2 or 4 bytes: a JavaScript driver calling in64/out64 hears ZDS104, as from `zds check`.
for (const method of ["in64", "out64"]) {
  Object.defineProperty(PortRange.prototype, method, {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function (this: PortRange, port: unknown): never {
      const write = method === "out64";
      const words = handleRecord(this)?.words ?? {
        kind: "ports" as const,
        name: "",
        first: this.first,
        last: this.last,
      };
      const at = typeof port === "number" ? port : 0;
      const { code, message } = accessMessage(checkPortWidth(8)!, {
        call: `${method}(0x${at.toString(16)}${write ? ", …" : ""})`,
        grant: words,
        space: "ports",
        effect: write ? "write" : "read",
        offset: at,
        width: 8,
        end: this.last,
      });
      throw new DriverError(message, code);
    },
  });
}
