// PortRange: an x86-style I/O port range. Ports are absolute numbers (0x1F0, not an offset), as in
// every datasheet; the kernel checks each access against first..last.

import { Sys } from "../../kernel/abi";
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
