/**
 * Validation of a flow document: the TypeBox shape, then what a schema cannot say (a `goto` to a node
 * that exists, known prompt names, a real time zone, ranges that end after they start). The first
 * problem is reported with the JSON pointer of the offending value, e.g. `/nodes/main/options/1/queueId`.
 */
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { DomainError } from '../errors.js';
import { PROMPT_CATALOG } from '../prompts/catalog.js';
import {
  ACTION_SCHEMAS,
  type Action,
  DEFAULT_TIMEZONE,
  type Flow,
  type FlowNode,
  FlowShape,
  NODE_SCHEMAS,
} from './schema.js';

/** An invalid flow: `path` is the JSON pointer of the first problem ('' for the document itself). */
export class FlowInvalid extends DomainError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super('INVALID_INPUT', `${path || '/'}: ${problem}`, 'invalid_flow', { path });
  }
}

function firstSchemaError(schema: TSchema, value: unknown, base: string): void {
  for (const e of Value.Errors(schema, value)) {
    const extra = e.keyword === 'boolean' && e.schemaPath.endsWith('additionalProperties');
    const problem = extra ? 'is not an allowed property' : e.message;
    throw new FlowInvalid(base + e.instancePath, problem);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function byType<K extends string>(table: Record<K, TSchema>, value: unknown, path: string): K {
  if (!isObject(value)) throw new FlowInvalid(path, 'must be an object');
  const t = value.type;
  if (typeof t !== 'string' || !(t in table)) {
    throw new FlowInvalid(`${path}/type`, `must be one of ${Object.keys(table).join(', ')}`);
  }
  firstSchemaError(table[t as K], value, path);
  return t as K;
}

/** Checks a whole document and returns it as a Flow with defaults filled in; throws FlowInvalid. */
export function validateFlow(doc: unknown): Flow {
  firstSchemaError(FlowShape, doc, '');
  const raw = doc as Record<string, unknown> & { nodes: Record<string, unknown>; start: string };
  const language = (raw.language as Flow['language'] | undefined) ?? 'vi';
  const timezone = (raw.timezone as string | undefined) ?? DEFAULT_TIMEZONE;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new FlowInvalid('/timezone', `unknown time zone "${timezone}"`);
  }
  const names = new Set(Object.keys(raw.nodes));
  if (!names.has(raw.start)) throw new FlowInvalid('/start', `no node named "${raw.start}"`);
  const ctx: RefCtx = { names, language };
  for (const [name, node] of Object.entries(raw.nodes)) checkNode(node, `/nodes/${name}`, ctx);
  if (raw.onError !== undefined) checkAction(raw.onError, '/onError', ctx);
  return {
    language,
    timezone,
    start: raw.start,
    nodes: raw.nodes as Record<string, FlowNode>,
    ...(raw.onError !== undefined ? { onError: raw.onError as Action } : {}),
  };
}

interface RefCtx {
  names: Set<string>;
  language: Flow['language'];
}

function checkNode(node: unknown, path: string, ctx: RefCtx): void {
  const type = byType(NODE_SCHEMAS, node, path);
  const n = node as FlowNode;
  checkPrompts('prompt' in n ? n.prompt : [], `${path}/prompt`, ctx);
  switch (type) {
    case 'menu': {
      const m = n as Extract<FlowNode, { type: 'menu' }>;
      for (const [digit, action] of Object.entries(m.options))
        checkAction(action, `${path}/options/${digit}`, ctx);
      if (m.onFail !== undefined) checkAction(m.onFail, `${path}/onFail`, ctx);
      checkPrompts(m.invalidPrompt ?? [], `${path}/invalidPrompt`, ctx);
      checkPrompts(m.timeoutPrompt ?? [], `${path}/timeoutPrompt`, ctx);
      return;
    }
    case 'play':
      checkAction((n as Extract<FlowNode, { type: 'play' }>).next, `${path}/next`, ctx);
      return;
    case 'hours': {
      const h = n as Extract<FlowNode, { type: 'hours' }>;
      for (const [day, ranges] of Object.entries(h.weekly)) {
        (ranges ?? []).forEach((r, i) => checkRange(r, `${path}/weekly/${day}/${i}`));
      }
      (h.holidays ?? []).forEach((d, i) => checkDate(d, `${path}/holidays/${i}`));
      checkAction(h.open, `${path}/open`, ctx);
      checkAction(h.closed, `${path}/closed`, ctx);
      if (h.holiday !== undefined) checkAction(h.holiday, `${path}/holiday`, ctx);
      return;
    }
  }
}

function checkAction(action: unknown, path: string, ctx: RefCtx): void {
  const type = byType(ACTION_SCHEMAS, action, path);
  const a = action as Action;
  checkPrompts(a.prompt ?? [], `${path}/prompt`, ctx);
  if (type === 'goto' && a.type === 'goto' && !ctx.names.has(a.node)) {
    throw new FlowInvalid(`${path}/node`, `no node named "${a.node}"`);
  }
  if (a.type === 'queue' && a.skills) checkSkills(a.skills, `${path}/skills`);
}

/** A branch's requirements: each skill once; relax steps later and lower than the one before, none after a drop. */
function checkSkills(skills: NonNullable<Extract<Action, { type: 'queue' }>['skills']>, path: string): void {
  const seen = new Set<number>();
  skills.forEach((r, i) => {
    if (seen.has(r.skillId))
      throw new FlowInvalid(`${path}/${i}/skillId`, `skill ${r.skillId} is listed twice`);
    seen.add(r.skillId);
    let after = 0;
    let level = r.minProficiency;
    (r.relax ?? []).forEach((step, j) => {
      const p = `${path}/${i}/relax/${j}`;
      if (level === 0) throw new FlowInvalid(p, 'the requirement is already dropped by the step before');
      if (step.afterSec <= after)
        throw new FlowInvalid(`${p}/afterSec`, `must be later than the step before (${after} s)`);
      if (step.minProficiency >= level)
        throw new FlowInvalid(`${p}/minProficiency`, `must be lower than the minimum before (${level})`);
      after = step.afterSec;
      level = step.minProficiency;
    });
  });
}

/** Every skill a validated flow's queue branches name, with the JSON pointer of each (checked against the tenant). */
export function flowSkillRefs(flow: Flow): { path: string; skillId: number }[] {
  const out: { path: string; skillId: number }[] = [];
  const visit = (a: Action | undefined, path: string) => {
    if (a?.type === 'queue')
      a.skills?.forEach((r, i) => out.push({ path: `${path}/skills/${i}/skillId`, skillId: r.skillId }));
  };
  for (const [name, node] of Object.entries(flow.nodes)) {
    const base = `/nodes/${name}`;
    if (node.type === 'menu') {
      for (const [digit, action] of Object.entries(node.options)) visit(action, `${base}/options/${digit}`);
      visit(node.onFail, `${base}/onFail`);
    } else if (node.type === 'play') visit(node.next, `${base}/next`);
    else {
      visit(node.open, `${base}/open`);
      visit(node.closed, `${base}/closed`);
      visit(node.holiday, `${base}/holiday`);
    }
  }
  visit(flow.onError, '/onError');
  return out;
}

function checkPrompts(prompts: string[], path: string, ctx: RefCtx): void {
  prompts.forEach((p, i) => {
    if (!p.startsWith('media:') && !Object.hasOwn(PROMPT_CATALOG[ctx.language], p)) {
      throw new FlowInvalid(`${path}/${i}`, `no ${ctx.language} prompt named "${p}"`);
    }
  });
}

/** Minutes since midnight of "HH:MM". */
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function checkRange(range: string, path: string): void {
  const [from, to] = range.split('-') as [string, string];
  if (minutesOf(to) <= minutesOf(from)) throw new FlowInvalid(path, 'must end after it starts');
}

function checkDate(date: string, path: string): void {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) {
    throw new FlowInvalid(path, 'is not a calendar date');
  }
}
