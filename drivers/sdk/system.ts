// System: the process-wide services every driver gets as main's second argument — logging, the
// machine console, virtual time, introspection and exit. (Named System because `Sys` is the ABI's
// table of syscall numbers.)

import {
  Errno,
  MAX_TEXT_BYTES,
  Sys,
  decodeCapInfo,
  decodeCapList,
  decodePsList,
  utf8Encode,
  type CapInfo,
  type CapListEntry,
  type PsEntry,
  type StartupInfo,
} from "../../kernel/abi";
import { ProtocolError, SyscallFailedError } from "./errors";
import type { SyscallPort } from "./syscall-port";

export interface System {
  /** This process's PID and name, as Init started it. */
  readonly pid: number;
  readonly name: string;
  /** The device Init bound this process to, if any. */
  readonly device: StartupInfo["device"];
  /** A line for the debug log (the SysLog and the debugger's output), not the machine console. */
  debug(text: string): void;
  /** Text for the machine's console, as a user sees it. Add "\n" yourself. */
  console(text: string): void;
  /** Virtual time in nanoseconds since the machine started. */
  time(): number;
  /** Give the run token to the next process. */
  yield(): void;
  /** End this process now with `code`. */
  exit(code: number): never;
  /** The processes running. */
  ps(): PsEntry[];
  /** This process's capabilities. */
  caps(): CapListEntry[];
  /** What the capability in `slot` is, or undefined for an empty slot. */
  inspect(slot: number): CapInfo | undefined;
  /** Give up the capability in `slot` (CAP_DELETE; only this slot). False if it was empty. */
  deleteCap(slot: number): boolean;
  /** Revoke the capability in `slot` and everything granted, derived or lent from it, wherever it
   *  is (CAP_REVOKE; needs the grant right). Our own slot goes too. */
  revokeCap(slot: number): void;
}

export function createSystem(kernel: SyscallPort, startup: StartupInfo): System {
  return {
    pid: startup.pid,
    name: startup.name,
    device: startup.device,
    debug: (text) => writeText(kernel, Sys.DEBUG, text),
    console: (text) => writeText(kernel, Sys.CONSOLE_WRITE, text),
    time: () => kernel.call(Sys.TIME, 2),
    yield: () => void kernel.call(Sys.YIELD),
    exit(code: number): never {
      kernel.call(Sys.EXIT, code | 0);
      throw new ProtocolError("SYS_EXIT returned: the kernel resumed an exited process");
    },
    ps() {
      kernel.call(Sys.PS);
      return decodePsList(kernel.response());
    },
    caps() {
      kernel.call(Sys.CAP_LIST);
      return decodeCapList(kernel.response());
    },
    inspect(slot) {
      const result = kernel.raw(Sys.CAP_INSPECT, slot);
      if (result === 0 || result === -Errno.E_BADF) return undefined;
      if (result < 0) throw new SyscallFailedError(Sys.CAP_INSPECT, result);
      const info = decodeCapInfo(kernel.response());
      if (!info) throw new ProtocolError("SYS_CAP_INSPECT answered with too few bytes");
      return info;
    },
    deleteCap(slot) {
      const result = kernel.raw(Sys.CAP_DELETE, slot);
      if (result === -Errno.E_BADF) return false;
      if (result < 0) throw new SyscallFailedError(Sys.CAP_DELETE, result);
      return true;
    },
    revokeCap: (slot) => void kernel.call(Sys.CAP_REVOKE, slot),
  };
}

/** DEBUG and CONSOLE_WRITE take at most MAX_TEXT_BYTES and must be valid UTF-8, so long text is
 *  sent in pieces cut between characters, never inside one. */
function writeText(kernel: SyscallPort, num: number, text: string): void {
  // A UTF-16 code unit encodes to at most 3 bytes (a surrogate pair, two units, to 4).
  const maxUnits = Math.floor(MAX_TEXT_BYTES / 3);
  for (let at = 0; at < text.length;) {
    let end = Math.min(at + maxUnits, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    const bytes = utf8Encode(text.slice(at, end));
    kernel.call(num, bytes.length, 0, 0, bytes);
    at = end;
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
