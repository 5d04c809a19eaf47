// Streams a session's SysLog and CommitLog into a .zlog file as they happen, in bounded chunks.

import fs from "node:fs";
import type { Kernel } from "../kernel";
import type { ConsoleDelivery } from "../console-input";
import type { AdapterDelivery } from "../adapters/hub";
import type { FaultDelivery } from "../faults/injector";
import type { Fault } from "../process";
import {
  adapterLine,
  commitLine,
  inputLine,
  syscallLine,
  type ZlogEnd,
  type ZlogHeader,
  type ZlogProcessFault,
} from "./zlog";

const CHUNK_BYTES = 1 << 16;

export class ZlogWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private closed = false;
  private inputs = 0;
  private adapterResults = 0;
  private faultInputs = 0;
  private processFaults = 0;

  constructor(
    readonly file: string,
    header: ZlogHeader,
    kernel: Kernel,
  ) {
    this.fd = fs.openSync(file, "w");
    this.line(JSON.stringify(header));
    // Genesis (and anything else before attach) is already in the log.
    for (const c of kernel.commits.recent()) this.line(JSON.stringify(commitLine(c)));
    kernel.syslog.onEvent((event, hash) => this.line(JSON.stringify(syscallLine(event, hash))));
    kernel.commits.onCommit((commit) => this.line(JSON.stringify(commitLine(commit))));
    kernel.onFault((proc, fault) => this.line(JSON.stringify(processFaultLine(this.processFaults++, proc.pid, fault))));
  }

  /** Keystrokes applied to a console device, in stream order (before the events they cause). */
  input(delivery: ConsoleDelivery): void {
    this.line(JSON.stringify(inputLine(this.inputs++, delivery)));
  }

  /** A storage or network result delivered to its requester, in stream order. */
  adapterResult(delivery: AdapterDelivery): void {
    this.line(JSON.stringify(adapterLine(this.adapterResults++, delivery)));
  }

  /** A fault injected from outside the plan (a debug session), with its input point. */
  faultInput(delivery: FaultDelivery): void {
    const { spec, index, at } = delivery;
    const line = { fi: this.faultInputs++, spec: spec.text, f: index, event: at.event, commit: at.commit, t: at.t };
    this.line(JSON.stringify(line));
  }

  close(end: ZlogEnd): void {
    if (this.closed) return;
    this.line(JSON.stringify(end));
    this.flush();
    this.closed = true;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }

  private line(text: string): void {
    if (this.closed) return;
    this.buffer.push(text);
    this.bufferedBytes += text.length + 1;
    if (this.bufferedBytes >= CHUNK_BYTES) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    fs.writeSync(this.fd, this.buffer.join("\n") + "\n");
    this.buffer = [];
    this.bufferedBytes = 0;
  }
}

/** A fault's place in the driver's source, as a `pf` line (docs/zlog.md): its own frames only. */
function processFaultLine(index: number, pid: number, fault: Fault): ZlogProcessFault {
  const frames = (fault.frames ?? []).flatMap((f) =>
    f.origin === "driver" && f.source ? [{ name: f.name.replace(/^Object\./, ""), ...f.source }] : [],
  );
  return {
    pf: index,
    pid,
    t: fault.at,
    kind: fault.kind,
    ...(fault.code && { code: fault.code }),
    message: fault.message,
    ...(fault.source && { source: fault.source }),
    ...(frames.length > 0 && { frames }),
    ...(fault.fix && { fix: fault.fix }),
  };
}
