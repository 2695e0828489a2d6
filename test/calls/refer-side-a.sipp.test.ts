/**
 * REFER from side A (RFC 3515), with sipp peers: the agent's phone is the caller side of the dialog when the agent
 * placed the call (tongdai is its UAS) or answered click-to-call's first leg (tongdai's UAC, side A of a call
 * tongdai placed). The phone's REFER hands the other side (a customer through the trunk, or another agent) to the
 * Refer-To target; the phone sees 202, NOTIFY 100 Trying, NOTIFY 200 OK and tongdai's BYE.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { agentDials, closedCall, echoCarrier, startAgent } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';
import { freeUdpPort } from '../helpers/ports.js';

const skip = await requireTool('sipp');

describe('transfer by REFER from side A (the agent placed the call)', { skip }, () => {
  let s: TestServer;
  let trunkPort: number;
  const peers = new Peers();
  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(trunkPort) } });
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  const api = (path: string, method = 'GET', body?: unknown) =>
    call(`${s.url}${path}`, { method, headers: { 'x-api-key': s.demo.api_key }, body });
  const status = async (index: number) =>
    (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [s.demo.agents[index]!.agent_id]))[0]?.status;

  /** The carrier on the trunk's port: answers (RTP echo), waits for the BYE. */
  async function carrier() {
    return echoCarrier(peers, s, trunkPort, { pauseMs: 100, timeoutMs: 60_000 });
  }

  /** The live call of `callee` (the number or extension dialled) once `ok` holds. */
  const live = (callee: string, ok: (c: Record<string, unknown>) => boolean, what: string) =>
    waitFor(
      async () => {
        const c = (await api(`/api/calls?state=active&callee=${callee}`)).body.items?.[0];
        return c && ok(c) ? c : null;
      },
      30_000,
      what,
    );

  /** After the REFER: the call is bridged to agent `to`, the transfer listed as done, agent `from` released. */
  async function handedTo(id: string, from: number, to: number) {
    const a = s.demo.agents;
    const done = await waitFor(
      async () => {
        const c = (await api(`/api/calls/${id}`)).body;
        return c.state === 'bridged' && c.transfers?.[0]?.outcome === 'done' ? c : null;
      },
      30_000,
      `the call bridged to agent ${to}`,
    );
    assert.deepEqual(
      done.transfers.map((t: Record<string, unknown>) => [t.from_agent_id, t.to_kind, t.to_agent_id, t.by]),
      [[a[from]!.agent_id, 'agent', a[to]!.agent_id, 'refer']],
    );
    await waitFor(async () => (await status(to)) === 'In-call', 10_000, `agent ${to} In-call`);
    // Released: back to their own status (Offline for a phone that only placed the call, never registered).
    await waitFor(
      async () => !['In-call', 'Ringing'].includes((await status(from)) ?? ''),
      10_000,
      `agent ${from} released`,
    );
    return done;
  }

  it("outbound: agent 0 dials a customer through the trunk, then REFERs the customer to agent 1's extension", async () => {
    const a = s.demo.agents;
    const carr = await carrier();
    const second = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    await waitFor(async () => (await status(1)) === 'Available', 10_000, 'agent 1 registered');
    const first = await agentDials(peers, s, 0, '0901234567', {
      scenario: 'agent-call-refer.xml',
      talkMs: 1500,
      extra: ['-rtp_echo', '-key', 'refer_to', a[1]!.extension],
    });
    const c = await live('0901234567', (x) => x.state === 'bridged', 'the outbound call bridged');
    const id = c.call_id as string;
    const f = await first.done;
    assert.equal(f.code, 0, 'agent 0 saw 202, NOTIFY 100, NOTIFY 200 OK, BYE: ' + f.stdout.slice(-1500));
    const done = await handedTo(id, 0, 1);
    assert.equal(done.agent_id, a[1]!.agent_id, 'the outbound call is counted for agent 1 now');
    assert.equal((await api(`/api/calls/${id}/hangup`, 'POST')).status, 200);
    assert.equal((await carr.done).code, 0, 'the customer stayed on the call until the hang-up');
    assert.equal((await second.done).code, 0);
    const rec = await closedCall(s, 'call_id', id);
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.agent_id, a[1]!.agent_id);
  });

  it("click-to-call: agent 0's phone (click-to-call's first leg) REFERs the customer to agent 2", async () => {
    const a = s.demo.agents;
    const carr = await carrier();
    const third = await startAgent(peers, s, 2, 'agent-answer.xml', { pauseMs: 200 });
    const first = await startAgent(peers, s, 0, 'agent-refer.xml', {
      pauseMs: 1500,
      extra: ['-key', 'refer_to', a[2]!.extension],
    });
    await waitFor(async () => (await status(2)) === 'Available', 10_000, 'agent 2 registered');
    const r = await api('/api/calls/click-to-call', 'POST', {
      agent_id: a[0]!.agent_id,
      number: '0901234568',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = (r.body.call_id ?? r.body.callId) as string;
    const f = await first.done;
    assert.equal(f.code, 0, 'agent 0 saw 202, NOTIFY 100, NOTIFY 200 OK, BYE: ' + f.stdout.slice(-1500));
    await handedTo(id, 0, 2);
    assert.equal((await api(`/api/calls/${id}/hangup`, 'POST')).status, 200);
    assert.equal((await carr.done).code, 0);
    assert.equal((await third.done).code, 0);
  });

  it("internal: agent 0 calls agent 1's extension, then REFERs agent 1 to agent 2; agent 1 stays the call's agent", async () => {
    const a = s.demo.agents;
    const second = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    const third = await startAgent(peers, s, 2, 'agent-answer.xml', { pauseMs: 200 });
    await waitFor(
      async () => (await status(1)) === 'Available',
      10_000,
      `agent 1 registered (${await status(1)})`,
    );
    await waitFor(
      async () => (await status(2)) === 'Available',
      10_000,
      `agent 2 registered (${await status(2)})`,
    );
    const first = await agentDials(peers, s, 0, a[1]!.extension, {
      scenario: 'agent-call-refer.xml',
      talkMs: 1500,
      extra: ['-rtp_echo', '-key', 'refer_to', a[2]!.extension],
    });
    const c = await live(a[1]!.extension, (x) => x.state === 'bridged', 'the internal call bridged');
    const id = c.call_id as string;
    const f = await first.done;
    assert.equal(f.code, 0, 'agent 0 saw 202, NOTIFY 100, NOTIFY 200 OK, BYE: ' + f.stdout.slice(-1500));
    const done = await handedTo(id, 0, 2);
    assert.equal(done.agent_id, a[1]!.agent_id, 'the callee stays the call agent');
    assert.equal(await status(1), 'In-call', 'agent 1 is still on the call');
    assert.equal((await api(`/api/calls/${id}/hangup`, 'POST')).status, 200);
    assert.equal((await second.done).code, 0);
    assert.equal((await third.done).code, 0);
  });
});
