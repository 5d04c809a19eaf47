// A manifest capability as a grant the shared rules (kernel/abi/caps.ts) can check, and the words
// that name it in messages.

import { dmaBufferBytes, Perm, rightsToPerms } from "../../kernel/abi";
import type { CapDecl } from "./manifest-reader";
import { hex } from "./values";

export function permsOf(decl: CapDecl): number {
  // Unknown rights: assume everything, so that no rights problem is reported from a guess.
  return decl.rights ? rightsToPerms(decl.rights) : Perm.READ | Perm.WRITE;
}

/** How a message names the grant: `MMIO window "regs" (0x200 bytes, rw)`. */
export function describeGrant(decl: CapDecl): string {
  const rights = decl.rights ?? "?";
  switch (decl.kind) {
    case "mmio":
      return `MMIO window "${decl.name}" (${decl.size !== undefined ? `${hex(decl.size)} bytes` : "size unknown"}, ${rights})`;
    case "ports":
      return `port range "${decl.name}" (${decl.first !== undefined ? hex(decl.first) : "?"}–${decl.last !== undefined ? hex(decl.last) : "?"}, ${rights})`;
    case "dma":
      return `DMA buffer "${decl.name}" (${decl.size !== undefined ? `${dmaBufferBytes(decl.size)} bytes` : "size unknown"})`;
    case "irq":
      return `IRQ "${decl.name}"`;
    case "serve":
      return `service "${decl.name}" (serve ${JSON.stringify(decl.service ?? "?")})`;
    case "client":
      return `client "${decl.name}" (of ${JSON.stringify(decl.service ?? "?")})`;
    default:
      return `capability "${decl.name}"`;
  }
}

/** The constructor call as written in a manifest, for messages and fixes. */
export function constructorText(
  kind: string,
  name: string,
  opts: { size?: number; first?: number; last?: number },
): string {
  switch (kind) {
    case "mmio":
      return `mmio({ size: ${hex(opts.size ?? 0x1000)} })`;
    case "ports":
      return `ports({ first: ${hex(opts.first ?? 0)}, last: ${hex(opts.last ?? opts.first ?? 0)} })`;
    case "dma":
      return `dma({ size: ${opts.size ?? 4096} })`;
    case "irq":
      return `irq()`;
    case "serve":
      return `serve(${JSON.stringify(name)})`;
    default:
      return `client(${JSON.stringify(name)})`;
  }
}
