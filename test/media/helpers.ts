/** Shared helpers of the media integration tests: UDP peers, free ports, pcap reading, sox statistics. */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseRtp, type RtpPacket, writeRtpHeader } from '../../src/media/rtp.js';

// Defined once, in test/helpers; the media tests import them from here.
export { freeUdpPort } from '../helpers/ports.js';
export { sleep } from '../helpers/wait.js';

export interface UdpPeer {
  sock: Socket;
  port: number;
  got: { at: number; pkt: RtpPacket }[];
  close(): void;
}

/** A phone-side UDP socket on loopback that keeps every RTP packet it receives with its arrival time. */
export async function udpPeer(): Promise<UdpPeer> {
  const sock = createSocket('udp4');
  const got: UdpPeer['got'] = [];
  sock.on('message', (b) => {
    const at = performance.now();
    const p = parseRtp(b);
    if (p) got.push({ at, pkt: { ...p, payload: Buffer.from(p.payload) } });
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, got, close: () => sock.close() };
}

export function rtpPacket(pt: number, seq: number, ts: number, ssrc: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  writeRtpHeader(b, { marker: false, payloadType: pt, seq, timestamp: ts, ssrc });
  Buffer.from(payload).copy(b, 12);
  return b;
}

/** The RTP packets of a classic (microsecond, Ethernet/IPv4/UDP) pcap file. */
export function readPcapRtp(path: string): RtpPacket[] {
  const d = readFileSync(path);
  if (d.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian µs pcap`);
  const out: RtpPacket[] = [];
  for (let off = 24; off + 16 <= d.length;) {
    const incl = d.readUInt32LE(off + 8);
    const frame = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ihl = (frame[14]! & 0x0f) * 4;
    const p = parseRtp(frame.subarray(14 + ihl + 8));
    if (p) out.push(p);
  }
  return out;
}

export interface SoxStats {
  lengthSec: number;
  rmsDb: number;
}

/** `sox <file> -n remix <ch> [trim silence] stats`: length and RMS level of one channel. */
export function soxStats(file: string, channel: number, trimSilence = false): SoxStats {
  const trim = trimSilence
    ? ['silence', '1', '0.02', '-40d', 'reverse', 'silence', '1', '0.02', '-40d', 'reverse']
    : [];
  // sox prints its statistics on stderr.
  const r = spawnSync('sox', [file, '-n', 'remix', String(channel), ...trim, 'stats'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox failed on ${file}: ${r.stderr}`);
  return parseSoxStats(r.stderr);
}

function parseSoxStats(text: string): SoxStats {
  const num = (label: string) => {
    const m = new RegExp(`^${label}\\s+(-?[\\d.]+|-inf)`, 'm').exec(text);
    if (!m) throw new Error(`no "${label}" in sox output:\n${text}`);
    return m[1] === '-inf' ? -Infinity : Number(m[1]);
  };
  return { lengthSec: num('Length s'), rmsDb: num('RMS lev dB') };
}
