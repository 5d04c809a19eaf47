// What happened on the console devices, for the run summary: bytes each way, and everything that
// was dropped or misused (a flood cut off, an overrun, keys typed with no driver to take them,
// registers written in the wrong order). Counted in the devices and the input hub; shown here.

import { Uart16550, VirtioConsole, type Machine } from "../devices";
import type { ConsoleInputStats } from "../kernel/console-input";
import type { DeviceEvent } from "../devices/machine-interface";

export interface ConsoleDeviceReport {
  device: string;
  kind: "uart16550" | "virtio-console";
  /** Bytes the device transmitted to the console / received from outside. */
  txBytes: number;
  rxBytes: number;
  /** Outside input dropped because the device's bounded input queue was full. */
  inputDropped: number;
  /** UART: characters lost to a full receive FIFO (LSR.OE). */
  overruns: number;
  /** UART: characters written to THR with the transmitter full. */
  txDropped: number;
  /** Register or queue misuse the device reported (driver-error events). */
  driverErrors: number;
  /** UART: of those, registers programmed in the wrong order (DLAB left set, IER before LCR). */
  orderErrors: number;
}

export interface ConsoleReport {
  devices: ConsoleDeviceReport[];
  /** Keystrokes: delivered to a device, dropped before the machine took them (too many waiting),
   *  still waiting when the run ended (no console driver ran, or no program read any more). */
  keys?: ConsoleInputStats & { dropped: number; unused: number };
  /** Output the host's terminal emulator could not keep up with (dropped, counted). */
  outputDropped?: number;
  /** The rendered screen, when the run rendered one (--interactive, --input). */
  screen?: string[];
}

export function consoleDevices(machine: Machine, events: readonly DeviceEvent[]): ConsoleDeviceReport[] {
  const out: ConsoleDeviceReport[] = [];
  for (const info of machine.devices) {
    const errors = events.filter((e) => e.device === info.name && e.kind === "driver-error").length;
    if (info.kind === "uart16550") {
      const s = machine.backend(info.name, Uart16550).stats;
      out.push({
        device: info.name,
        kind: "uart16550",
        txBytes: s.txBytes,
        rxBytes: s.rxBytes,
        inputDropped: s.inputDropped,
        overruns: s.overruns,
        txDropped: s.txDropped,
        driverErrors: s.driverErrors,
        orderErrors: s.orderErrors,
      });
    } else if (info.virtioId === 3) {
      const s = machine.backend(info.name, VirtioConsole).stats;
      out.push({
        device: info.name,
        kind: "virtio-console",
        txBytes: s.txBytes,
        rxBytes: s.rxBytes,
        inputDropped: s.inputDropped,
        overruns: 0,
        txDropped: 0,
        driverErrors: errors,
        orderErrors: 0,
      });
    }
  }
  return out;
}

/** True when the report has something a user should hear about even in a plain run. */
export function worthShowing(report: ConsoleReport): boolean {
  const k = report.keys;
  return (
    report.devices.some((d) => d.inputDropped + d.overruns + d.txDropped + d.driverErrors > 0) ||
    (k !== undefined && k.delivered + k.dropped + k.unused > 0) ||
    (report.outputDropped ?? 0) > 0
  );
}

/** Summary lines (the device events themselves, driver errors included, are listed by formatSummary). */
export function formatConsoleReport(report: ConsoleReport): string[] {
  const lines: string[] = [];
  for (const d of report.devices) {
    if (d.txBytes + d.rxBytes + d.inputDropped + d.overruns + d.txDropped + d.driverErrors === 0) continue;
    const problems = [
      d.inputDropped && `${d.inputDropped} input bytes dropped (flood: the device's input queue was full)`,
      d.overruns && `${d.overruns} overruns (receive FIFO full: the driver did not read in time)`,
      d.txDropped && `${d.txDropped} transmit bytes dropped (THR written while full)`,
      d.driverErrors &&
        `${d.driverErrors} driver errors${d.orderErrors ? ` (${d.orderErrors} registers programmed in the wrong order)` : ""}`,
    ].filter((p): p is string => typeof p === "string");
    lines.push(
      `   console ${d.device}: ${d.txBytes} bytes out, ${d.rxBytes} in${problems.length ? `; ${problems.join("; ")}` : ""}`,
    );
  }
  const k = report.keys;
  if (k) {
    const parts = [`${k.delivered} bytes typed into ${k.device ?? "no device"}`];
    if (k.dropped) parts.push(`${k.dropped} bytes dropped (typed faster than the machine took them)`);
    if (k.unused) parts.push(`${k.unused} bytes never typed (no console driver ran, or no program read any more)`);
    lines.push(`   keys: ${parts.join("; ")}`);
  }
  if (report.outputDropped)
    lines.push(`   console output: ${report.outputDropped} bytes not rendered (the terminal fell behind)`);
  return lines;
}
