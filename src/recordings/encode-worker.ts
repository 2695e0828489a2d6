/**
 * Worker-thread entry (src/recordings/encoder.ts): encode requests in, one at a time, each answered with its
 * result or error; the thread stays for the next one until the pool ends it.
 */
import { parentPort } from 'node:worker_threads';
import { type EncodeRequest, encodeWavToMp3 } from './encode-job.js';

parentPort?.on('message', (req: EncodeRequest) => {
  try {
    parentPort?.postMessage({ ok: true, result: encodeWavToMp3(req) });
  } catch (e) {
    parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
