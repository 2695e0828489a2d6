import { io } from 'socket.io-client';
import { signal } from '@preact/signals';
import { api, session } from './api.js';

/** 'up' while the console namespace is connected. */
export const liveState = signal('down');
/** Bumped (debounced) whenever the server says something changed: screens re-read what they show. */
export const liveTick = signal(0);
/** Full-screen wallboard for a TV: no navigation, larger type. */
export const tv = signal(false);
/** Wall-clock seconds, for "time in status" counters. */
export const now = signal(Date.now());
setInterval(() => (now.value = Date.now()), 1000);

let socket;
let timer;
export function connectLive() {
  if (socket) return;
  socket = io('/console', { transports: ['websocket'], withCredentials: true });
  socket.on('connect', () => {
    liveState.value = 'up';
    liveTick.value++;
  });
  socket.on('disconnect', (reason) => {
    liveState.value = 'down';
    // Dropped by the server: the session may have ended; the API answers 401 then, which signs the page out.
    if (reason === 'io server disconnect') void api('/session').catch(() => undefined);
  });
  socket.on('connect_error', () => (liveState.value = 'down'));
  // The server ended this session (password change, deactivation, force logout): back to the sign-in page.
  socket.on('signed_out', () => {
    disconnectLive();
    session.value = null;
  });
  // A throttle, not a debounce: a burst of changes refreshes once 60 ms after its first change, and a steady
  // stream (50 events/s on a busy floor) still refreshes every 60 ms instead of never.
  socket.on('changed', () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      liveTick.value++;
    }, 60);
  });
}

export function disconnectLive() {
  socket?.disconnect();
  socket = undefined;
}
