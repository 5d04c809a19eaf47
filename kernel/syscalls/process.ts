// Process block: KILL, DELETE_ENDPOINT, and the Init-only calls. Init is part of our kernel, so a
// user process calling REGISTER_PROCESS, CREATE_ENDPOINT_FOR, LOAD_BINARY or SPAWN_PROCESS is
// refused exactly as Zero OS refuses a caller that is not Init.

import { ObjectType, Perm } from "../abi/caps";
import { Errno, SpawnSyscallError } from "../abi/errors";
import { Pid, Sys } from "../abi/syscalls";
import { fail, ok, type SyscallHandler } from "./outcome";

const notInit: SyscallHandler = () => fail(Errno.E_PERM);
const spawnRefused: SyscallHandler = () => ({ kind: "return", result: SpawnSyscallError.PERMISSION_DENIED });

/** KILL a0 = PID: the caller needs a Process capability for it with the write right. */
const kill: SyscallHandler = (k, p, req) => {
  const target = k.process(req.a0);
  if (!target?.alive || req.a0 === Pid.INIT) return fail(Errno.E_NOENT);
  const allowed = p.cspace
    .entries()
    .some(
      ([slot, cap]) =>
        cap.objectType === ObjectType.Process &&
        cap.objectId === target.pid &&
        k.capabilities.check(p, slot, Perm.WRITE, ObjectType.Process).ok,
    );
  if (!allowed) return fail(Errno.E_PERM);
  k.output.debug(target, `killed by ${p.name} (pid ${p.pid})`);
  k.exit(target, -1); // Zero OS: a killed process exits with code -1
  return target === p ? { kind: "ended" } : ok();
};

/** DELETE_ENDPOINT a0 = slot of an endpoint the caller owns (Zero OS leaves the arguments undefined). */
const deleteEndpoint: SyscallHandler = (k, p, req) => {
  const check = k.capabilities.check(p, req.a0, Perm.GRANT, ObjectType.Endpoint);
  if (!check.ok) return fail(check.errno);
  const ep = k.endpoint(check.cap.objectId);
  if (!ep) return fail(Errno.E_NOENT);
  if (ep.owner !== p.pid) return fail(Errno.E_PERM);
  k.destroyEndpoint(ep.id);
  p.endpoints.delete(ep.id);
  return ok();
};

export const processSyscalls: [number, SyscallHandler][] = [
  [Sys.KILL, kill],
  [Sys.DELETE_ENDPOINT, deleteEndpoint],
  [Sys.REGISTER_PROCESS, notInit],
  [Sys.CREATE_ENDPOINT_FOR, notInit],
  [Sys.LOAD_BINARY, spawnRefused],
  [Sys.SPAWN_PROCESS, spawnRefused],
];
