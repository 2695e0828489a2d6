// The ACD's public surface: the call engine builds one `Acd` per node and drives it with inputs.
export { Acd } from './engine.js';
export type { AcdOptions } from './engine.js';
export * from './types.js';
