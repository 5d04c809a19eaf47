// Non-overlapping inclusive integer ranges with lookup by point. Guest memory, the MMIO bus and the
// port bus all need exactly this, and all need overlaps caught when a range is added rather than
// discovered later as a silently shadowed device.

export interface Range<T> {
  readonly first: number;
  /** Inclusive, so that a range ending at the top of the address space needs no overflow care. */
  readonly last: number;
  readonly value: T;
}

export class RangeMap<T> {
  /** Sorted by `first`; kept small (one entry per device or DMA buffer), so arrays beat trees. */
  private readonly ranges: Range<T>[] = [];

  /** Add [first, last]. Returns the range it would overlap (and adds nothing), or undefined. */
  insert(first: number, last: number, value: T): Range<T> | undefined {
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 0 || last < first) {
      throw new RangeError(`invalid range ${first}..${last}`);
    }
    const at = this.lowerBound(first);
    const before = this.ranges[at - 1];
    if (before !== undefined && before.last >= first) return before;
    const after = this.ranges[at];
    if (after !== undefined && after.first <= last) return after;
    this.ranges.splice(at, 0, { first, last, value });
    return undefined;
  }

  /** The range containing `point`, if any. */
  find(point: number): Range<T> | undefined {
    const candidate = this.ranges[this.lowerBound(point + 1) - 1];
    return candidate !== undefined && candidate.last >= point ? candidate : undefined;
  }

  /** Remove the range starting exactly at `first`. */
  remove(first: number): Range<T> | undefined {
    const at = this.lowerBound(first);
    const found = this.ranges[at];
    if (found === undefined || found.first !== first) return undefined;
    this.ranges.splice(at, 1);
    return found;
  }

  entries(): readonly Range<T>[] {
    return this.ranges;
  }

  /** Index of the first range whose `first` is ≥ `point`. */
  private lowerBound(point: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid].first < point) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
