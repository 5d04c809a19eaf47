// Zero OS error codes (zos-process E_*). Syscalls return the negated code on failure; unlike the
// running browser kernel (which returns a bare -1) we return -E_* consistently, as zero-os-abi.md §10
// recommends. syscall_error (-1..-6, SpawnSyscallError below) stays reserved for LOAD_BINARY / SPAWN_PROCESS.

export const Errno = {
  E_OK: 0,
  E_PERM: 1,
  E_NOENT: 2,
  E_INVAL: 3,
  E_NOSYS: 4,
  E_AGAIN: 5,
  E_NOMEM: 6,
  E_BADF: 7,
  E_BUSY: 8,
  E_EXIST: 9,
  E_OVERFLOW: 10,
} as const;

export type ErrnoName = keyof typeof Errno;

/** zos-ipc `syscall_error`: the negative results LOAD_BINARY (0x16) and SPAWN_PROCESS (0x17) keep
 *  instead of -E_* (zero-os-abi.md §3.3). Returned as they are, not negated. */
export const SpawnSyscallError = {
  INVALID_UTF8: -1,
  NOT_FOUND: -2,
  NOT_SUPPORTED: -3,
  /** The caller is not Init. */
  PERMISSION_DENIED: -4,
  INVALID_ARGUMENT: -5,
  SPAWN_FAILED: -6,
} as const;

const meanings: Record<ErrnoName, string> = {
  E_OK: "success",
  E_PERM: "permission denied",
  E_NOENT: "no such object",
  E_INVAL: "invalid argument",
  E_NOSYS: "not implemented",
  E_AGAIN: "would block",
  E_NOMEM: "out of memory",
  E_BADF: "bad capability slot",
  E_BUSY: "busy",
  E_EXIST: "exists",
  E_OVERFLOW: "buffer too small",
};

/** "E_BADF (bad capability slot)" for -7 or 7. */
export function describeError(code: number): string {
  const abs = Math.abs(code);
  const name = (Object.keys(Errno) as ErrnoName[]).find((n) => Errno[n] === abs);
  return name ? `${name} (${meanings[name]})` : `error ${code}`;
}
