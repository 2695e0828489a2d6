import type { FastifyRequest } from 'fastify';
import { DomainError, invalid } from '../../errors.js';
import type { AgentBrief, AgentStatusView, StatusOutcome } from '../../domain/status-service.js';
import { INT_MAX } from '../input-bounds.js';

/** CCAI wire shapes and the parsing the schemas cannot express (ids in query strings, a JSON body on GET). */

export const MAX_AGENT_IDS = 10_000;
export const MAX_TEAM_IDS = 1_000;
const MAX_GET_BODY = 1024 * 1024;

/** The CCAI `agent_number`: the document shows "Agent No.111"; ours is the agent's extension after that prefix. */
export const agentNumber = (a: Pick<AgentBrief, 'extension'>) => `Agent No.${a.extension}`;

export interface UpdateEntry {
  agent_id?: number;
  team_id?: number;
  name?: string;
  email?: string;
  agent_number?: string;
  previous_status?: string;
  current_status?: string;
  message?: string;
}

export interface StatusEntry {
  agent_id?: number;
  team_id?: number;
  name?: string;
  email?: string;
  agent_number?: string;
  status?: string;
  ip_addrs?: string[];
  message?: string;
}

export const agentNotFound = (id: number) => ({ agent_id: id, message: `Agent ${id} not found` });
export const teamNotFound = (id: number) => ({ team_id: id, message: `Team ${id} not found` });

export function updateEntry(o: StatusOutcome): UpdateEntry {
  if (o.result === 'not_found') return agentNotFound(o.agentId);
  const base = {
    agent_id: o.agent.id,
    name: o.agent.name,
    email: o.agent.email,
    agent_number: agentNumber(o.agent),
    previous_status: o.previous,
    current_status: o.current,
  };
  return o.result === 'unchanged' ? { ...base, message: o.message } : base;
}

export function statusEntry(v: AgentStatusView): StatusEntry {
  return {
    agent_id: v.id,
    name: v.name,
    email: v.email,
    agent_number: agentNumber(v),
    status: v.status,
    ip_addrs: v.ipAddrs,
  };
}

/** An id list from a JSON body: an array of positive integers, or absent. */
export function idsFromJson(value: unknown, field: string, max: number): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`${field} must be an array of integers`);
  if (value.length > max) throw invalid(`${field} must have at most ${max} entries`);
  return value.map((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > INT_MAX)
      throw invalid(`${field}[${i}] must be a positive integer`);
    return v;
  });
}

/** An id list from the query string: `agent_ids=11,12`, repeated `agent_ids=11&agent_ids=12`, or both. */
export function idsFromQuery(values: string[] | undefined, field: string, max: number): number[] {
  const parts = (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim());
  if (parts.length > max) throw invalid(`query parameter ${field} must have at most ${max} ids`);
  return parts
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d{1,10}$/.test(s) || Number(s) < 1 || Number(s) > INT_MAX)
        throw invalid(`query parameter ${field} must be positive integers separated by commas, got "${s}"`);
      return Number(s);
    });
}

/**
 * The JSON body of a GET request. Fastify treats GET as bodyless and leaves the stream alone, so the route reads
 * it here: the CCAI document sends `{"agent_ids": [...], "team_ids": [...]}` with GET.
 */
export async function readGetBody(req: FastifyRequest): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_GET_BODY)
      throw new DomainError('INVALID_INPUT', `request body is larger than ${MAX_GET_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}
