// A 5×7 bitmap font, just the letters fb-demo writes. Each glyph is seven rows, top first; a row is
// five bits, the leftmost pixel in the highest bit (0b10001 = a pixel at each edge). A character
// without a glyph draws as a filled box, so a missing letter shows on screen.

export const FONT_WIDTH = 5;
export const FONT_HEIGHT = 7;

const GLYPHS: Readonly<Record<string, readonly number[]>> = {
  "A": [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
  "E": [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111],
  "F": [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000],
  "H": [0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
  "L": [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111],
  "M": [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001],
  "O": [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
  "R": [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001],
  "S": [0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110],
  "Z": [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111],
  " ": [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000],
};

const MISSING = [0b11111, 0b11111, 0b11111, 0b11111, 0b11111, 0b11111, 0b11111];

export function glyph(ch: string): readonly number[] {
  return GLYPHS[ch] ?? MISSING;
}
