/**
 * sipp peers that each play their own tone: a pcap of G.711 RTP (written here, 20 ms packets) played by
 * `play_pcap_audio` from scenarios filled in with its path. The customer calls the hotline, waits until it is
 * bridged to the agent, plays its tone and hangs up; the agent answers and plays its tone. No RTP echo, so
 * each recorded channel holds only its own party's tone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { encode } from '../../src/media/g711.js';
import { fillTemplate } from '../sip/helpers/peers.js';
import type { Law } from '../../src/media/sdp.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A classic pcap of RTP packets carrying `seconds` of a `hz` tone in `law`. */
export function tonePcap(path: string, law: Law, hz: number, seconds: number): void {
  const packets = Math.round(seconds * 50);
  const pt = law === 'PCMU' ? 0 : 8;
  const chunks: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20);
  chunks.push(global);
  for (let i = 0; i < packets; i++) {
    const pcm = Int16Array.from({ length: 160 }, (_, k) =>
      Math.round(8000 * Math.sin((2 * Math.PI * hz * (i * 160 + k)) / 8000)),
    );
    const rtp = Buffer.alloc(12 + 160);
    rtp[0] = 0x80;
    rtp[1] = pt | (i === 0 ? 0x80 : 0);
    rtp.writeUInt16BE(i & 0xffff, 2);
    rtp.writeUInt32BE(i * 160, 4);
    rtp.writeUInt32BE(0x1234 + hz, 8);
    Buffer.from(encode(law, pcm)).copy(rtp, 12);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(6000, 0);
    udp.writeUInt16BE(6002, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([127, 0, 0, 1, 127, 0, 0, 1]).copy(ip, 12);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    const us = i * 20_000;
    rec.writeUInt32LE(Math.floor(us / 1e6), 0);
    rec.writeUInt32LE(us % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    chunks.push(rec, frame);
  }
  writeFileSync(path, Buffer.concat(chunks));
}

/** Write the two scenarios (with their pcaps) into `dir`; returns their paths. */
export function toneScenarios(
  dir: string,
  caller: { hz: number; seconds: number; waitMs: number },
  agent: { hz: number; seconds: number; waitMs: number },
): { customer: string; agent: string } {
  const callerPcap = join(dir, 'caller-tone.pcap');
  const agentPcap = join(dir, 'agent-tone.pcap');
  tonePcap(callerPcap, 'PCMA', caller.hz, caller.seconds);
  tonePcap(agentPcap, 'PCMU', agent.hz, agent.seconds);
  const fill = (file: string, vars: Record<string, string>) =>
    fillTemplate(readFileSync(join(FIXTURES, file), 'utf8'), vars);
  const customer = join(dir, 'customer-tone.xml');
  writeFileSync(
    customer,
    fill('customer-tone.xml', {
      PCAP: callerPcap,
      WAIT: String(caller.waitMs),
      PLAY: String(Math.round(caller.seconds * 1000) + 200),
    }),
  );
  const agentXml = join(dir, 'agent-tone.xml');
  writeFileSync(
    agentXml,
    fill('agent-tone.xml', {
      PCAP: agentPcap,
      WAIT: String(agent.waitMs),
    }),
  );
  return { customer, agent: agentXml };
}
