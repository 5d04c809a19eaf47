// Which esbuild bundles drivers. The native one (the `esbuild` package and its platform binary,
// `@esbuild/<platform>-<arch>`) is tried first; when that binary is missing or cannot run here (a
// vsix built for another platform, an install without optional dependencies, a binary the OS will
// not execute), the portable one (`esbuild-wasm`, the same version compiled to WebAssembly) takes
// over with no user action, about 10× slower on its first bundle (docs/packaging.md). When neither
// works the error names the platform and the fix. `ZDS_BUNDLER=native|wasm` forces one (tests, bench).

import type * as esbuild from "esbuild";

export type BundlerKind = "native" | "wasm";

/** The part of esbuild's API the loader uses; both packages have it. */
export interface Bundler {
  kind: BundlerKind;
  version: string;
  build: typeof esbuild.build;
  stop(): Promise<void>;
  /** Why the native bundler was passed over, when the portable one is used in its place. */
  nativeProblem?: string;
}

export class BundlerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundlerUnavailableError";
  }
}

/** `linux-x64`, `darwin-arm64`, `win32-x64`…: the names of esbuild's and vsce's targets. */
export function platformName(platform: string = process.platform, arch: string = process.arch): string {
  return `${platform}-${arch}`;
}

/** The five platforms we ship a vsix for (scripts/package-all.mjs). */
export const VSIX_TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"] as const;

type EsbuildModule = typeof esbuild;
type Loader = (name: "esbuild" | "esbuild-wasm") => EsbuildModule;

// A plain require, resolved at run time (both packages are external to the dist/ bundles).
const defaultLoader: Loader = (name) => require(name) as EsbuildModule;

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0].replace(/[.:]\s*$/, "");
}

/** Load one bundler and prove it runs (a tiny transform starts its service). */
async function start(kind: BundlerKind, load: Loader): Promise<Bundler> {
  const api = load(kind === "native" ? "esbuild" : "esbuild-wasm");
  // Either may throw synchronously (a missing platform package) or reject (a binary that will not run).
  await api.transform("let x = 1", { loader: "ts" });
  return { kind, version: api.version, build: api.build, stop: () => api.stop() };
}

/** The fix for a platform whose bundler will not run, in words. */
export function bundlerFix(platform: string = platformName()): string {
  const shipped = (VSIX_TARGETS as readonly string[]).includes(platform);
  return shipped
    ? `install the Zero Driver Studio vsix built for ${platform} (zero-driver-studio-${platform}.vsix), or in a clone run \`npm ci\` so npm installs @esbuild/${platform}`
    : `${platform} has no vsix of its own: install the universal zero-driver-studio-universal.vsix and make \`node\` (20.19 or newer) reachable on PATH, which the portable bundler runs in`;
}

/**
 * Pick the bundler: native, else portable. `forced` (default: `ZDS_BUNDLER`) takes only that one.
 * Throws BundlerUnavailableError naming the platform, what failed and the fix.
 */
export async function chooseBundler(
  options: { forced?: string; load?: Loader; platform?: string } = {},
): Promise<Bundler> {
  const forced = options.forced ?? process.env.ZDS_BUNDLER ?? "";
  const load = options.load ?? defaultLoader;
  const platform = options.platform ?? platformName();
  if (forced !== "" && forced !== "native" && forced !== "wasm")
    throw new BundlerUnavailableError(`ZDS_BUNDLER=${forced}: it takes "native" or "wasm"`);
  const problems: string[] = [];
  const kinds: BundlerKind[] = forced === "" ? ["native", "wasm"] : [forced];
  for (const kind of kinds) {
    try {
      const bundler = await start(kind, load);
      if (problems.length > 0) bundler.nativeProblem = problems[0];
      return bundler;
    } catch (error) {
      problems.push(`${kind === "native" ? "esbuild" : "esbuild-wasm"}: ${message(error)}`);
    }
  }
  throw new BundlerUnavailableError(
    `cannot bundle drivers on ${platform}: ${problems.join("; ")}. Fix: ${bundlerFix(platform)}`,
  );
}

let chosen: Promise<Bundler> | undefined;

/** The process's bundler, chosen once (a failure is not remembered: the next call tries again). */
export function bundler(): Promise<Bundler> {
  chosen ??= chooseBundler().catch((error: unknown) => {
    chosen = undefined;
    throw error;
  });
  return chosen;
}
