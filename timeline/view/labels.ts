// Where the timeline's labels are on the canvas, so that none is drawn over another. No DOM here:
// the drawing code measures text and asks; the tests ask the same questions without a canvas.

/** Where labels are on the canvas: their boxes, by 64-pixel column block, so that a new label is
 *  drawn only where it overlaps none of them (an arrow's label below its lane line and a fault's
 *  in the next lane were drawn over each other when only their anchors were kept apart). */
export class LabelSpace {
  private readonly blocks = new Map<number, number[]>();
  private readonly widths = new Map<string, number>();

  constructor(private readonly measure: (text: string) => number) {}

  /** Width of `text` in pixels (measured once per text: labels repeat). */
  width(text: string): number {
    let w = this.widths.get(text);
    if (w === undefined) {
      w = this.measure(text);
      this.widths.set(text, w);
    }
    return w;
  }

  /** Claims the box x0…x1 × y0…y1 (with a gap of 4 px around); false when it overlaps a claimed one. */
  claim(x0: number, x1: number, y0: number, y1: number): boolean {
    const gap = 4;
    const b0 = Math.floor((x0 - gap) / 64);
    const b1 = Math.floor((x1 + gap) / 64);
    for (let b = b0; b <= b1; b++) {
      const boxes = this.blocks.get(b);
      if (!boxes) continue;
      for (let i = 0; i < boxes.length; i += 4) {
        if (x0 - gap < boxes[i + 1] && boxes[i] < x1 + gap && y0 - 1 < boxes[i + 3] && boxes[i + 2] < y1 + 1)
          return false;
      }
    }
    for (let b = b0; b <= b1; b++) {
      let boxes = this.blocks.get(b);
      if (!boxes) this.blocks.set(b, (boxes = []));
      boxes.push(x0, x1, y0, y1);
    }
    return true;
  }
}
