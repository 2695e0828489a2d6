import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AgentRow as Agent } from '../domain/call-store.js';
import type { EventBus, MonitorEventPayload } from '../domain/events.js';
import { DomainError, conflict, invalid, notFound } from '../errors.js';
import type { Media, MonitorHandle, MonitorMode } from '../media/engine.js';
import type { DialogRegistry } from '../sip/dialogs.js';
import type { SipIdentity } from '../sip/directory.js';
import type { Binding } from '../sip/location.js';
import { type SipRequest, makeResponse } from '../sip/message.js';
import type { SipStack } from '../sip/stack.js';
import type { ServerTransaction } from '../sip/transactions.js';
import { UasSession } from '../sip/uas.js';
import type { Call } from './call.js';
import type { Dialer, Dialing } from './dialer.js';
import { MediaLeg } from './media-leg.js';
import { CONNECTED } from './state.js';
import { phoneTargets } from './targets.js';

export type { MonitorMode } from '../media/engine.js';

/** Console roles that may monitor (docs/monitoring.md): the role decides, whatever the phone or the key says. */
export const MONITOR_ROLES = ['admin', 'supervisor'] as const;

/** Feature codes a supervisor dials: `*91<ext>` listen, `*92<ext>` whisper, `*93<ext>` barge. */
const FEATURE_CODE = /^\*9([123])(\d{1,20})$/;
const CODE_MODE: Record<string, MonitorMode> = { '1': 'listen', '2': 'whisper', '3': 'barge' };

/** Which monitoring a feature code asks for (the Request-URI's user part), or null when it is none. */
export function featureCode(user: string | null): { mode: MonitorMode; extension: string } | null {
  const m = user === null ? null : FEATURE_CODE.exec(user);
  return m ? { mode: CODE_MODE[m[1]!]!, extension: m[2]! } : null;
}

/** What monitoring needs: agents and roles, live calls, the supervisor's phones, a dialer, SIP and media to answer. */
/** The agent reads monitoring needs (src/domain: agents and console roles). */
export interface MonitorAgents {
  byId(tenantId: number, id: number): Promise<Agent>;
  byExtension(tenantId: number, extension: string): Promise<Agent>;
  /** The agent's console role: admin, supervisor or agent. */
  roleOf(agent: Agent): Promise<string>;
}

export interface MonitorDeps {
  agents: MonitorAgents;
  clock: Clock;
  bus: EventBus;
  logger: Logger;
  /** A live (or recently ended) call of the tenant by id; another tenant's call is not found. */
  findCall(tenantId: number, callId: string): Call | undefined;
  liveCalls(tenantId: number): Iterable<Call>;
  phones(tenantId: number, agentId: number): readonly Binding[];
  dialer: Pick<Dialer, 'dial'>;
  media: Pick<Media, 'allocate'>;
  stack: SipStack;
  registry: DialogRegistry;
}

export interface MonitorRequest {
  mode: MonitorMode | 'off';
  /** The supervisor, by agent id or extension; may be left out to switch the mode of the current monitor. */
  supervisorAgentId?: number;
  supervisorExtension?: string;
}

export interface MonitorView {
  callId: string;
  supervisorAgentId: number;
  agentId: number | null;
  mode: MonitorMode;
  /** `ringing_supervisor`: tongdai is calling the supervisor's phone; `active`: joined; `stopped`: left. */
  status: 'ringing_supervisor' | 'active' | 'stopped';
}

/** One supervisor on one call: ringing, then joined through the call's media bridge. */
interface Session {
  call: Call;
  supervisor: Agent;
  agentId: number | null;
  agentIsA: boolean;
  mode: MonitorMode;
  via: MonitorEventPayload['via'];
  handle?: MonitorHandle;
  dialing?: Dialing;
  hangup?: () => void;
  ended: boolean;
}

/**
 * Supervisor monitoring (listen, whisper, barge) of live bridged calls, started from the native API (tongdai calls
 * the supervisor's phone) or by a feature code dialled on the supervisor's phone. Only admins and supervisors of the
 * call's tenant may monitor; another tenant's call is not found. The mixing itself is the media engine's.
 */
export class CallMonitor {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly d: MonitorDeps) {}

  /** The monitor of a call, if any. */
  current(tenantId: number, callId: string): MonitorView | null {
    const s = this.sessions.get(callId);
    return s && s.call.tenantId === tenantId ? view(s) : null;
  }

  /** Start monitoring, switch its mode, or end it (`off`) — what `POST /api/calls/{id}/monitor` does. */
  async request(tenantId: number, callId: string, r: MonitorRequest): Promise<MonitorView> {
    const call = this.d.findCall(tenantId, callId);
    if (!call) throw notFound(`call ${callId}`);
    const named = await this.named(tenantId, r);
    const s = this.sessions.get(callId);
    if (s && named && named.id !== s.supervisor.id) {
      throw conflict(
        `call ${callId} is already monitored by agent ${s.supervisor.extension}`,
        'invalid_transition',
      );
    }
    if (s) {
      if (r.mode === 'off') return view(this.finish(s), 'stopped');
      this.switchMode(s, r.mode);
      return view(s);
    }
    requireConnected(call, r.mode === 'off' ? 'stop monitoring' : 'monitor');
    if (r.mode === 'off') throw conflict(`call ${callId} is not being monitored`, 'invalid_transition');
    if (!named) throw invalid('name the supervisor: agent_id or extension', 'invalid_input');
    await this.authorize(named);
    const phones = this.d.phones(tenantId, named.id);
    if (phones.length === 0) {
      throw invalid(`agent ${named.extension} has no registered SIP phone to ring`, 'agent_not_registered');
    }
    const agentId = call.record.agentId;
    if (agentId === named.id) throw invalid('an agent cannot monitor their own call', 'invalid_input');
    const session = this.open(call, named, agentId, r.mode, 'api');
    const aor = `sip:${named.extension}@${this.d.stack.publicIp}`;
    const from = `"Monitor ${call.record.start.callerNumber.replace(/"/g, '')}" <sip:monitor@${this.d.stack.hostport()}>`;
    session.dialing = await this.d.dialer.dial(
      phoneTargets(phones, aor),
      from,
      {
        onAnswer: (leg) => {
          session.dialing = undefined;
          session.hangup = () => leg.session.bye();
          if (!this.join(session, leg.media)) leg.session.bye();
        },
        onFail: (status) => {
          this.d.logger.info({ callId, status }, "the supervisor's phone did not answer the monitor call");
          this.finish(session);
        },
        onHangup: () => {
          session.hangup = undefined;
          this.finish(session);
        },
      },
      undefined,
      call.a.media.endpoint,
    );
    if (session.ended) session.dialing.cancel();
    return view(session);
  }

  /**
   * An INVITE from a supervisor's phone to a feature code: answer it and join the call the agent with that
   * extension is on. Refusals are SIP answers: 403 for a role that may not monitor, 404 when the extension is
   * nobody of the tenant or is on no connected call, 486 when someone already monitors it, 488 for no codec.
   */
  async fromPhone(
    req: SipRequest,
    tx: ServerTransaction,
    id: SipIdentity,
    code: { mode: MonitorMode; extension: string },
  ): Promise<void> {
    const refuse = (status: number, reason: string) => tx.respond(makeResponse(req, status, reason));
    if (!(await this.mayMonitor(id.agent))) return refuse(403, 'Monitoring Not Allowed');
    const target = await this.d.agents.byExtension(id.tenant.id, code.extension).catch(() => null);
    if (!target || target.id === id.agent.id) return refuse(404, 'Not Found');
    const call = this.callOf(id.tenant.id, target.id);
    if (!call) return refuse(404, 'Agent Not On A Call');
    if (this.sessions.has(call.callId)) return refuse(486, 'Already Monitored');
    let endpoint;
    try {
      endpoint = await this.d.media.allocate({ near: call.a.media.endpoint });
    } catch {
      return refuse(503, 'No Media Ports');
    }
    const media = new MediaLeg(endpoint);
    const sdp = media.answer(req.body);
    if (sdp === null) {
      endpoint.close();
      return refuse(488, 'Not Acceptable Here');
    }
    const session = this.open(call, id.agent, target.id, code.mode, 'feature_code');
    const uas = new UasSession(this.d.stack, this.d.registry, req, tx, {
      onCancel: () => this.finish(session),
      onBye: () => {
        session.hangup = undefined;
        this.finish(session);
      },
      onReinvite: (offer) => media.answer(offer),
    });
    session.hangup = () => uas.hangup();
    uas.answer(sdp);
    if (!this.join(session, media)) uas.hangup();
  }

  private open(
    call: Call,
    supervisor: Agent,
    agentId: number | null,
    mode: MonitorMode,
    via: Session['via'],
  ) {
    const start = call.record.start;
    const s: Session = {
      call,
      supervisor,
      agentId,
      // The monitored agent is side A when they placed the call (outbound, click-to-call, an internal caller).
      agentIsA: agentId !== null && start.callerAgentId === agentId,
      mode,
      via,
      ended: false,
    };
    this.sessions.set(call.callId, s);
    call.onEnd(() => this.finish(s));
    return s;
  }

  /** The supervisor's leg answered: join it to the call's bridge (false when the call is gone meanwhile). */
  private join(s: Session, leg: MediaLeg): boolean {
    const bridge = s.call.mediaBridge;
    if (s.ended || !bridge || !CONNECTED.includes(s.call.state)) {
      this.finish(s);
      leg.endpoint.close();
      return false;
    }
    const handle = bridge.monitor(leg.endpoint, s.mode, { agentIsA: s.agentIsA });
    if (!handle) {
      this.finish(s);
      leg.endpoint.close();
      return false;
    }
    s.handle = handle;
    const close = s.hangup;
    // The supervisor's endpoint is this session's: closed when it ends, however it ends.
    s.hangup = () => {
      close?.();
      leg.endpoint.close();
    };
    this.publish('call.monitor_started', s, null);
    return true;
  }

  private switchMode(s: Session, mode: MonitorMode): void {
    if (mode === s.mode) return;
    const previous = s.mode;
    s.mode = mode;
    s.handle?.setMode(mode);
    if (s.handle) this.publish('call.monitor_changed', s, previous);
  }

  /** End a session once: leave the mix, hang up the supervisor's leg, announce it if it had joined. */
  private finish(s: Session): Session {
    if (s.ended) return s;
    s.ended = true;
    if (this.sessions.get(s.call.callId) === s) this.sessions.delete(s.call.callId);
    s.dialing?.cancel();
    const joined = s.handle !== undefined;
    s.handle?.stop();
    s.hangup?.();
    if (joined) this.publish('call.monitor_stopped', s, null);
    return s;
  }

  private async named(tenantId: number, r: MonitorRequest): Promise<Agent | null> {
    if (r.supervisorAgentId !== undefined) return this.d.agents.byId(tenantId, r.supervisorAgentId);
    if (r.supervisorExtension !== undefined) {
      return this.d.agents.byExtension(tenantId, r.supervisorExtension);
    }
    return null;
  }

  private async mayMonitor(agent: Agent): Promise<boolean> {
    const role = await this.d.agents.roleOf(agent);
    return (MONITOR_ROLES as readonly string[]).includes(role);
  }

  private async authorize(agent: Agent): Promise<void> {
    if (await this.mayMonitor(agent)) return;
    throw new DomainError(
      'FORBIDDEN',
      `agent ${agent.extension} has the role agent: only supervisors and admins may monitor calls`,
      'role',
    );
  }

  /** The connected call the agent is on (as the answering agent, or as either party of an internal call). */
  private callOf(tenantId: number, agentId: number): Call | undefined {
    for (const c of this.d.liveCalls(tenantId)) {
      if (!CONNECTED.includes(c.state)) continue;
      const s = c.record.start;
      if (c.record.agentId === agentId || s.callerAgentId === agentId || s.calleeAgentId === agentId)
        return c;
    }
    return undefined;
  }

  private publish(
    type: 'call.monitor_started' | 'call.monitor_changed' | 'call.monitor_stopped',
    s: Session,
    previousMode: MonitorMode | null,
  ): void {
    this.d.bus.publish(s.call.tenantId, type, {
      callId: s.call.callId,
      supervisorAgentId: s.supervisor.id,
      agentId: s.agentId,
      mode: s.mode,
      previousMode,
      via: s.via,
      at: this.d.clock.now(),
    });
  }
}

function view(s: Session, status?: MonitorView['status']): MonitorView {
  return {
    callId: s.call.callId,
    supervisorAgentId: s.supervisor.id,
    agentId: s.agentId,
    mode: s.mode,
    status: status ?? (s.ended ? 'stopped' : s.handle ? 'active' : 'ringing_supervisor'),
  };
}

/** A 409 naming the call's state unless it is connected (bridged, held, transferring). */
export function requireConnected(call: Call, action: string): void {
  if (CONNECTED.includes(call.state) && call.mediaBridge) return;
  throw new DomainError(
    'CONFLICT',
    `the call is ${call.state}: ${action} is not possible now`,
    'invalid_transition',
    {
      state: call.state,
    },
  );
}
