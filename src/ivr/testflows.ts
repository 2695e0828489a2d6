/** Flows shared by the IVR unit tests. */
export const HOTLINE = {
  language: 'vi',
  start: 'hours',
  onError: { type: 'goto', node: 'sorry' },
  nodes: {
    hours: {
      type: 'hours',
      weekly: { mon: ['08:00-12:00', '13:30-17:30'], tue: ['08:00-17:30'], sat: ['08:00-12:00'] },
      holidays: ['2026-09-02'],
      open: { type: 'goto', node: 'main' },
      closed: { type: 'hangup', prompt: ['closed'] },
      holiday: { type: 'hangup', prompt: ['holiday'] },
    },
    main: {
      type: 'menu',
      prompt: ['welcome', 'press', '1', 'for', 'sales', 'press', '2', 'for', 'support'],
      timeoutSec: 4,
      maxRetries: 1,
      options: {
        '1': { type: 'queue', queueId: 11, prompt: ['please-hold'] },
        '2': { type: 'goto', node: 'support' },
        '0': { type: 'extension', extension: '101' },
      },
      onFail: { type: 'queue', queueId: 12 },
    },
    support: {
      type: 'menu',
      prompt: ['press', '1', 'for', 'support', 'press', '9', 'repeat'],
      options: {
        '1': { type: 'queue', queueId: 12 },
        '9': { type: 'goto', node: 'main' },
        '#': { type: 'callback', queueId: 12 },
      },
    },
    sorry: { type: 'play', prompt: ['error'], next: { type: 'voicemail' } },
  },
};
