// Copy-on-write: writes land in memory, sector by sector, and reads see them on top of the base
// image, which is never written. This is the default for a session, so debugging a driver cannot
// damage the user's image. Only written sectors cost memory.

import { checkTransfer, SECTOR_SIZE, type BlockStore } from "./block-store";

export class CowOverlay implements BlockStore {
  readonly sectors: number;
  readonly readOnly: boolean;
  readonly label: string;
  private readonly written = new Map<number, Uint8Array>();

  constructor(
    private readonly base: BlockStore,
    options: { readonly label?: string; readonly readOnly?: boolean } = {},
  ) {
    this.sectors = base.sectors;
    this.readOnly = options.readOnly ?? false;
    this.label = options.label ?? `${base.label} (copy-on-write)`;
  }

  /** Sectors written in this session (what the overlay holds). */
  get dirtySectors(): number {
    return this.written.size;
  }

  read(sector: number, into: Uint8Array): void {
    checkTransfer(this, sector, into);
    this.base.read(sector, into);
    if (this.written.size === 0) return;
    for (let i = 0; i < into.length / SECTOR_SIZE; i++) {
      const copy = this.written.get(sector + i);
      if (copy !== undefined) into.set(copy, i * SECTOR_SIZE);
    }
  }

  write(sector: number, data: Uint8Array): void {
    checkTransfer(this, sector, data);
    for (let i = 0; i < data.length / SECTOR_SIZE; i++) {
      this.written.set(sector + i, data.slice(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
    }
  }

  /** Nothing to make stable: the overlay is thrown away with the session, by design. */
  flush(): void {}

  close(): void {
    this.written.clear();
    this.base.close();
  }
}

/** A disk of zeros that takes no memory: the base of a blank disk. */
export class ZeroDisk implements BlockStore {
  readonly readOnly = true;

  constructor(
    readonly sectors: number,
    readonly label: string,
  ) {}

  read(sector: number, into: Uint8Array): void {
    checkTransfer(this, sector, into);
    into.fill(0);
  }

  write(): void {
    throw new Error(`${this.label}: a zero disk is only a base for an overlay`);
  }

  flush(): void {}

  close(): void {}
}
