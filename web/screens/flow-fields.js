import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { t } from '../i18n.js';

/**
 * The fields of the IVR flow form (flow-form.js): each knows the JSON pointer of the value it edits, and shows a
 * server error whose `path` points at it beside itself.
 */

export const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ACTION_TYPES = ['queue', 'agent', 'extension', 'goto', 'external', 'callback', 'voicemail', 'hangup'];
const LISTS = new Set(['prompt', 'invalidPrompt', 'timeoutPrompt', 'holidays', ...WEEKDAYS]);

/** The field a server error points at: an item of a list field (`…/prompt/3`) belongs to the list. */
export function fieldOf(path) {
  const parts = path.split('/');
  const last = parts.length - 1;
  if (/^\d+$/.test(parts[last]) && LISTS.has(parts[last - 1])) return parts.slice(0, last).join('/');
  return path;
}

const errorAt = (err, path) => (err && fieldOf(err.path) === path ? err : null);

/** The error of a field (with its path, as the server said it), or nothing. */
export function FieldError({ err, path }) {
  const e = errorAt(err, path);
  return (
    e && html`<small class="field-error" role="alert" data-path=${e.origin ?? e.path}>${e.message}</small>`
  );
}

const splitList = (text) => text.split(/[\s,]+/).filter(Boolean);

/** A list of words typed as one line ("welcome press 1"), kept as typed while it means the same list. */
export function ListField({ value, onChange, path, err, placeholder, label, multiline }) {
  const join = (v) => (v ?? []).join(multiline ? '\n' : ' ');
  const [text, setText] = useState(join(value));
  useEffect(() => {
    if (splitList(text).join(' ') !== (value ?? []).join(' ')) setText(join(value));
  }, [JSON.stringify(value ?? [])]);
  const input = (e) => {
    setText(e.currentTarget.value);
    onChange(splitList(e.currentTarget.value));
  };
  const bad = !!errorAt(err, path);
  const attrs = { 'data-field': path, class: bad ? 'invalid' : '', placeholder, value: text, onInput: input };
  return html`<label
    >${label}${multiline ? html`<textarea rows="3" ...${attrs}></textarea>` : html`<input ...${attrs} />`}
    <${FieldError} err=${err} path=${path}
  /></label>`;
}

/** A whole number, or nothing (the schema's default). */
export function NumberField({ value, onChange, path, err, label, min, max, placeholder }) {
  const bad = !!errorAt(err, path);
  return html`<label
    >${label}<input
      type="number"
      data-field=${path}
      class=${bad ? 'invalid' : ''}
      min=${min}
      max=${max}
      placeholder=${placeholder}
      value=${value ?? ''}
      onInput=${(e) => onChange(e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))} />
    <${FieldError} err=${err} path=${path}
  /></label>`;
}

export function TextField({ value, onChange, path, err, label, placeholder, inputmode }) {
  const bad = !!errorAt(err, path);
  return html`<label
    >${label}<input
      data-field=${path}
      class=${bad ? 'invalid' : ''}
      placeholder=${placeholder}
      inputmode=${inputmode}
      value=${value ?? ''}
      onInput=${(e) => onChange(e.currentTarget.value)} />
    <${FieldError} err=${err} path=${path}
  /></label>`;
}

/** Drop a key whose value is undefined (an emptied optional field), set it otherwise. */
export function put(obj, key, v) {
  if (v === undefined) delete obj[key];
  else obj[key] = v;
}

/** A fresh action of `type`, keeping the prompt the branch had. */
export function actionOf(type, prev, opts) {
  const a = { type };
  if (prev?.prompt) a.prompt = prev.prompt;
  if (type === 'queue' || type === 'callback') a.queueId = opts.queues[0]?.queue_id ?? 1;
  if (type === 'agent') a.agentId = opts.agents[0]?.agent_id ?? 1;
  if (type === 'extension') a.extension = opts.agents[0]?.extension ?? '';
  if (type === 'external') a.number = '';
  if (type === 'goto') a.node = opts.otherNodes[0] ?? opts.newNode();
  return a;
}

/** What a branch does: a destination of any kind the schema has, and an optional prompt played first. */
export function ActionEditor({ value, onChange, path, err, opts, label }) {
  const a = value ?? { type: 'hangup' };
  const set = (key, v) => {
    const next = { ...a };
    put(next, key, v);
    onChange(next);
  };
  const sub = (k) => `${path}/${k}`;
  const fields =
    {
      queue: ['queueId'],
      callback: ['queueId'],
      agent: ['agentId'],
      extension: ['extension'],
      goto: ['node'],
      external: ['number'],
      voicemail: ['mailbox', 'maxSec'],
      hangup: [],
    }[a.type] ?? [];
  // An error inside this branch that no field of it shows (a skill, an unknown type) is shown at the type.
  const mine = err && (err.path === path || err.path.startsWith(`${path}/`)) ? err : null;
  const shown = mine && [...fields, 'prompt'].some((f) => fieldOf(mine.path) === sub(f));
  const typeErr = mine && !shown ? { ...mine, path: sub('type'), origin: mine.path } : null;
  const pick = (key, list, id, name) =>
    html`<label
      >${t(key === 'node' ? 'subMenu' : a.type === 'agent' ? 'agent' : 'queue')}<select
        data-field=${sub(key)}
        value=${String(a[key])}
        onChange=${(e) => {
          const v = e.currentTarget.value;
          if (key === 'node') set(key, v === '' ? opts.newNode() : v);
          else set(key, Number(v));
        }}
      >
        ${list.map((x) => html`<option value=${String(id(x))}>${name(x)}</option>`)}
        ${key === 'node' && html`<option value="">+ ${t('newSubMenu')}</option>`}
      </select>
      <${FieldError} err=${err} path=${sub(key)}
    /></label>`;
  const target = {
    queue: () =>
      pick(
        'queueId',
        opts.queues,
        (q) => q.queue_id,
        (q) => q.name,
      ),
    callback: () =>
      pick(
        'queueId',
        opts.queues,
        (q) => q.queue_id,
        (q) => q.name,
      ),
    agent: () =>
      pick(
        'agentId',
        opts.agents,
        (x) => x.agent_id,
        (x) => `${x.name} (${x.extension})`,
      ),
    goto: () =>
      pick(
        'node',
        opts.nodeNames,
        (n) => n,
        (n) => n,
      ),
    extension: () =>
      html`<${TextField}
        label=${t('extension')}
        inputmode="numeric"
        placeholder="101"
        value=${a.extension}
        onChange=${(v) => set('extension', v)}
        path=${sub('extension')}
        err=${err}
      />`,
    external: () =>
      html`<${TextField}
        label=${t('externalNumber')}
        inputmode="tel"
        placeholder="0901234567"
        value=${a.number}
        onChange=${(v) => set('number', v)}
        path=${sub('number')}
        err=${err}
      />`,
    voicemail: () =>
      html`<${TextField}
          label=${t('mailbox')}
          placeholder="sales"
          value=${a.mailbox}
          onChange=${(v) => set('mailbox', v || undefined)}
          path=${sub('mailbox')}
          err=${err}
        /><${NumberField}
          label=${t('maxSec')}
          placeholder="120"
          min="1"
          max="600"
          value=${a.maxSec}
          onChange=${(v) => set('maxSec', v)}
          path=${sub('maxSec')}
          err=${err}
        />`,
    hangup: () => html`<span></span>`,
  }[a.type];
  return html`<div class="action" data-action=${path}>
    <label
      >${label ?? t('destination')}<select
        data-field=${sub('type')}
        class=${typeErr ? 'invalid' : ''}
        value=${a.type}
        onChange=${(e) => onChange(actionOf(e.currentTarget.value, a, opts))}
      >
        ${ACTION_TYPES.map((x) => html`<option value=${x}>${t(`act_${x}`)}</option>`)}
      </select>
      <${FieldError} err=${typeErr} path=${sub('type')}
    /></label>
    <div class="action-target">${target ? target() : null}</div>
    <${ListField}
      label=${t('promptFirst')}
      value=${a.prompt}
      onChange=${(v) => set('prompt', v.length ? v : undefined)}
      path=${sub('prompt')}
      err=${err}
    />
    ${a.type === 'queue' && a.skills?.length ? html`<span class="muted small">${t('skillsInJson', { n: a.skills.length })}</span>` : null}
  </div>`;
}
