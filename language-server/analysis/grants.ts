// A manifest capability as a grant the shared rules (kernel/abi/caps.ts) can check, and the words
// that name it in messages.

import { constructorText, dmaBufferBytes, grantText, Perm, rightsToPerms, type GrantWords } from "../../kernel/abi";
import type { CapDecl } from "./manifest-reader";

export function permsOf(decl: CapDecl): number {
  // Unknown rights: assume everything, so that no rights problem is reported from a guess.
  return decl.rights ? rightsToPerms(decl.rights) : Perm.READ | Perm.WRITE;
}

/** How a message names the grant: `MMIO window "regs" (0x200 bytes, rw)` (the words run-time
 *  faults use too: kernel/abi/diagnostics.ts). */
export function describeGrant(decl: CapDecl): string {
  return grantText(grantWords(decl));
}

/** The declaration as the shared message words see it (a DMA buffer's size in whole pages). */
export function grantWords(decl: CapDecl): GrantWords {
  return {
    kind: decl.kind,
    name: decl.name,
    size: decl.kind === "dma" && decl.size !== undefined ? dmaBufferBytes(decl.size) : decl.size,
    first: decl.first,
    last: decl.last,
    rights: decl.rights,
    service: decl.service,
  };
}

/** The constructor call as written in a manifest, for messages and fixes. */
export { constructorText };
