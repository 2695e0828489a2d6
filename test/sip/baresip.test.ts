import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { writeToneWav } from '../media/tones.js';
import { closedCall, startCustomer } from './helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from './helpers/peers.js';

// baresip 1.0 (Debian's) answers MD5 challenges only: the default challenge offers MD5 first.

const skip = (await requireTool('baresip')) || (await requireTool('sipp'));

describe('a baresip agent in auto-answer mode takes a queued call', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0 }).execute();
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  /** A baresip config dir: loopback only, a 440 Hz tone file as the microphone, what it hears written to a WAV, auto-answer. */
  async function baresipHome(agentIndex: number): Promise<string> {
    const a = s.demo.agents[agentIndex]!;
    const dir = join(peers.dir, `baresip-${a.extension}`);
    mkdirSync(dir, { recursive: true });
    const sipPort = await freeUdpPort();
    const rtp = 40000 + Math.floor(Math.random() * 900) * 20;
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'sip_trans_def udp',
        `audio_player aufile,${join(dir, 'heard.wav')}`,
        `audio_source aufile,${writeToneWav(join(dir, 'tone.wav'))}`,
        'audio_alert aufile,/dev/null',
        `rtp_ports ${rtp}-${rtp + 19}`,
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module_app account.so',
        'module_app menu.so',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'accounts'),
      `<sip:${a.extension}@${s.demo.sip_domain}>;auth_pass=${a.sip_password};outbound="sip:127.0.0.1:${s.t.sipPort}";answermode=auto;regint=300\n`,
    );
    return dir;
  }

  it('registers (logging the agent in), answers the offer, audio flows both ways', async () => {
    const agent = s.demo.agents[2]!;
    const home = await baresipHome(2);
    const phone = peers.start('baresip', ['-f', home], 60_000);
    let phoneOutput = '';
    phone.proc.stdout?.on('data', (d: Buffer) => (phoneOutput += d.toString()));
    phone.proc.stderr?.on('data', (d: Buffer) => (phoneOutput += d.toString()));
    // A loaded CI machine can take a while to start baresip; its own output explains a failure.
    await waitFor(
      async () => {
        const [v] = await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agent.agent_id]);
        return v?.status === 'Available';
      },
      30_000,
      'baresip registered and logged the agent in',
    ).catch((e: Error) => {
      throw new Error(`${e.message}; baresip said:\n${phoneOutput.slice(-3000)}`);
    });
    const customer = await startCustomer(peers, s, 'customer-call.xml', 3000, '0909555000');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const rec = await closedCall(s, 'caller_number', '0909555000');
    assert.equal(rec.agent_id, agent.agent_id, JSON.stringify(rec));
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    assert.ok(rec.billing_sec! >= 2, `billing ${rec.billing_sec}`);
    const m = s.t.telephony.core.recent.get(rec.call_id)!.mediaStats!;
    assert.ok(m.a.packetsIn > 20, `customer → tongdai ${m.a.packetsIn}`);
    assert.ok(m.b!.packetsOut > 20, `tongdai → baresip ${m.b!.packetsOut}`);
    assert.ok(m.b!.packetsIn > 20, `baresip → tongdai ${m.b!.packetsIn}`);
    assert.ok(m.a.packetsOut > 20, `tongdai → customer ${m.a.packetsOut}`);
    phone.proc.kill('SIGTERM');
    await phone.done;
  });
});
