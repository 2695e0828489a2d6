/**
 * IVR call flows as JSON: the TypeBox schemas of a flow, its nodes and the actions a branch takes.
 * validate.ts checks a document against these and then checks what a schema cannot (references).
 */
import { Type, type Static } from 'typebox';

/** A prompt to play: a catalogue name (`welcome`) or a tenant media file (`media:sales-intro.wav`). */
const Prompt = Type.String({
  minLength: 1,
  maxLength: 80,
  pattern: '^(media:[A-Za-z0-9][A-Za-z0-9 ._-]*|[a-z0-9-]+)$',
});
const Prompts = Type.Array(Prompt, { maxItems: 50 });
const Id = Type.Integer({ minimum: 1 });
const NodeName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' });
const before = { prompt: Type.Optional(Prompts) };
/**
 * A skill a queue branch requires on top of the queue's own (docs/acd.md, Skills): agents need `skillId` at
 * `minProficiency` or more; each `relax` step lowers the minimum after the caller waited `afterSec` (0 drops it).
 */
const SkillRequirement = Type.Object(
  {
    skillId: Id,
    minProficiency: Type.Integer({ minimum: 1, maximum: 5 }),
    relax: Type.Optional(
      Type.Array(
        Type.Object(
          {
            afterSec: Type.Integer({ minimum: 1, maximum: 86_400 }),
            minProficiency: Type.Integer({ minimum: 0, maximum: 4 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 5 },
      ),
    ),
  },
  { additionalProperties: false },
);

/** What a branch does; `prompt` (optional) plays first. Keyed by `type`. */
export const ACTION_SCHEMAS = {
  queue: Type.Object(
    {
      type: Type.Literal('queue'),
      queueId: Id,
      skills: Type.Optional(Type.Array(SkillRequirement, { maxItems: 20 })),
      ...before,
    },
    { additionalProperties: false },
  ),
  agent: Type.Object(
    { type: Type.Literal('agent'), agentId: Id, ...before },
    { additionalProperties: false },
  ),
  extension: Type.Object(
    { type: Type.Literal('extension'), extension: Type.String({ pattern: '^[0-9]{2,10}$' }), ...before },
    { additionalProperties: false },
  ),
  goto: Type.Object(
    { type: Type.Literal('goto'), node: NodeName, ...before },
    { additionalProperties: false },
  ),
  external: Type.Object(
    { type: Type.Literal('external'), number: Type.String({ pattern: '^\\+?[0-9]{3,20}$' }), ...before },
    { additionalProperties: false },
  ),
  callback: Type.Object(
    { type: Type.Literal('callback'), queueId: Id, ...before },
    { additionalProperties: false },
  ),
  voicemail: Type.Object(
    {
      type: Type.Literal('voicemail'),
      mailbox: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' })),
      /** The longest message recorded, in seconds (default 120). */
      maxSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
      ...before,
    },
    { additionalProperties: false },
  ),
  hangup: Type.Object({ type: Type.Literal('hangup'), ...before }, { additionalProperties: false }),
};
export type ActionType = keyof typeof ACTION_SCHEMAS;
/** Any action (for documentation: validate.ts checks each by its `type` for precise error paths). */
export const ActionSchema = Type.Union([
  ACTION_SCHEMAS.queue,
  ACTION_SCHEMAS.agent,
  ACTION_SCHEMAS.extension,
  ACTION_SCHEMAS.goto,
  ACTION_SCHEMAS.external,
  ACTION_SCHEMAS.callback,
  ACTION_SCHEMAS.voicemail,
  ACTION_SCHEMAS.hangup,
]);
export type Action = { [K in ActionType]: Static<(typeof ACTION_SCHEMAS)[K]> }[ActionType];

const HHMM = '([01][0-9]|2[0-3]):[0-5][0-9]';
/** Opening ranges of one day, "08:00-17:30" (end exclusive; "24:00" ends at midnight). */
const Ranges = Type.Array(Type.String({ pattern: `^${HHMM}-(${HHMM}|24:00)$` }), { maxItems: 8 });
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const Weekly = Type.Object(
  Object.fromEntries(WEEKDAYS.map((d) => [d, Type.Optional(Ranges)])) as Record<
    (typeof WEEKDAYS)[number],
    Type.TOptional<typeof Ranges>
  >,
  { additionalProperties: false },
);

/** Every digit, star and hash: the keys a menu may offer. */
export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'] as const;

export const NODE_SCHEMAS = {
  menu: Type.Object(
    {
      type: Type.Literal('menu'),
      prompt: Prompts,
      options: Type.Record(Type.String({ pattern: '^[0-9*#]$' }), Type.Unknown(), {
        additionalProperties: false,
      }),
      timeoutSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
      maxRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
      invalidPrompt: Type.Optional(Prompts),
      timeoutPrompt: Type.Optional(Prompts),
      onFail: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
  play: Type.Object(
    { type: Type.Literal('play'), prompt: Prompts, next: Type.Unknown() },
    { additionalProperties: false },
  ),
  hours: Type.Object(
    {
      type: Type.Literal('hours'),
      weekly: Weekly,
      holidays: Type.Optional(
        Type.Array(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), { maxItems: 400 }),
      ),
      open: Type.Unknown(),
      closed: Type.Unknown(),
      holiday: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
};
export type NodeType = keyof typeof NODE_SCHEMAS;

/** The document's outer shape; nodes and actions are checked one by one (by `type`) for precise paths. */
export const FlowShape = Type.Object(
  {
    language: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    start: NodeName,
    nodes: Type.Record(NodeName, Type.Object({ type: Type.String() }), {
      minProperties: 1,
      additionalProperties: false,
    }),
    onError: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export interface MenuNode {
  type: 'menu';
  prompt: string[];
  options: Partial<Record<(typeof DIGITS)[number], Action>>;
  timeoutSec?: number;
  maxRetries?: number;
  invalidPrompt?: string[];
  timeoutPrompt?: string[];
  onFail?: Action;
}
export interface PlayNode {
  type: 'play';
  prompt: string[];
  next: Action;
}
export interface HoursNode {
  type: 'hours';
  weekly: Partial<Record<(typeof WEEKDAYS)[number], string[]>>;
  holidays?: string[];
  open: Action;
  closed: Action;
  holiday?: Action;
}
export type FlowNode = MenuNode | PlayNode | HoursNode;

/** A validated flow, defaults filled in. */
export interface Flow {
  language: 'vi' | 'en';
  timezone: string;
  start: string;
  nodes: Record<string, FlowNode>;
  onError?: Action;
}

export const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';
