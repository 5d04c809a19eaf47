// The diagnostic codes live in kernel/abi/diagnostics.ts: one table for `zds check`, the language
// server, the kernel and the SDK, so that a run's fault report carries the code the editor shows.

export {
  Codes,
  severityOf,
  OPT_IN_CODES,
  RUNTIME_COUNTERPART,
  type DiagnosticCode,
  type Severity,
} from "../../kernel/abi/diagnostics";
