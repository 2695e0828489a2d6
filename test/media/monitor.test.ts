/**
 * Monitoring in the media engine with three UDP phones, each sending its own tone: caller 500 Hz (A-law), agent
 * 1100 Hz (µ-law), supervisor 1900 Hz (µ-law). Each mode is checked by what each phone hears (Goertzel), switching
 * mid-call; the supervisor talks throughout, so listen mode proves the server-side mute. The recording keeps
 * caller and agent only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MediaEngine } from '../../src/media/engine.js';
import { parseWav } from '../../src/media/wav.js';
import { sleep } from './helpers.js';
import { ABSENT, HEARD, TonePhone, toneAmplitude } from './tones.js';

const TONES = { caller: 500, agent: 1100, supervisor: 1900 };

test('listen, whisper, barge: each party hears exactly whom the mode says, switching mid-call', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-monitor-'));
  const engine = new MediaEngine({
    publicIp: '127.0.0.1',
    bindIp: '127.0.0.1',
    portMin: 33000,
    portMax: 33999,
  });
  const c = await new TonePhone(TONES.caller, 'PCMA').open();
  const a = await new TonePhone(TONES.agent, 'PCMU').open();
  const s = await new TonePhone(TONES.supervisor, 'PCMU').open();
  const [ec, ea, es] = [await engine.allocate(), await engine.allocate(), await engine.allocate()];
  ec.setRemote({ ip: '127.0.0.1', port: c.port, codec: 'PCMA', payloadType: 8 });
  ea.setRemote({ ip: '127.0.0.1', port: a.port, codec: 'PCMU', payloadType: 0 });
  es.setRemote({ ip: '127.0.0.1', port: s.port, codec: 'PCMU', payloadType: 0 });
  const recPath = join(dir, 'rec.wav');
  const bridge = engine.bridge(ec, ea, { record: { path: recPath } });
  // Whatever fails, nothing keeps the process alive.
  t.after(async () => {
    for (const p of [c, a, s]) p.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  c.talk(ec.localPort);
  a.talk(ea.localPort);
  s.talk(es.localPort);
  try {
    const phase = async (ms: number) => {
      const from = performance.now() + 250; // let queues prime and the switch settle
      await sleep(ms);
      const until = performance.now();
      return {
        caller: c.tonesSince(from, TONES, until),
        agent: a.tonesSince(from, TONES, until),
        supervisor: s.tonesSince(from, TONES, until),
      };
    };
    const hears = (who: string, got: Record<string, number>, yes: string[], no: string[]) => {
      for (const k of yes) assert.ok(got[k]! >= HEARD, `${who} should hear the ${k}: ${JSON.stringify(got)}`);
      for (const k of no)
        assert.ok(got[k]! <= ABSENT, `${who} must not hear the ${k}: ${JSON.stringify(got)}`);
    };

    let h = await phase(700);
    hears('caller (bridged)', h.caller, ['agent'], ['supervisor', 'caller']);
    hears('agent (bridged)', h.agent, ['caller'], ['supervisor', 'agent']);

    const m = bridge.monitor(es, 'listen')!;
    assert.ok(m);
    assert.equal(bridge.monitor(es, 'barge'), null, 'one monitor at a time');
    h = await phase(900);
    hears('supervisor (listen)', h.supervisor, ['caller', 'agent'], ['supervisor']);
    hears('agent (listen)', h.agent, ['caller'], ['supervisor']);
    hears('caller (listen)', h.caller, ['agent'], ['supervisor']);

    m.setMode('whisper');
    h = await phase(900);
    hears('supervisor (whisper)', h.supervisor, ['caller', 'agent'], ['supervisor']);
    hears('agent (whisper)', h.agent, ['caller', 'supervisor'], ['agent']);
    hears('caller (whisper)', h.caller, ['agent'], ['supervisor']);

    m.setMode('barge');
    h = await phase(900);
    hears('supervisor (barge)', h.supervisor, ['caller', 'agent'], ['supervisor']);
    hears('agent (barge)', h.agent, ['caller', 'supervisor'], ['agent']);
    hears('caller (barge)', h.caller, ['agent', 'supervisor'], ['caller']);

    m.stop();
    const stoppedAt = performance.now();
    h = await phase(700);
    hears('agent (after)', h.agent, ['caller'], ['supervisor']);
    hears('caller (after)', h.caller, ['agent'], ['supervisor']);
    assert.ok(
      s.got.filter((g) => g.at > stoppedAt + 100).length === 0,
      'the supervisor gets nothing after stop',
    );

    // The caller's and the agent's outgoing streams stayed one SSRC with rising sequence numbers throughout.
    for (const p of [c, a]) {
      for (let i = 1; i < p.got.length; i++) {
        const d = (p.got[i]!.seq - p.got[i - 1]!.seq) & 0xffff;
        assert.ok(d >= 1 && d < 10, `sequence jump ${d} at ${i}`);
      }
    }
  } finally {
    for (const p of [c, a, s]) p.stop();
  }
  const { recording } = await bridge.stop();
  assert.ok(recording);
  const wav = parseWav(readFileSync(recording.path));
  const ch = (i: number) => Int16Array.from(wav.channels[i]!, (x) => Math.round(x * 32767));
  const left = ch(0);
  const right = ch(1);
  assert.ok(toneAmplitude(left, TONES.caller) >= HEARD, 'left channel: the caller');
  assert.ok(toneAmplitude(right, TONES.agent) >= HEARD, 'right channel: the agent');
  for (const x of [left, right])
    assert.ok(toneAmplitude(x, TONES.supervisor) <= ABSENT, 'no supervisor in the recording');
});
