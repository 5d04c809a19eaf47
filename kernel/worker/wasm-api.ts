// The slice of the WebAssembly JS API that ZDS uses, typed here because the project compiles
// without the DOM lib (where TypeScript declares WebAssembly) and @types/node does not declare it.

declare const moduleBrand: unique symbol;
/** A compiled module (opaque). */
export interface WasmModule {
  readonly [moduleBrand]: true;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export type WasmImports = Record<string, Record<string, unknown>>;

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): { module: string; name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports: WasmImports) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
