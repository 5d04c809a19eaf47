// Recorded keystrokes, given back at the input points where they were first applied (docs/zlog.md):
// a replay of a session with typed input is the same session.

import { compareInputPoints, type ConsoleInputSource, type InputPoint } from "../console-input";
import { inputBytes, type ZlogInput } from "./zlog";

export class RecordedKeys implements ConsoleInputSource {
  private next = 0;
  /** Recordings whose input point the replay went past without meeting (it has diverged). */
  readonly missed: ZlogInput[] = [];

  constructor(private readonly recorded: readonly ZlogInput[]) {}

  take(at: InputPoint): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.next < this.recorded.length) {
      const r = this.recorded[this.next];
      const order = compareInputPoints(r, at);
      if (order > 0) break;
      this.next++;
      if (order === 0) out.push(inputBytes(r));
      else this.missed.push(r);
    }
    return out;
  }

  /** A replay never waits for a person: what was typed is all there is. */
  idle(): "none" {
    return "none";
  }

  /** Recordings not applied by the end of the replay. */
  get remaining(): number {
    return this.recorded.length - this.next + this.missed.length;
  }
}
