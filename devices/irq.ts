// Level-triggered interrupt lines. A device holds its line high while it has something to report;
// listeners hear only real level changes, so the kernel never sees a duplicate edge.

export type IrqListener = (line: number, level: boolean) => void;

/** The one line a device drives. */
export interface IrqLine {
  readonly number: number;
  readonly level: boolean;
  set(level: boolean): void;
}

export class InterruptLines {
  private readonly levels = new Map<number, boolean>();
  private readonly listeners: IrqListener[] = [];

  level(line: number): boolean {
    return this.levels.get(line) ?? false;
  }

  set(line: number, level: boolean): void {
    if (!Number.isInteger(line) || line < 0) throw new RangeError(`IRQ line ${String(line)} is not a line number`);
    if (this.level(line) === level) return;
    this.levels.set(line, level);
    for (const listener of [...this.listeners]) listener(line, level);
  }

  line(number: number): IrqLine {
    const lines = this;
    return {
      number,
      get level() {
        return lines.level(number);
      },
      set(level: boolean) {
        lines.set(number, level);
      },
    };
  }

  onChange(listener: IrqListener): void {
    this.listeners.push(listener);
  }
}
