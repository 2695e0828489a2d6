import { isAbsolute, resolve } from 'node:path';

/** A row's local file: paths are stored relative to the data directory (older rows may hold absolute ones). */
export function localPath(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dataDir, path);
}
