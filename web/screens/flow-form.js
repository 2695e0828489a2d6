import { html } from '../html.js';
import { t } from '../i18n.js';
import {
  ActionEditor,
  DIGITS,
  FieldError,
  ListField,
  NumberField,
  TextField,
  WEEKDAYS,
  actionOf,
  put,
} from './flow-fields.js';

/**
 * The structured form of an IVR flow (docs/ivr.md): the document itself is the form's state, so whatever the form
 * does not show (skills on a queue branch, onError, play nodes' extras) survives an edit untouched. Every field
 * knows its JSON pointer; a server error whose `path` points at it is shown beside it.
 */

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
