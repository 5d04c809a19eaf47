// Streams a session's SysLog and CommitLog into a .zlog file as they happen, in bounded chunks.

import fs from "node:fs";
import type { Kernel } from "../kernel";
import { commitLine, syscallLine, type ZlogEnd, type ZlogHeader } from "./zlog";

const CHUNK_BYTES = 1 << 16;

export class ZlogWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private closed = false;

  constructor(readonly file: string, header: ZlogHeader, kernel: Kernel) {
    this.fd = fs.openSync(file, "w");
    this.line(JSON.stringify(header));
    // Genesis (and anything else before attach) is already in the log.
    for (const c of kernel.commits.recent()) this.line(JSON.stringify(commitLine(c)));
    kernel.syslog.onEvent((event, hash) => this.line(JSON.stringify(syscallLine(event, hash))));
    kernel.commits.onCommit((commit) => this.line(JSON.stringify(commitLine(commit))));
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
