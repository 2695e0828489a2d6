/** G.711 µ-law and A-law (ITU-T G.711) through lookup tables: 256-entry decoders, 64K-entry encoders. */
import type { Law } from './sdp.js';

function ulawDecodeByte(u: number): number {
  const v = ~u & 0xff;
  const sign = v & 0x80;
  const exponent = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

function alawDecodeByte(a: number): number {
  const v = a ^ 0x55;
  const sign = v & 0x80;
  const exponent = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  magnitude = magnitude & 0xffff;
  return sign ? magnitude : -magnitude;
}

function ulawEncodeSample(pcm: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let sign = 0;
  let s = pcm;
  if (s < 0) {
    s = -s;
    sign = 0x80;
  }
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function alawEncodeSample(pcm: number): number {
  let sign = 0x80;
  let s = pcm;
  if (s < 0) {
    s = -s - 1;
    sign = 0;
  }
  if (s > 32767) s = 32767;
  let out: number;
  if (s < 256) {
    out = s >> 4;
  } else {
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 1; mask >>= 1) exponent--;
    out = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  ULAW_DECODE[i] = ulawDecodeByte(i);
  ALAW_DECODE[i] = alawDecodeByte(i);
}
// Indexed by the 16-bit sample as unsigned (sample & 0xffff).
const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
for (let i = 0; i < 65536; i++) {
  const s = i >= 32768 ? i - 65536 : i;
  ULAW_ENCODE[i] = ulawEncodeSample(s);
  ALAW_ENCODE[i] = alawEncodeSample(s);
}
/** Byte-to-byte transcoding tables, so a relay converts a frame without touching PCM. */
const ULAW_TO_ALAW = new Uint8Array(256);
const ALAW_TO_ULAW = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  ULAW_TO_ALAW[i] = ALAW_ENCODE[ULAW_DECODE[i]! & 0xffff]!;
  ALAW_TO_ULAW[i] = ULAW_ENCODE[ALAW_DECODE[i]! & 0xffff]!;
}

/** The decoding table for a law: table[byte] is the linear 16-bit sample. */
export function decodeTable(law: Law): Int16Array {
  return law === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
}

/** Decode G.711 bytes into `out` (or a new array). */
export function decode(law: Law, bytes: Uint8Array, out = new Int16Array(bytes.length)): Int16Array {
  const t = decodeTable(law);
  for (let i = 0; i < bytes.length; i++) out[i] = t[bytes[i]!]!;
  return out;
}

/** Encode linear 16-bit samples to G.711 bytes. */
export function encode(law: Law, pcm: Int16Array, out = new Uint8Array(pcm.length)): Uint8Array {
  const t = law === 'PCMU' ? ULAW_ENCODE : ALAW_ENCODE;
  for (let i = 0; i < pcm.length; i++) out[i] = t[pcm[i]! & 0xffff]!;
  return out;
}

/** Transcode a G.711 frame in place from one law to the other (no-op when they match). */
export function transcodeInPlace(from: Law, to: Law, bytes: Uint8Array): void {
  if (from === to) return;
  const t = from === 'PCMU' ? ULAW_TO_ALAW : ALAW_TO_ULAW;
  for (let i = 0; i < bytes.length; i++) bytes[i] = t[bytes[i]!]!;
}

/** The byte each law uses for digital silence. */
export const SILENCE: Record<Law, number> = { PCMU: 0xff, PCMA: 0xd5 };
