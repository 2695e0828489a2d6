/**
 * Each tenant's media files (hold music): converted once on upload to 8 kHz mono PCM16, stored under
 * `<dataDir>/media/<tenantId>/`, listed from `media_files`. Also the generated default hold music (spoken
 * prompts are committed assets: src/prompts/files.ts). Paths in the database are relative to the data dir.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../clock.js';
import { invalid } from '../errors.js';
import type { Executor } from '../store/db.js';
import type { MediaFile } from '../store/schema.js';
import { synthMusicOnHold } from './generate.js';
import { RATE, WavError, encodeWav, toTelephonyPcm } from './wav.js';

/** The name of the generated hold music every tenant may use, and the demo queue plays. */
export const DEFAULT_MOH_NAME = 'waiting.wav';
/** Longest accepted upload after conversion (a loop longer than this is wasted memory). */
const MAX_MOH_SECONDS = 600;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/;

const relPath = (tenantId: number, name: string) => join('media', String(tenantId), name);

/** Write through a temporary file so a reader never sees half a WAV. */
function writeAtomic(path: string, data: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Normalise an upload name to `something.wav`; throws INVALID_INPUT for names unsafe as file names. */
export function mohFileName(raw: string | undefined): string {
  const name = (raw ?? '').trim();
  if (!NAME_RE.test(name) || name.includes('..')) {
    throw invalid(
      'name must be 1-63 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit',
    );
  }
  return name.toLowerCase().endsWith('.wav') ? name : `${name}.wav`;
}

async function upsertMediaRow(
  db: Executor,
  clock: Clock,
  row: { tenantId: number; name: string; sizeBytes: number; durationMs: number },
): Promise<MediaFile> {
  const values = {
    kind: 'moh',
    path: relPath(row.tenantId, row.name),
    size_bytes: row.sizeBytes,
    duration_ms: row.durationMs,
  };
  const updated = await db
    .updateTable('media_files')
    .set({ ...values, created_at: clock.now() })
    .where('tenant_id', '=', row.tenantId)
    .where('name', '=', row.name)
    .returningAll()
    .executeTakeFirst();
  if (updated) return updated;
  return db
    .insertInto('media_files')
    .values({ ...values, tenant_id: row.tenantId, name: row.name, created_at: clock.now() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Convert an uploaded WAV and store it as the tenant's hold music `name` (replacing a file of that name). */
export async function saveMohUpload(
  db: Executor,
  clock: Clock,
  dataDir: string,
  tenantId: number,
  rawName: string | undefined,
  body: Buffer,
): Promise<MediaFile> {
  const name = mohFileName(rawName);
  let pcm: Int16Array;
  try {
    pcm = toTelephonyPcm(body);
  } catch (e) {
    if (e instanceof WavError) throw invalid(`the body is not a usable WAV file: ${e.message}`);
    throw e;
  }
  if (pcm.length < RATE / 2) throw invalid('the audio is shorter than half a second');
  if (pcm.length > MAX_MOH_SECONDS * RATE) throw invalid(`the audio is longer than ${MAX_MOH_SECONDS} s`);
  const wav = encodeWav(pcm);
  writeAtomic(join(dataDir, relPath(tenantId, name)), wav);
  return upsertMediaRow(db, clock, {
    tenantId,
    name,
    sizeBytes: wav.length,
    durationMs: Math.round((pcm.length / RATE) * 1000),
  });
}

/** The tenant's media files, newest first. */
export function listMediaFiles(db: Executor, tenantId: number, kind = 'moh'): Promise<MediaFile[]> {
  return db
    .selectFrom('media_files')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** Register the generated default hold music for a tenant (the file itself is written on first use). */
export async function seedDefaultMoh(db: Executor, clock: Clock, tenantId: number): Promise<MediaFile> {
  const samples = synthMusicOnHold().length;
  return upsertMediaRow(db, clock, {
    tenantId,
    name: DEFAULT_MOH_NAME,
    sizeBytes: 44 + samples * 2,
    durationMs: Math.round((samples / RATE) * 1000),
  });
}

/**
 * The absolute path of a queue's hold music, or undefined for the engine's built-in default. The
 * generated default is deterministic, so it is (re)written when its file is missing (fresh data dir).
 */
export async function resolveMohFile(
  db: Executor,
  dataDir: string,
  tenantId: number,
  mohFile: string | null,
): Promise<string | undefined> {
  if (!mohFile) return undefined;
  const row = await db
    .selectFrom('media_files')
    .select(['name', 'path'])
    .where('tenant_id', '=', tenantId)
    .where('name', '=', mohFile)
    .executeTakeFirst();
  if (!row) return undefined;
  const abs = join(dataDir, row.path);
  if (!existsSync(abs)) {
    if (row.name !== DEFAULT_MOH_NAME) return undefined;
    writeAtomic(abs, encodeWav(synthMusicOnHold()));
  }
  return abs;
}
