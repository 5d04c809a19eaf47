/// <reference lib="dom" />
// Headless Chromium (Debian's, driven by playwright-core) for the timeline page tests. Without a
// Chromium the tests are skipped with the command that installs it, except when ZDS_REQUIRE_CHROMIUM=1
// (CI runs them that way once its VS Code setup has installed Chromium).

import fs from "node:fs";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";

declare global {
  interface Window {
    /** The view's test surface (timeline/view/view.ts). */
    zdsTimeline?: {
      positionOf(i: number): { x: number; y: number } | undefined;
      drawnEvents(): number[];
      setRange(v0: number, v1: number): void;
    };
  }
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launch(ctx: Mocha.Context): Promise<Browser | undefined> {
  if (!fs.existsSync(CHROMIUM)) {
    if (process.env.ZDS_REQUIRE_CHROMIUM === "1")
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    console.log(`      (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium, or set CHROMIUM_PATH)`);
    ctx.skip();
    return undefined;
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
}
