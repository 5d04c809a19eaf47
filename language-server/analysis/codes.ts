// The diagnostic codes. Codes are stable: tools, suppressions and docs/diagnostics.md refer to them,
// so a code is never reused for a different rule. Hundreds group the rules:
// 0xx manifest, 1xx an access against its grant, 2xx capabilities not declared, 3xx least privilege,
// 4xx device binding, 9xx opt-in hints.

export type Severity = "error" | "warning" | "information" | "hint";

export const Codes = {
  /** A manifest whose every value is known, and that Init would refuse (validateManifest). */
  MANIFEST_INVALID: "ZDS001",
  MMIO_OUTSIDE_WINDOW: "ZDS101",
  PORT_OUTSIDE_RANGE: "ZDS102",
  DMA_OUTSIDE_BUFFER: "ZDS103",
  BAD_WIDTH: "ZDS104",
  MISALIGNED: "ZDS105",
  WRITE_WITHOUT_RIGHT: "ZDS106",
  READ_WITHOUT_RIGHT: "ZDS107",
  UNDECLARED_CAPABILITY: "ZDS201",
  WRONG_CAPABILITY_KIND: "ZDS202",
  UNUSED_CAPABILITY: "ZDS301",
  WINDOW_WIDER_THAN_USED: "ZDS302",
  UNUSED_RIGHT: "ZDS303",
  UNKNOWN_VIRTIO_DEVICE: "ZDS401",
  UNDECODED_PORTS: "ZDS402",
  UNKNOWN_DEVICE_TYPE: "ZDS403",
  UNPROVEN_ACCESS: "ZDS901",
  MANIFEST_NOT_CONSTANT: "ZDS902",
} as const;

export type DiagnosticCode = (typeof Codes)[keyof typeof Codes];

/** Severity per code: errors for what certainly faults or fails at run time (or cannot start);
 *  warnings for least privilege (the driver works, but asks for more than it uses); hints for the
 *  opt-in "could not prove" notes. */
export const severityOf: Readonly<Record<DiagnosticCode, Severity>> = {
  ZDS001: "error",
  ZDS101: "error",
  ZDS102: "error",
  ZDS103: "error",
  ZDS104: "error",
  ZDS105: "error",
  ZDS106: "error",
  ZDS107: "error",
  ZDS201: "error",
  ZDS202: "error",
  ZDS301: "warning",
  ZDS302: "warning",
  ZDS303: "warning",
  ZDS401: "error",
  ZDS402: "error",
  ZDS403: "error",
  ZDS901: "hint",
  ZDS902: "hint",
};

/** Codes only reported when the caller asks for hints. */
export const OPT_IN_CODES: ReadonlySet<DiagnosticCode> = new Set([Codes.UNPROVEN_ACCESS, Codes.MANIFEST_NOT_CONSTANT]);
