import type { Clock } from '../clock.js';
import { DomainError, invalid } from '../errors.js';
import { uuid } from '../ids.js';
import { type Tx, inTransaction } from '../store/db.js';
import { RESERVED_HEADERS, enqueueWebhook } from '../webhooks/deliver.js';
import { enqueue } from '../webhooks/outbox.js';
import { assertDeliverableUrl } from '../webhooks/ssrf.js';
import { type JobHandler, type OutboxWorker, PermanentJobError } from '../webhooks/worker.js';
import {
  type DirectoryDeps,
  findAgentByEmail,
  lockDirectory,
  requireAgentByEmail,
  revokeSipAccess,
} from './agent-lifecycle.js';
import { isValidEmail, normalizeEmail } from './agents.js';

/** The outbox kind of the OmiCall account transfer. */
export const AGENT_TRANSFER = 'omicall.agent_transfer';

export interface TransferRequest {
  sourceEmail: string;
  targetEmail: string;
  targetInfo?: { fullName?: string; phoneNumber?: string };
  callback?: { url: string; headers?: Record<string, string> };
}

interface TransferJob {
  requestId: string;
  requestTimeMs: number;
  agentId: number;
  targetEmail: string;
  fullName: string | null;
  phoneNumber: string | null;
  callback: { url: string; headers: Record<string, string> } | null;
}

/** The documented webhook body (plus `error` when the transfer failed). */
export interface TransferResult {
  requestId: string;
  requestTimeMs: number;
  action: 'AGENT_TRANSFER';
  status: 'SUCCESS' | 'ERROR';
  responseTimeMs: number;
  payload: { fullName: string | null; phoneNumber: string | null; email: string };
  error?: { code: string; message: string };
}

const MAX_HEADERS = 20;

function checkHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(headers ?? {});
  if (entries.length > MAX_HEADERS)
    throw invalid(`at most ${MAX_HEADERS} callback headers are allowed`, 'callback_headers_invalid');
  for (const [name, value] of entries) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/.test(name))
      throw invalid(`"${name}" is not a valid header name`, 'callback_headers_invalid');
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw invalid(
        `the callback header "${name}" is set by tongdai and cannot be overridden`,
        'callback_headers_invalid',
      );
    if (typeof value !== 'string' || value.length > 2000 || /[\r\n\0]/.test(value)) {
      throw invalid(
        `the callback header "${name}" must be a single-line string of at most 2000 characters`,
        'callback_headers_invalid',
      );
    }
    out[name] = value;
  }
  return out;
}

/**
 * Accept a transfer: validate what can be known now (source exists, target is free, callback is deliverable),
 * then enqueue the job. Returns the request id; the move itself happens in the outbox worker.
 */
export async function requestTransfer(
  d: DirectoryDeps & { allowPrivateWebhooks: boolean },
  tenantId: number,
  req: TransferRequest,
): Promise<{ requestId: string }> {
  const target = normalizeEmail(req.targetEmail);
  if (!isValidEmail(normalizeEmail(req.sourceEmail)))
    throw invalid(`sourceEmail "${req.sourceEmail}" is not a valid email address`, 'email_invalid');
  if (!isValidEmail(target))
    throw invalid(`targetEmail "${req.targetEmail}" is not a valid email address`, 'email_invalid');
  const fullName = req.targetInfo?.fullName?.trim() || null;
  const phoneNumber = req.targetInfo?.phoneNumber?.trim() || null;
  if (fullName && fullName.length > 200) throw invalid('targetInfo.fullName must be at most 200 characters');
  if (phoneNumber && !/^\+?[0-9]{3,20}$/.test(phoneNumber))
    throw invalid(`targetInfo.phoneNumber "${phoneNumber}" is not a phone number`);
  let callback: TransferJob['callback'] = null;
  if (req.callback) {
    const url = await assertDeliverableUrl(req.callback.url, d.allowPrivateWebhooks);
    callback = { url: url.toString(), headers: checkHeaders(req.callback.headers) };
  }
  const requestId = uuid();
  await inTransaction(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    const source = await requireAgentByEmail(tx, tenantId, req.sourceEmail);
    if (await findAgentByEmail(tx, tenantId, target)) {
      throw new DomainError('CONFLICT', `an agent with email ${target} already exists`, 'agent_exists');
    }
    const job: TransferJob = {
      requestId,
      requestTimeMs: d.clock.now(),
      agentId: source.id,
      targetEmail: target,
      fullName,
      phoneNumber,
      callback,
    };
    await enqueue(tx, d.clock, tenantId, AGENT_TRANSFER, job, {
      dedupeKey: `${tenantId}:${AGENT_TRANSFER}:${requestId}`,
    });
  });
  return { requestId };
}

/** The move, in the job's completion transaction: returns the result the webhook reports. */
async function moveAccount(
  tx: Tx,
  d: DirectoryDeps,
  tenantId: number,
  job: TransferJob,
): Promise<TransferResult> {
  await lockDirectory(tx, tenantId);
  const agent = await tx
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', job.agentId)
    .executeTakeFirst();
  const base = {
    requestId: job.requestId,
    requestTimeMs: job.requestTimeMs,
    action: 'AGENT_TRANSFER' as const,
  };
  const fail = (code: string, message: string): TransferResult => ({
    ...base,
    status: 'ERROR',
    responseTimeMs: d.clock.now(),
    payload: {
      fullName: job.fullName ?? agent?.name ?? null,
      phoneNumber: job.phoneNumber ?? agent?.phone ?? null,
      email: job.targetEmail,
    },
    error: { code, message },
  });
  if (!agent || agent.deleted_at !== null)
    return fail('agent_not_found', 'the source agent was deleted before the transfer ran');
  if (await findAgentByEmail(tx, tenantId, job.targetEmail)) {
    return fail('agent_exists', `an agent with email ${job.targetEmail} already exists`);
  }
  const now = d.clock.now();
  // The account (id, extension, queues, history) stays; the person changes, so the old owner's login and
  // SIP credentials must stop working.
  await revokeSipAccess(tx, d.box, tenantId, agent.id);
  await tx
    .updateTable('agents')
    .set({
      email: job.targetEmail,
      username: job.targetEmail.split('@')[0] ?? null,
      name: job.fullName ?? agent.name,
      phone: job.phoneNumber ?? agent.phone,
      password_hash: null,
      updated_at: now,
      updated_by: 'transfer',
    })
    .where('id', '=', agent.id)
    .execute();
  return {
    ...base,
    status: 'SUCCESS',
    responseTimeMs: now,
    payload: {
      fullName: job.fullName ?? agent.name,
      phoneNumber: job.phoneNumber ?? agent.phone,
      email: job.targetEmail,
    },
  };
}

/**
 * The transfer job. The move, the job's completion and the webhook's enqueue commit in one transaction, so a
 * restart at any point either redoes the whole step or finds it done: never a second move, never a lost hook.
 */
export function transferHandler(d: DirectoryDeps): JobHandler {
  return async (outboxJob, jc) => {
    const job = outboxJob.payload as TransferJob | null;
    if (!job || typeof job.requestId !== 'string' || typeof job.agentId !== 'number') {
      throw new PermanentJobError('malformed transfer job payload');
    }
    const tenantId = outboxJob.tenantId;
    const result = await jc.completeWith(async (tx) => {
      const r = await moveAccount(tx, d, tenantId, job);
      if (job.callback) {
        await enqueueWebhook(
          tx,
          d.clock,
          tenantId,
          {
            messageId: `msg_${job.requestId}`,
            url: job.callback.url,
            headers: job.callback.headers,
            body: JSON.stringify(r),
          },
          { dedupeKey: `${tenantId}:webhook:${job.requestId}` },
        );
      }
      return r;
    });
    if (result.status === 'SUCCESS')
      d.bus.publish(tenantId, 'agent.changed', { agentId: job.agentId, at: d.clock.now() });
  };
}

export function registerTransferJobs(worker: OutboxWorker, d: DirectoryDeps & { clock: Clock }): void {
  worker.register(AGENT_TRANSFER, transferHandler(d));
}
