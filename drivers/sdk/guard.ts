// What the SDK answers when driver code uses a handle as no manifest allows, in the words of
// `zds check` (kernel/abi/diagnostics.ts) instead of a bare JavaScript error:
//  - a capability the manifest does not declare (`main({ irq })` with no `irq: irq()`) is not
//    `undefined`: any method called on it ends the driver with ZDS201, its message and its fix;
//  - a method of another kind of handle (`regs.out8()` on an MMIO window) throws ZDS202, naming
//    the handle's kind and what it offers, instead of "regs.out8 is not a function";
//  - a violation the SDK finds (these, and DMA accesses outside a buffer) ends the driver at once
//    through SYS_FAULT, like a violation the kernel finds, and the run counts it.
// Every object here is made inside the driver's own compartment: nothing of the host is reached.

import {
  Codes,
  HANDLE_METHODS,
  constructorText,
  handleKindsWithMethod,
  undeclaredFix,
  undeclaredMessage,
  wrongKindMessage,
  type GrantWords,
  type HandleKind,
} from "../../kernel/abi";
import { hex } from "../../kernel/abi/format";
import { CapabilityViolation, DriverError } from "./errors";
import type { SyscallPort } from "./syscall-port";

/** What the SDK knows of a handle it made: the manifest name, and the grant as messages name it. */
export interface HandleRecord {
  kind: HandleKind;
  words: GrantWords;
  kernel: SyscallPort | undefined;
}

const records = new WeakMap<object, HandleRecord>();

export function recordHandle(handle: object, record: HandleRecord): void {
  records.set(handle, record);
}

export function handleRecord(handle: unknown): HandleRecord | undefined {
  return typeof handle === "object" && handle !== null ? records.get(handle) : undefined;
}

/** End the driver with a violation the SDK found (reported to the kernel, which counts it). Without
 *  a kernel to report to (a test's bare handle), the violation is thrown. */
export function violate(kernel: SyscallPort | undefined, violation: CapabilityViolation): never {
  if (kernel) kernel.fault(violation);
  throw violation;
}

/** Give `proto` every method of the other kinds of handle, each throwing ZDS202 (see above). */
export function answerWrongKind(proto: object, kind: HandleKind): void {
  for (const other of Object.keys(HANDLE_METHODS) as HandleKind[]) {
    if (other === kind) continue;
    for (const method of HANDLE_METHODS[other]) {
      if (method in proto) continue;
      Object.defineProperty(proto, method, {
        configurable: true,
        writable: true,
        enumerable: false,
        value: function wrongKind(this: unknown): never {
          const record = handleRecord(this);
          const words: GrantWords & { kind: HandleKind } = { ...(record?.words ?? { name: "" }), kind };
          throw new DriverError(
            wrongKindMessage(words, method, handleKindsWithMethod(method)[0] ?? other),
            Codes.WRONG_CAPABILITY_KIND,
          );
        },
      });
    }
  }
}

/** Property names a handles object is asked for by the language itself, never by a driver's code. */
const NOT_HANDLES = new Set(["then", "toJSON", "constructor", "prototype", "__proto__"]);

/** The handles object main receives: the granted handles, and for any other name a stand-in that
 *  says, when used, that the manifest does not declare it (ZDS201). */
export function guardHandles<T extends object>(
  handles: T,
  kernel: SyscallPort | undefined,
  declared: readonly string[],
): T {
  return new Proxy(handles, {
    get(target, key, receiver) {
      if (typeof key !== "string" || key in target || NOT_HANDLES.has(key)) return Reflect.get(target, key, receiver);
      return undeclaredHandle(key, kernel, declared);
    },
  });
}

function undeclaredHandle(cap: string, kernel: SyscallPort | undefined, declared: readonly string[]): object {
  const declaredText = declared.length > 0 ? declared.join(", ") : "nothing";
  const fail = (method: string, args: readonly unknown[]): never => {
    const kind = handleKindsWithMethod(method)[0];
    if (!kind) {
      violate(
        kernel,
        new CapabilityViolation(
          `${cap}.${method}: "${cap}" is not a capability the manifest declares (it declares ${declaredText}): the kernel grants this driver no capability by that name`,
          Codes.UNDECLARED_CAPABILITY,
          { operation: `${cap}.${method}`, address: 0, grant: `no capability "${cap}" in the manifest` },
        ),
      );
    }
    const offset = typeof args[0] === "number" ? args[0] : undefined;
    const width = /(\d+)$/.exec(method);
    const end = offset !== undefined ? offset + (width ? Number(width[1]) / 8 : 1) : undefined;
    const ctor = constructorText(kind, cap, {
      size: kind === "mmio" ? end : undefined,
      first: offset,
      last: end !== undefined ? end - 1 : undefined,
    });
    violate(
      kernel,
      new CapabilityViolation(
        undeclaredMessage(method, cap, kind, ctor),
        Codes.UNDECLARED_CAPABILITY,
        {
          operation: `${cap}.${method}()`,
          address: offset ?? 0,
          grant: `no ${kind} capability "${cap}" in the manifest`,
        },
        undeclaredFix(cap, ctor),
      ),
    );
  };
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key !== "string" || NOT_HANDLES.has(key)) return undefined;
        if (key === "toString" || key === "valueOf") return () => `[capability "${cap}", not declared]`;
        if (handleKindsWithMethod(key).length > 0) return (...args: unknown[]) => fail(key, args);
        return fail(key, []);
      },
    },
  );
}

/** `DMA 0x40000000+0x2000 (buffer "ring")`: a DMA grant as a violation record names it. */
export function dmaGrant(phys: number, size: number, name: string | undefined): string {
  return `DMA ${hex(phys)}+${hex(size)}${name !== undefined ? ` (buffer "${name}")` : ""}`;
}
