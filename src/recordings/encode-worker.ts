/** Worker-thread entry (src/recordings/encoder.ts): one encode request in, its result or error out. */
import { parentPort, workerData } from 'node:worker_threads';
import { type EncodeRequest, encodeWavToMp3 } from './encode-job.js';

const req = workerData as EncodeRequest;
try {
  parentPort?.postMessage({ ok: true, result: encodeWavToMp3(req) });
} catch (e) {
  parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
