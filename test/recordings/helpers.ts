/**
 * Decoding MP3s for the checks: Debian's sox has no MP3 handler (`sox --help` lists no mp3) and lamejs has no
 * decoder, but libsndfile (which sox links) decodes MP3 through libmpg123. A few lines of Python's ctypes call
 * it to write a PCM16 WAV, which sox then measures as usual.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { wavHeader } from '../../src/media/wav.js';

const DECODER = String.raw`
import ctypes, sys, wave
sf = ctypes.CDLL('libsndfile.so.1')
class Info(ctypes.Structure):
    _fields_ = [('frames', ctypes.c_int64), ('samplerate', ctypes.c_int), ('channels', ctypes.c_int),
                ('format', ctypes.c_int), ('sections', ctypes.c_int), ('seekable', ctypes.c_int)]
info = Info()
sf.sf_open.restype = ctypes.c_void_p
sf.sf_readf_short.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
sf.sf_readf_short.restype = ctypes.c_int64
h = sf.sf_open(sys.argv[1].encode(), 0x10, ctypes.byref(info))
if not h:
    sf.sf_strerror.restype = ctypes.c_char_p
    sys.exit('libsndfile: ' + sf.sf_strerror(None).decode())
if (info.format >> 16) != 0x23:
    sys.exit('not an MPEG file: format %x' % info.format)
out = wave.open(sys.argv[2], 'wb')
out.setnchannels(info.channels); out.setsampwidth(2); out.setframerate(info.samplerate)
buf = (ctypes.c_short * (4096 * info.channels))()
while True:
    n = sf.sf_readf_short(h, buf, 4096)
    if n <= 0: break
    out.writeframes(bytes(buf)[: n * 2 * info.channels])
out.close()
print(info.samplerate, info.channels)
`;

/** Why MP3s cannot be decoded here (a skip message), or false when they can. */
export function mp3DecoderMissing(): string | false {
  const script = join(tmpdir(), 'tongdai-mp3-probe.py');
  writeFileSync(script, 'import ctypes\nctypes.CDLL("libsndfile.so.1")\n');
  const r = spawnSync('python3', [script], { encoding: 'utf8' });
  if (r.status === 0) return false;
  const msg = 'MP3 decoding needs python3 and libsndfile1 with MP3 support (apt-get install libsndfile1)';
  if (process.env.CI) throw new Error(`${msg}: CI must have it`);
  return msg;
}

/** Decode an MP3 to a PCM16 WAV with libmpg123 (through libsndfile); returns its rate and channel count. */
export function mp3ToWav(mp3: string, wav: string): { rate: number; channels: number } {
  const script = join(tmpdir(), 'tongdai-mp3-decode.py');
  writeFileSync(script, DECODER);
  const r = spawnSync('python3', [script, mp3, wav], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`MP3 decode failed: ${r.stderr || r.stdout}`);
  const [rate, channels] = r.stdout.trim().split(/\s+/).map(Number);
  return { rate: rate!, channels: channels! };
}

/**
 * How long a tone (a band around `hz`) sounds on one channel, and how loud: sox band-passes the channel,
 * trims what is below -30 dB at both ends and reports the length and RMS level of what is left.
 */
export function toneOn(wav: string, channel: number, hz: number): { lengthSec: number; rmsDb: number } {
  const r = spawnSync(
    'sox',
    [
      wav,
      '-n',
      'remix',
      String(channel),
      'sinc',
      `${hz - 60}-${hz + 60}`,
      'silence',
      '1',
      '0.01',
      '-30d',
      'reverse',
      'silence',
      '1',
      '0.01',
      '-30d',
      'reverse',
      'stats',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr}`);
  const num = (label: string) => {
    const m = new RegExp(`^${label}\\s+(-?[\\d.]+|-inf)`, 'm').exec(r.stderr);
    if (!m) return label === 'Length s' ? 0 : -Infinity;
    return m[1] === '-inf' ? -Infinity : Number(m[1]);
  };
  return { lengthSec: num('Length s'), rmsDb: num('RMS lev dB') };
}

/** A stereo 8 kHz PCM16 WAV: each channel a tone (Hz) sounding from `from` to `to` seconds, silence elsewhere. */
export function toneWav(
  seconds: number,
  left: { hz: number; from: number; to: number },
  right: { hz: number; from: number; to: number },
): Buffer {
  const frames = Math.round(seconds * 8000);
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const t = i / 8000;
    const l = t >= left.from && t < left.to ? 8000 * Math.sin(2 * Math.PI * left.hz * t) : 0;
    const r = t >= right.from && t < right.to ? 8000 * Math.sin(2 * Math.PI * right.hz * t) : 0;
    data.writeInt16LE(Math.round(l), i * 4);
    data.writeInt16LE(Math.round(r), i * 4 + 2);
  }
  return Buffer.concat([wavHeader(2, 8000, data.length), data]);
}
