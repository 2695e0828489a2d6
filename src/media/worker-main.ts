/** A media worker thread's entry: the host on this thread's parent port (src/media/workers.ts starts it). */
import { parentPort, workerData } from 'node:worker_threads';
import { MediaHost } from './worker-host.js';
import type { WorkerInit } from './worker-protocol.js';

if (!parentPort) throw new Error('worker-main runs in a worker thread');
new MediaHost(parentPort, workerData as WorkerInit);
