// The npm wasm build of eSpeak NG ships no types; only scripts/gen-prompts.ts uses it (GPL: never runtime code).
declare module 'espeak-ng' {
  interface EspeakModule {
    FS: { readFile(path: string): Uint8Array };
  }
  const factory: (opts: { arguments: string[]; wasmBinary?: Uint8Array }) => Promise<EspeakModule>;
  export default factory;
}
