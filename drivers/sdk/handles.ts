// From manifest to handles: the type of main's first argument is computed from the manifest's caps
// (so `main({ regs, irq })` is fully typed), and at start the kernel's StartupInfo is turned into
// the matching objects.

import { rightsText, type CapSpec, type GrantWords, type HandleInfo, type StartupInfo } from "../../kernel/abi";
import { ServiceClient } from "./client";
import { allocateDma, DmaBuffer } from "./dma";
import { ProtocolError } from "./errors";
import { answerWrongKind, recordHandle } from "./guard";
import { Inbox } from "./inbox";
import { Irq } from "./irq";
import type { SyscallPort } from "./syscall-port";
import { MmioRegion } from "./mmio";
import { PortRange } from "./ports";
import { Service } from "./service";

/** Which handle each capability kind becomes. */
export interface HandleKinds {
  mmio: MmioRegion;
  irq: Irq;
  dma: DmaBuffer;
  ports: PortRange;
  serve: Service;
  client: ServiceClient;
}

export type HandleFor<S extends CapSpec> = HandleKinds[S["kind"]];

/** The handles main() receives for a manifest whose caps are `C`. */
export type Handles<C extends Record<string, CapSpec>> = { readonly [K in keyof C]: HandleFor<C[K]> };

type AnyHandle = HandleKinds[keyof HandleKinds];

/** Build one handle per manifest capability, in declaration order (so DMA is allocated in that order). */
export function buildHandles<C extends Record<string, CapSpec>>(
  kernel: SyscallPort,
  caps: C,
  startup: StartupInfo,
): Handles<C> {
  const inbox = new Inbox(kernel);
  const handles: Record<string, AnyHandle> = {};
  for (const [name, spec] of Object.entries(caps)) {
    const info = startup.handles[name];
    if (!info) throw new ProtocolError(`the kernel granted no handle for capability "${name}"`);
    if (info.kind !== spec.kind) {
      throw new ProtocolError(
        `capability "${name}" is ${spec.kind} in the manifest but the kernel granted ${info.kind}`,
      );
    }
    const handle = makeHandle(kernel, inbox, info);
    recordHandle(handle, { kind: info.kind, words: grantWords(name, info, handle), kernel });
    handles[name] = handle;
  }
  // Sound because every entry was built from the spec of the same name and checked to match its kind.
  return handles as Handles<C>;
}

function makeHandle(kernel: SyscallPort, inbox: Inbox, info: HandleInfo): AnyHandle {
  switch (info.kind) {
    case "mmio":
      return new MmioRegion(kernel, info);
    case "ports":
      return new PortRange(kernel, info);
    case "irq":
      return new Irq(kernel, inbox, info);
    case "dma":
      return allocateDma(kernel, info.size);
    case "serve":
      return new Service(kernel, inbox, info);
    case "client":
      return new ServiceClient(kernel, info.service);
  }
}

/** How messages name a granted handle (kernel/abi/diagnostics.ts grantText). */
function grantWords(name: string, info: HandleInfo, handle: AnyHandle): GrantWords {
  switch (info.kind) {
    case "mmio":
      return { kind: "mmio", name, size: info.size, rights: rightsText(info.perms) };
    case "ports":
      return { kind: "ports", name, first: info.first, last: info.last, rights: rightsText(info.perms) };
    case "dma":
      return { kind: "dma", name, size: (handle as DmaBuffer).size };
    case "irq":
      return { kind: "irq", name };
    case "serve":
    case "client":
      return { kind: info.kind, name, service: info.service };
  }
}

// A method of another kind of handle answers with ZDS202 instead of "x is not a function".
answerWrongKind(MmioRegion.prototype, "mmio");
answerWrongKind(PortRange.prototype, "ports");
answerWrongKind(Irq.prototype, "irq");
answerWrongKind(DmaBuffer.prototype, "dma");
answerWrongKind(Service.prototype, "serve");
answerWrongKind(ServiceClient.prototype, "client");
