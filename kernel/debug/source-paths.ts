// How the source debugger compares driver source paths: the client's (VS Code's, launch.json's) with
// those a bundle's source map gives, made absolute against the cwd of the bundling process. On
// Windows the same file comes as `c:\ws\drivers\x\index.ts` from VS Code (its fsPath lower-cases the
// drive letter), `C:\ws\…` from process.cwd(), and with `/` from a source map or a launch.json; NTFS
// ignores case. So a key is the absolute path with the platform's separators, case-folded on Windows.
// Paths shown to the user keep their own spelling; only lookups use keys.

import path from "node:path";

/** The key `file` is looked up by; `paths` is the platform's path module (path.win32 in tests). */
export function sourceKey(file: string, paths: path.PlatformPath = path): string {
  const abs = paths.resolve(file);
  return paths.sep === "\\" ? abs.toLowerCase() : abs;
}
