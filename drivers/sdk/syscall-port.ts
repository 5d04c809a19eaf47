// The SDK's one door to the kernel: a thin wrapper over the SyscallGate that turns negative results
// into SyscallFailedErrors and decodes received messages. Every handle holds the same SyscallPort.
// (Not the kernel itself, which is kernel/kernel.ts's Kernel on the host side of the gate.)

import { decodeWireMessage, syscallName, type SyscallGate, type WireMessage } from "../../kernel/abi";
import { ProtocolError, reportFault, SyscallFailedError } from "./errors";

export class SyscallPort {
  constructor(private readonly gate: SyscallGate) {}

  /** Make a syscall; a negative result throws, saying which rule of the kernel it broke. */
  call(num: number, a0 = 0, a1 = 0, a2 = 0, payload?: Uint8Array): number {
    const result = this.raw(num, a0, a1, a2, payload);
    if (result < 0) throw new SyscallFailedError(num, result);
    return result;
  }

  /** End this process with a report of `error` (its code, its fix, a violation the SDK found). */
  fault(error: Error): never {
    return reportFault(this.gate, error);
  }

  /** Make a syscall and hand back the raw result, for callers that expect a particular -E_*. */
  raw(num: number, a0 = 0, a1 = 0, a2 = 0, payload?: Uint8Array): number {
    return this.gate.syscall(num, a0, a1, a2, payload);
  }

  /** Payload of the last response. */
  response(): Uint8Array {
    return this.gate.response();
  }

  /** Memory attached to the last response (only DMA_ALLOC attaches any). */
  attachedBuffer(): SharedArrayBuffer | undefined {
    return this.gate.attachedBuffer();
  }

  /** The last response decoded as a received message (RECV, RECV_WAIT and CALL answer with one). */
  message(num: number): WireMessage {
    const msg = decodeWireMessage(this.gate.response());
    if (!msg) throw new ProtocolError(`${syscallName(num)} returned a message too short for its header`);
    return msg;
  }
}
