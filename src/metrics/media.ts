import { Gauge, type Registry } from 'prom-client';
import type { MediaTotals, MediaTotalsSnapshot } from '../media/quality.js';
import { runningTotal, sharedRead } from './tenants.js';

/** RTP packets, loss and jitter, read from the media engine's totals at each scrape. */
export function mediaMetrics(register: Registry, totals: MediaTotals): void {
  const snap = sharedRead(() => Promise.resolve(totals.snapshot()));
  const counter = (name: string, help: string, pick: (s: MediaTotalsSnapshot) => number) =>
    runningTotal(register, name, help, async () => pick(await snap()));
  counter('tongdai_rtp_packets_received_total', 'RTP packets received on media ports', (s) => s.packetsIn);
  counter(
    'tongdai_rtp_packets_sent_total',
    'RTP packets sent from media ports (relayed, music, prompts)',
    (s) => s.packetsOut,
  );
  counter(
    'tongdai_rtp_packets_lost_total',
    'RTP packets expected from the sequence numbers but never received (RFC 3550 §6.4.1)',
    (s) => s.lost,
  );
  const gauge = (name: string, help: string, pick: (s: MediaTotalsSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers: [register],
      async collect() {
        this.set(pick(await snap()));
      },
    });
  gauge('tongdai_rtp_streams_open', 'Media ports open now (two per anchored call)', (s) => s.openStreams);
  gauge(
    'tongdai_rtp_jitter_mean_seconds',
    'Mean interarrival jitter (RFC 3550) of the open streams receiving audio',
    (s) => s.jitterMeanSec,
  );
  gauge(
    'tongdai_rtp_jitter_max_seconds',
    'Largest interarrival jitter (RFC 3550) among the open streams receiving audio',
    (s) => s.jitterMaxSec,
  );
}
