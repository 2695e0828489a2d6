import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { t } from '../i18n.js';

/**
 * The structured form of an IVR flow (docs/ivr.md): the document itself is the form's state, so whatever the form
 * does not show (skills on a queue branch, onError, play nodes' extras) survives an edit untouched. Every field
 * knows its JSON pointer; a server error whose `path` points at it is shown beside it.
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
function ListField({ value, onChange, path, err, placeholder, label, multiline }) {
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
function NumberField({ value, onChange, path, err, label, min, max, placeholder }) {
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

function TextField({ value, onChange, path, err, label, placeholder, inputmode }) {
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
function put(obj, key, v) {
  if (v === undefined) delete obj[key];
  else obj[key] = v;
}

/** A fresh action of `type`, keeping the prompt the branch had. */
function actionOf(type, prev, opts) {
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

function MenuCard({ name, node, edit, err, opts }) {
  const base = `/nodes/${name}`;
  const used = Object.keys(node.options ?? {});
  const free = DIGITS.filter((d) => !used.includes(d));
  const setOption = (digit, v) => edit((n) => (n.options[digit] = v));
  const moveOption = (from, to) =>
    edit((n) => {
      const entries = Object.entries(n.options).map(([d, v]) => [d === from ? to : d, v]);
      n.options = Object.fromEntries(entries);
    });
  const ordered = DIGITS.filter((d) => used.includes(d));
  return html`<div class="menu-body">
    <${ListField}
      label=${t('greeting')}
      placeholder="welcome press 1 for sales"
      value=${node.prompt}
      onChange=${(v) => edit((n) => (n.prompt = v))}
      path=${`${base}/prompt`}
      err=${err}
    />
    <div class="options">
      ${ordered.map(
        (d) =>
          html`<div class="option" data-digit=${d}>
            <label
              >${t('key')}<select
                class="digit"
                value=${d}
                onChange=${(e) => moveOption(d, e.currentTarget.value)}
              >
                ${[d, ...free].sort((x, y) => DIGITS.indexOf(x) - DIGITS.indexOf(y)).map((x) => html`<option value=${x}>${x}</option>`)}
              </select></label
            >
            <${ActionEditor}
              value=${node.options[d]}
              onChange=${(v) => setOption(d, v)}
              path=${`${base}/options/${d}`}
              err=${err}
              opts=${opts}
            />
            <button
              type="button"
              class="ghost danger remove-option"
              aria-label=${t('delete')}
              onClick=${() => edit((n) => delete n.options[d])}
            >
              ×
            </button>
          </div>`,
      )}
      ${
        free.length > 0 &&
        html`<button
          type="button"
          class="ghost add-option"
          onClick=${() => setOption(free[0], actionOf('queue', undefined, opts))}
        >
          + ${t('addKey')}
        </button>`
      }
    </div>
    <div class="row3">
      <${NumberField}
        label=${t('timeoutSec')}
        placeholder="5"
        min="1"
        max="60"
        value=${node.timeoutSec}
        onChange=${(v) => edit((n) => put(n, 'timeoutSec', v))}
        path=${`${base}/timeoutSec`}
        err=${err}
      />
      <${NumberField}
        label=${t('maxRetries')}
        placeholder="2"
        min="0"
        max="10"
        value=${node.maxRetries}
        onChange=${(v) => edit((n) => put(n, 'maxRetries', v))}
        path=${`${base}/maxRetries`}
        err=${err}
      />
    </div>
    <label class="check"
      ><input
        type="checkbox"
        class="has-onfail"
        checked=${node.onFail !== undefined}
        onChange=${(e) =>
          edit((n) =>
            put(n, 'onFail', e.currentTarget.checked ? actionOf('queue', undefined, opts) : undefined),
          )}
      />
      ${t('onFailCustom')}</label
    >
    ${
      node.onFail !== undefined &&
      html`<${ActionEditor}
        label=${t('onFail')}
        value=${node.onFail}
        onChange=${(v) => edit((n) => (n.onFail = v))}
        path=${`${base}/onFail`}
        err=${err}
        opts=${opts}
      />`
    }
  </div>`;
}

function HoursCard({ name, node, edit, err, opts }) {
  const base = `/nodes/${name}`;
  return html`<div class="hours-body">
    <div class="weekly">
      ${WEEKDAYS.map(
        (d) =>
          html`<${ListField}
            label=${t(`day_${d}`)}
            placeholder=${t('closedAllDay')}
            value=${node.weekly?.[d]}
            onChange=${(v) => edit((n) => put((n.weekly ??= {}), d, v.length ? v : undefined))}
            path=${`${base}/weekly/${d}`}
            err=${err}
          />`,
      )}
    </div>
    <${ListField}
      label=${t('holidays')}
      placeholder="2026-09-02"
      multiline
      value=${node.holidays}
      onChange=${(v) => edit((n) => put(n, 'holidays', v.length ? v : undefined))}
      path=${`${base}/holidays`}
      err=${err}
    />
    <${ActionEditor}
      label=${t('whenOpen')}
      value=${node.open}
      onChange=${(v) => edit((n) => (n.open = v))}
      path=${`${base}/open`}
      err=${err}
      opts=${opts}
    />
    <${ActionEditor}
      label=${t('whenClosed')}
      value=${node.closed}
      onChange=${(v) => edit((n) => (n.closed = v))}
      path=${`${base}/closed`}
      err=${err}
      opts=${opts}
    />
    <label class="check"
      ><input
        type="checkbox"
        class="has-holiday"
        checked=${node.holiday !== undefined}
        onChange=${(e) =>
          edit((n) =>
            put(n, 'holiday', e.currentTarget.checked ? { type: 'hangup', prompt: ['holiday'] } : undefined),
          )}
      />
      ${t('holidayBranch')}</label
    >
    ${
      node.holiday !== undefined &&
      html`<${ActionEditor}
        label=${t('onHoliday')}
        value=${node.holiday}
        onChange=${(v) => edit((n) => (n.holiday = v))}
        path=${`${base}/holiday`}
        err=${err}
        opts=${opts}
      />`
    }
  </div>`;
}

function PlayCard({ name, node, edit, err, opts }) {
  const base = `/nodes/${name}`;
  return html`<div>
    <${ListField}
      label=${t('prompt')}
      value=${node.prompt}
      onChange=${(v) => edit((n) => (n.prompt = v))}
      path=${`${base}/prompt`}
      err=${err}
    />
    <${ActionEditor}
      label=${t('then')}
      value=${node.next}
      onChange=${(v) => edit((n) => (n.next = v))}
      path=${`${base}/next`}
      err=${err}
      opts=${opts}
    />
  </div>`;
}

const CARDS = { menu: MenuCard, hours: HoursCard, play: PlayCard };

/** A new node name not taken yet: `menu2`, `menu3`… */
function freshName(nodes, stem) {
  for (let i = 2; ; i++) if (!nodes[`${stem}${i}`]) return `${stem}${i}`;
}

/** The whole form: flow settings, then one card per node (the start first). `doc` is the flow document. */
export function FlowForm({ doc, setDoc, err, queues, agents, prompts }) {
  const change = (fn) => {
    const d = structuredClone(doc);
    fn(d);
    setDoc(d);
  };
  const names = Object.keys(doc.nodes ?? {});
  const order = [doc.start, ...names.filter((n) => n !== doc.start)].filter((n) => doc.nodes?.[n]);
  const newNode = (d) => {
    const name = freshName(d.nodes, 'menu');
    d.nodes[name] = { type: 'menu', prompt: ['press'], options: {} };
    return name;
  };
  let pending = false;
  const optsFor = (self) => ({
    queues,
    agents,
    nodeNames: names,
    otherNodes: names.filter((n) => n !== self && doc.nodes[n].type === 'menu'),
    // A branch that asks for a new sub-menu: the node is added by the same edit that points the branch to it.
    newNode: () => {
      pending = true;
      return freshName(doc.nodes, 'menu');
    },
  });
  const editNode = (name) => (fn) =>
    change((d) => {
      fn(d.nodes[name]);
      if (pending) {
        newNode(d);
        pending = false;
      }
    });
  const hasHours = names.some((n) => doc.nodes[n].type === 'hours');
  const addHours = () =>
    change((d) => {
      const name = d.nodes.hours ? freshName(d.nodes, 'hours') : 'hours';
      d.nodes[name] = {
        type: 'hours',
        weekly: {
          mon: ['08:00-17:30'],
          tue: ['08:00-17:30'],
          wed: ['08:00-17:30'],
          thu: ['08:00-17:30'],
          fri: ['08:00-17:30'],
        },
        open: { type: 'goto', node: d.start },
        closed: { type: 'hangup', prompt: ['closed'] },
      };
      d.start = name;
    });
  const remove = (name) =>
    change((d) => {
      const n = d.nodes[name];
      delete d.nodes[name];
      if (d.start === name)
        d.start = n.type === 'hours' && n.open?.type === 'goto' ? n.open.node : Object.keys(d.nodes)[0];
    });
  const lang = doc.language ?? 'vi';
  return html`<div class="flow-form">
    <section class="panel flow-general">
      <div class="row3">
        <label
          >${t('flowLanguage')}<select
            data-field="/language"
            value=${lang}
            onChange=${(e) => change((d) => (d.language = e.currentTarget.value))}
          >
            <option value="vi">Tiếng Việt</option>
            <option value="en">English</option>
          </select>
          <${FieldError} err=${err} path="/language"
        /></label>
        <${TextField}
          label=${t('timezone')}
          placeholder="Asia/Ho_Chi_Minh"
          value=${doc.timezone}
          onChange=${(v) => change((d) => put(d, 'timezone', v || undefined))}
          path="/timezone"
          err=${err}
        />
        <label
          >${t('startNode')}<select
            data-field="/start"
            value=${doc.start}
            onChange=${(e) => change((d) => (d.start = e.currentTarget.value))}
          >
            ${names.map((n) => html`<option value=${n}>${n}</option>`)}
          </select>
          <${FieldError} err=${err} path="/start"
        /></label>
      </div>
    </section>
    ${order.map((name) => {
      const node = doc.nodes[name];
      const Card = CARDS[node.type];
      return html`<section class="panel node-card" data-node=${name}>
        <div class="section-head">
          <h3>
            ${t(`node_${node.type}`)} · <span class="mono">${name}</span>
            ${name === doc.start && html` <span class="tag ok">${t('startTag')}</span>`}
          </h3>
          <button type="button" class="ghost danger remove-node" onClick=${() => remove(name)}>
            ${t('removeNode')}
          </button>
        </div>
        <${FieldError} err=${err} path=${`/nodes/${name}/type`} />
        ${Card ? html`<${Card} name=${name} node=${node} edit=${editNode(name)} err=${err} opts=${optsFor(name)} />` : html`<div class="muted">${t('editInJson')}</div>`}
      </section>`;
    })}
    <div class="toolbar">
      <button type="button" class="ghost add-menu" onClick=${() => change((d) => newNode(d))}>
        + ${t('newSubMenu')}
      </button>
      ${!hasHours && html`<button type="button" class="ghost add-hours" onClick=${addHours}>+ ${t('addHours')}</button>`}
    </div>
    <details class="panel prompt-list">
      <summary>${t('promptNames', { lang })}</summary>
      <dl>
        ${(prompts?.[lang] ?? []).map(
          (p) =>
            html`<div>
              <dt class="mono">${p.name}</dt>
              <dd>${p.text}</dd>
            </div>`,
        )}
      </dl>
    </details>
  </div>`;
}
