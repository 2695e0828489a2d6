import type { Clock } from '../clock.js';
import { resolveMohFile } from '../media/library.js';
import { createRecording, finishRecording } from '../media/recordings.js';
import type { Db } from '../store/db.js';
import type { Agent, Tenant } from '../store/schema.js';
import type { CallRecordInput } from './call-history.js';
import {
  type CallEndWrite,
  type OpenCallRow,
  callRecordWrites,
  closeOpenCall,
  openCallsOf,
} from './call-records.js';
import {
  type AcdSetup,
  type NumberTarget,
  type TrunkRow,
  acdSetupOf,
  calloutCallerIds,
  findCallTenant,
  firstNotReadyStatus,
  firstTrunkOf,
  listTrunks,
  liveAgentByExtension,
  liveAgentById,
  numberTarget,
  queueMohName,
} from './call-routing.js';
import { recordingPolicy } from './recording-policy.js';
import { type RunnableFlow, ivrDirectory, runnableFlow } from './ivr-flows.js';
import {
  advertiseNode,
  liveNodeIds,
  openCallOwners,
  pruneNodes,
  registerNode,
  removeNode,
  touchNode,
} from './telephony-nodes.js';
import { getRevision } from './tenants.js';
import { openVoicemailRecording, saveVoicemail } from './voicemails.js';

export type { CallAgent, CallTenant, NumberTarget, TrunkRow, AcdSetup } from './call-routing.js';
export type { CallEndWrite, OpenCallRow } from './call-records.js';
export type { CallRecordInput } from './call-history.js';
export type { RunnableFlow } from './ivr-flows.js';
/** The tenant and agent rows the call engine receives from the store (read-only to it). */
export type TenantRow = Tenant;
export type AgentRow = Agent;

/** A call record's writes (src/calls/records.ts). */
export interface CallRecordStore {
  insertCall(tenantId: number, c: CallRecordInput): Promise<void>;
  markAnswered(tenantId: number, callId: string, at: number, agentId: number | null): Promise<void>;
  markEnded(tenantId: number, callId: string, e: CallEndWrite): Promise<void>;
  openCalls(owners: readonly (string | null)[]): Promise<OpenCallRow[]>;
  closeOpenCall(
    c: OpenCallRow,
    e: { endedAt: number; hangupCause: string; statusDetail: string; reason: string },
  ): Promise<boolean>;
}

/** The telephony nodes' table (src/calls/nodes.ts). */
export interface NodeStore {
  registerNode(nodeId: string, now: number): Promise<void>;
  touchNode(nodeId: string, now: number): Promise<boolean>;
  advertiseNode(nodeId: string, sipAddress: string): Promise<void>;
  removeNode(nodeId: string): Promise<void>;
  liveNodeIds(cutoff: number): Promise<Set<string>>;
  pruneNodes(cutoff: number): Promise<number>;
  openCallOwners(): Promise<(string | null)[]>;
}

/** Routing reads (src/calls/routing.ts and the flows). */
export interface RoutingStore {
  trunks(): Promise<TrunkRow[]>;
  firstTrunk(tenantId: number): Promise<TrunkRow | undefined>;
  numberTarget(tenantId: number, variants: string[]): Promise<NumberTarget | undefined>;
  tenant(tenantId: number): Promise<Tenant | undefined>;
  agentByExtension(tenantId: number, extension: string): Promise<Agent | undefined>;
  agentById(tenantId: number, id: number): Promise<Agent | undefined>;
  calloutCallerIds(tenantId: number, queueId: number): Promise<string[]>;
}

/** What the ACD driver and the queue flow read (src/calls/acd-driver.ts, queue-flow.ts). */
export interface AcdStore {
  revision(tenantId: number): Promise<number>;
  acdSetup(tenantId: number): Promise<AcdSetup>;
  /** The absolute path of the queue's hold music (undefined: the engine's default). */
  queueMoh(tenantId: number, queueId: number): Promise<string | undefined>;
  firstNotReadyStatus(tenantId: number): Promise<string | null>;
}

/** Recording rows and files of calls (src/calls/recording.ts). */
export interface RecordingStore {
  recordingWanted(tenantId: number, agentIds: readonly number[], queueId: number | null): Promise<boolean>;
  openRecording(tenantId: number, callId: string): Promise<{ id: number; path: string }>;
  finishRecording(
    tenantId: number,
    id: number,
    r: { durationMs: number; sizeBytes: number; pauses?: { offsetMs: number; durationMs: number }[] },
  ): Promise<void>;
}

/** Voicemails an IVR flow records (src/calls/voicemail.ts): a recording row, then the voicemail row. */
export interface VoicemailStore {
  openVoicemail(tenantId: number, callId: string): Promise<{ id: number; path: string; name: string }>;
  saveVoicemail(tenantId: number, v: Parameters<typeof saveVoicemail>[3]): Promise<number>;
}

/** IVR flows as calls run them (src/calls/ivr-flow.ts). */
export interface IvrStore {
  /** The flow's current version, validated (undefined: deleted since the number was read). */
  ivrFlow(tenantId: number, flowId: number): Promise<RunnableFlow | undefined>;
  ivrDirectory(tenantId: number): Promise<{ queueIds: number[]; agentIds: number[]; extensions: string[] }>;
}

/** Every read and write the call engine does, bound to one database: src/calls holds no SQL of its own. */
export interface CallStore
  extends CallRecordStore, NodeStore, RoutingStore, AcdStore, RecordingStore, IvrStore, VoicemailStore {}

/** The CallStore over `db` (the composition root builds one per telephony instance). */
export function createCallStore(db: Db, clock: Clock, dataDir: string): CallStore {
  const records = callRecordWrites(db);
  return {
    insertCall: records.insert,
    markAnswered: records.answered,
    markEnded: records.ended,
    openCalls: (owners) => openCallsOf(db, owners),
    closeOpenCall: (c, e) => closeOpenCall(db, c, e),
    registerNode: (id, now) => registerNode(db, id, now),
    touchNode: (id, now) => touchNode(db, id, now),
    advertiseNode: (id, address) => advertiseNode(db, id, address),
    removeNode: (id) => removeNode(db, id),
    liveNodeIds: (cutoff) => liveNodeIds(db, cutoff),
    pruneNodes: (cutoff) => pruneNodes(db, cutoff),
    openCallOwners: () => openCallOwners(db),
    trunks: () => listTrunks(db),
    firstTrunk: (tenantId) => firstTrunkOf(db, tenantId),
    numberTarget: (tenantId, variants) => numberTarget(db, tenantId, variants),
    tenant: (tenantId) => findCallTenant(db, tenantId),
    agentByExtension: (tenantId, ext) => liveAgentByExtension(db, tenantId, ext),
    agentById: (tenantId, id) => liveAgentById(db, tenantId, id),
    calloutCallerIds: (tenantId, queueId) => calloutCallerIds(db, tenantId, queueId),
    revision: (tenantId) => getRevision(db, tenantId),
    acdSetup: (tenantId) => acdSetupOf(db, tenantId),
    queueMoh: async (tenantId, queueId) =>
      resolveMohFile(db, dataDir, tenantId, await queueMohName(db, tenantId, queueId)),
    firstNotReadyStatus: (tenantId) => firstNotReadyStatus(db, tenantId),
    recordingWanted: recordingPolicy(db),
    openRecording: (tenantId, callId) => createRecording(db, clock, dataDir, { tenantId, callId }),
    finishRecording: (tenantId, id, r) => finishRecording(db, clock, tenantId, id, r),
    openVoicemail: (tenantId, callId) => openVoicemailRecording(db, clock, dataDir, { tenantId, callId }),
    saveVoicemail: (tenantId, v) => saveVoicemail(db, clock, tenantId, v),
    ivrFlow: (tenantId, flowId) => runnableFlow(db, tenantId, flowId),
    ivrDirectory: (tenantId) => ivrDirectory(db, tenantId),
  };
}
