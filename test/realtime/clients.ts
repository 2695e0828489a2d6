import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ioV2, { type V2Socket } from 'socket.io-client-v2';
import { type Recording, recording } from './helpers.js';

/** Every event name the server pushes, so clients without `onAny` (v2, Python) can listen to each one. */
export const PUSHED = [
  'CHANNEL_CREATE',
  'CHANNEL_ANSWER',
  'CHANNEL_DESTROY',
  'DTMF',
  'AGENT_STATUS_CHANGED',
  'subscribed',
  'subscribe_error',
];

/** A Socket.IO v2 client (socket.io-client 2.x, Engine.IO 3): what legacy Kazoo/AntBuddy integrations run. */
export interface V2Recorder extends Recording {
  socket: V2Socket;
  /** `subscribe` with an acknowledgement, v2-style (callback as the last argument). */
  subscribe(req: Record<string, unknown>): Promise<any>;
}

export function recordV2(url: string): V2Recorder {
  // forceNew: v2 caches one manager per host, which would share a connection between tests.
  const socket = ioV2(url, { forceNew: true, reconnectionDelay: 50 });
  const rec = recording(() => void socket.close());
  for (const name of PUSHED) socket.on(name, (...args: unknown[]) => rec.push(name, args));
  const subscribe = (req: Record<string, unknown>) =>
    new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('v2 subscribe: no acknowledgement')), 3000);
      socket.emit('subscribe', req, (answer: unknown) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  return Object.assign(rec, { socket, subscribe });
}

const PYTHON = '/usr/bin/python3';

/**
 * Whether Debian's python3-socketio can run a client here. Its client needs python3-requests for HTTP (Debian does
 * not declare it). In CI a missing module is a failure, on a laptop a clear skip, as with `requireTool`.
 */
export function requirePythonSocketio(): string | false {
  const probe = spawnSync(PYTHON, ['-c', 'import socketio, requests'], { encoding: 'utf8' });
  if (probe.status === 0) return false;
  const msg = `${PYTHON} cannot import socketio and requests (apt-get install python3-socketio python3-requests)`;
  if (process.env.CI) throw new Error(`${msg}: CI must have them`);
  return msg;
}

/**
 * An AntBuddy integration as a Python developer writes it: one-parameter handlers, as in Kazoo's examples.
 * python-socketio calls handlers on a thread each, so they may run out of order: `event_id` gives the order.
 */
const SCRIPT = String.raw`
import json
import sys
import threading

import socketio

url, account_id, auth_token, binding, wanted = sys.argv[1:6]
wanted = int(wanted)
sio = socketio.Client(reconnection=False)
received = []
# python-socketio runs each handler on its own thread: one lock keeps output lines whole.
lock = threading.Lock()


def report(name, data):
    with lock:
        sys.stdout.write(json.dumps({"event": name, "data": data}) + "\n")
        sys.stdout.flush()


def got(name, data):
    report(name, data)
    with lock:
        received.append(name)
        done = len(received) >= wanted
    if done:
        sio.disconnect()


@sio.event
def connect():
    request = {"account_id": account_id, "auth_token": auth_token, "binding": binding}
    sio.emit("subscribe", request, callback=lambda answer: report("ack", answer))


@sio.on("CHANNEL_CREATE")
def on_create(data):
    got("CHANNEL_CREATE", data)


@sio.on("CHANNEL_ANSWER")
def on_answer(data):
    got("CHANNEL_ANSWER", data)


@sio.on("CHANNEL_DESTROY")
def on_destroy(data):
    got("CHANNEL_DESTROY", data)


@sio.on("DTMF")
def on_dtmf(data):
    got("DTMF", data)


sio.connect(url)
sio.wait()
`;

export interface PythonClient extends Recording {
  /** Resolves when the script ends (it disconnects after `wanted` events), with its exit code and stderr. */
  exited: Promise<{ code: number | null; stderr: string }>;
  /** What the script wrote to stderr so far (python-socketio logs a handler's TypeError there). */
  stderr(): string;
}

/**
 * Run the Python client: it subscribes to `binding` and exits after `wanted` events. Its answers and events become
 * this recording's events (`ack` for the subscribe acknowledgement).
 */
export function runPythonClient(
  url: string,
  req: { account_id: string; auth_token: string; binding: string },
  wanted: number,
): PythonClient {
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-py-'));
  const script = join(dir, 'client.py');
  writeFileSync(script, SCRIPT);
  const child = spawn(PYTHON, [script, url, req.account_id, req.auth_token, req.binding, String(wanted)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const rec = recording(() => void child.kill());
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const { event, data } = JSON.parse(line) as { event: string; data: unknown };
      rec.push(event, [data]);
    }
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stderr });
    }),
  );
  return Object.assign(rec, { exited, stderr: () => stderr });
}
