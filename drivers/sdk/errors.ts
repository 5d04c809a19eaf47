// The errors the SDK throws. Each names what failed in the driver author's terms (the syscall, the
// service, the device) so that a fault report is readable without the SDK's source at hand.

import { describeError, syscallName } from "../../kernel/abi";

/** A syscall made through the SDK returned -E_*. `errno` is the positive code (Errno.E_BADF = 7, …). */
export class SyscallFailedError extends Error {
  readonly syscall: string;
  readonly errno: number;

  constructor(num: number, result: number) {
    const syscall = syscallName(num);
    super(`${syscall} failed: ${describeError(result)}`);
    this.name = "SyscallFailedError";
    this.syscall = syscall;
    this.errno = Math.abs(result);
  }
}

/** A service could not be registered, found or called (e.g. its driver died mid-call). */
export class ServiceError extends Error {
  readonly service: string;
  readonly errno: number;

  constructor(service: string, what: string, errno: number) {
    super(`${what} service "${service}" failed: ${describeError(errno)}`);
    this.name = "ServiceError";
    this.service = service;
    this.errno = errno;
  }
}

/** The kernel or Init answered with something the protocol does not allow: a kernel bug, not yours. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** The kernel asked this process to stop (Tag.SHUTDOWN): the machine is otherwise idle. Thrown out
 *  of whatever receive the driver is blocked in; defineDriver turns it into exit code 0, so a
 *  driver's serve loop needs no shutdown case of its own — just don't swallow this error. */
export class MachineShutdown extends Error {
  constructor() {
    super("the machine is shutting down");
    this.name = "MachineShutdown";
  }
}
