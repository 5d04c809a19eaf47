// What `zds check --format json` reports for each driver file: cli/check.ts writes it, the extension's
// Check Capabilities command reads it from the child process (extension/cli-bundle.ts). Types only.

export interface CheckedDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
  related: { file: string; line: number; column: number; message: string }[];
  fixes: string[];
}

export interface CheckResult {
  files: string[];
  diagnostics: CheckedDiagnostic[];
}
