import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, can } from '../api.js';
import { dateTime, t } from '../i18n.js';
import { useLive } from './use-live.js';
import { Alert, Grid, useAction } from './ui.js';
import { FlowForm } from './flow-form.js';

/** A new flow: a greeting menu with one key, in the tenant's first queue. */
const starter = (queues) => ({
  language: 'vi',
  timezone: 'Asia/Ho_Chi_Minh',
  start: 'main',
  nodes: {
    main: {
      type: 'menu',
      prompt: ['welcome', 'press', '1', 'for', 'support'],
      options: { 1: { type: 'queue', queueId: queues[0]?.queue_id ?? 1 } },
      timeoutSec: 5,
      maxRetries: 2,
    },
  },
});

/** Versions, newest first: which one new calls get, and any one's document to read or load back. */
function Versions({ flow, onLoad }) {
  const data = useLive(() => api(`/ivr/flows/${flow.id}/versions`), [flow.id, flow.current_version]);
  const [shown, setShown] = useState(null);
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<${Alert} error=${data.error.message} />`;
  const view = async (v) => setShown(await api(`/ivr/flows/${flow.id}?version=${v}`));
  return html`<div class="versions">
    <p class="muted small">${t('versionsHint')}</p>
    <${Grid}
      head=${[t('version'), t('savedAt'), '']}
      rows=${data.versions.map(
        (v) =>
          html`<tr data-version=${v.version} class=${shown?.version === v.version ? 'selected' : ''}>
            <td class="strong">
              v${v.version}
              ${v.version === flow.current_version && html` <span class="tag ok">${t('currentVersion')}</span>`}
            </td>
            <td class="small">${dateTime(v.created_at)}</td>
            <td>
              <button type="button" class="ghost view" onClick=${() => view(v.version)}>${t('view')}</button>
            </td>
          </tr>`,
      )}
    />
    ${
      shown &&
      html`<div class="version-doc">
        <div class="section-head">
          <h3>v${shown.version}</h3>
          ${can('admin') && html`<button type="button" class="ghost load" onClick=${() => onLoad(shown.flow)}>${t('loadIntoEditor')}</button>`}
        </div>
        <pre class="json">${JSON.stringify(shown.flow, null, 2)}</pre>
      </div>`
    }
  </div>`;
}

/** The numbers routed to a flow, and (admins) pointing another of the tenant's numbers to it. */
function FlowNumbers({ flow, numbers, flows, queues, onChanged }) {
  const { error, busy, run } = useAction();
  const [pick, setPick] = useState('');
  const flowName = new Map(flows.map((f) => [f.id, f.name]));
  const queueName = new Map(queues.map((q) => [q.queue_id, q.name]));
  const target = (n) =>
    n.targetType === 'ivr'
      ? `${t('flow')}: ${flowName.get(n.targetId) ?? n.targetId}`
      : n.targetType === 'queue'
        ? `${t('queue')}: ${queueName.get(n.targetId) ?? n.targetId}`
        : `${t('agent')}: ${n.targetId}`;
  const others = (numbers ?? []).filter((n) => !flow.numbers.includes(n.number));
  const assign = async () => {
    const r = await run(
      api(`/ivr/numbers/${encodeURIComponent(pick)}`, { method: 'PUT', body: { flow_id: flow.id } }),
    );
    if (r) {
      setPick('');
      onChanged();
    }
  };
  return html`<div class="flow-numbers">
    <span class="muted small">${t('numbersRouted')}</span>
    <div class="chips">
      ${flow.numbers.length ? flow.numbers.map((n) => html`<span class="tag live mono" data-number=${n}>${n}</span>`) : html`<span class="muted">—</span>`}
    </div>
    ${
      numbers &&
      html`<select class="assign-number" value=${pick} onChange=${(e) => setPick(e.currentTarget.value)}>
          <option value="">${t('pickNumber')}</option>
          ${others.map((n) => html`<option value=${n.number}>${n.number} (${target(n)})</option>`)}
        </select>
        <button type="button" class="assign" disabled=${!pick || busy} onClick=${assign}>
          ${t('assignNumber')}
        </button>`
    }
    <${Alert} error=${error} />
  </div>`;
}

/** The editor of one flow (or a new one): the form, the raw JSON, the versions. Saving stores a new version. */
function FlowEditor({ initial, refs, onSaved, onClose }) {
  const admin = can('admin');
  const [flow, setFlow] = useState(initial.id ? initial : null);
  const [name, setName] = useState(initial.name ?? '');
  const [doc, setDoc] = useState(initial.flow);
  const [tab, setTab] = useState('form');
  const [json, setJson] = useState('');
  const [jsonError, setJsonError] = useState('');
  const [err, setErr] = useState(null);
  const [saved, setSaved] = useState(0);
  const { busy, run } = useAction();
  const switchTo = (next) => {
    if (tab === 'json' && jsonError) return;
    if (next === 'json') setJson(JSON.stringify(doc, null, 2));
    setTab(next);
  };
  const typed = (text) => {
    setJson(text);
    try {
      setDoc(JSON.parse(text));
      setJsonError('');
    } catch (e) {
      setJsonError(e.message);
    }
  };
  const save = async (e) => {
    e.preventDefault();
    if (tab === 'json' && jsonError) return;
    setErr(null);
    setSaved(0);
    const body = { name, flow: doc };
    const r = await run(
      (flow
        ? api(`/ivr/flows/${flow.id}`, { method: 'PUT', body })
        : api('/ivr/flows', { method: 'POST', body })
      ).catch((x) => {
        setErr({ path: x.path ?? '', message: x.message });
        throw x;
      }),
    );
    if (!r) return;
    setFlow(r);
    setDoc(r.flow);
    if (tab === 'json') setJson(JSON.stringify(r.flow, null, 2));
    setSaved(r.current_version);
    onSaved(r);
  };
  const reload = async () => setFlow(await api(`/ivr/flows/${flow.id}`));
  const tabs = ['form', 'json', ...(flow ? ['versions'] : [])];
  return html`<form class="flow-editor" onSubmit=${save} novalidate>
    <div class="panel editor-head">
      <button type="button" class="ghost back" onClick=${onClose}>← ${t('allFlows')}</button>
      <label class="grow"
        >${t('flowName')}<input
          name="name"
          required
          maxlength="100"
          value=${name}
          disabled=${!admin}
          onInput=${(e) => setName(e.currentTarget.value)}
      /></label>
      ${flow && html`<span class="tag version-tag">v${flow.current_version}</span>`}
      ${admin && html`<button class="primary save" type="submit" disabled=${busy}>${flow ? t('saveVersion') : t('createFlow')}</button>`}
    </div>
    ${flow && html`<div class="panel"><${FlowNumbers} flow=${flow} ...${refs} onChanged=${reload} /></div>`}
    ${saved > 0 && html`<div class="notice" role="status">${t('savedVersion', { n: saved })}</div>`}
    ${
      err &&
      html`<div class="alert" role="alert">
        ${err.path && html`<code class="err-path">${err.path}</code> `}${err.message.replace(`${err.path}: `, '')}
      </div>`
    }
    <div class="tabs" role="tablist">
      ${tabs.map(
        (x) =>
          html`<button
            type="button"
            role="tab"
            aria-selected=${tab === x}
            class=${`tab tab-${x} ${tab === x ? 'on' : ''}`}
            onClick=${() => switchTo(x)}
          >
            ${t(`tab_${x}`)}
          </button>`,
      )}
    </div>
    <fieldset class="flow-body" disabled=${!admin && tab !== 'versions'}>
      ${tab === 'form' && html`<${FlowForm} doc=${doc} setDoc=${setDoc} err=${err} ...${refs} />`}
      ${
        tab === 'json' &&
        html`<div class="panel">
          <p class="muted small">${t('jsonHint')}</p>
          <textarea
            class="json-edit"
            spellcheck="false"
            value=${json}
            onInput=${(e) => typed(e.currentTarget.value)}
          ></textarea>
          ${jsonError && html`<small class="field-error">${jsonError}</small>`}
        </div>`
      }
    </fieldset>
    ${
      tab === 'versions' &&
      html`<${Versions}
        flow=${flow}
        onLoad=${(d) => {
          setDoc(d);
          setTab('form');
        }}
      />`
    }
  </form>`;
}

/** IVR flows: the list (name, current version, numbers routed to each), and the editor. */
export function Flows() {
  const admin = can('admin');
  const [open, setOpen] = useState(null);
  // Read again on the way back from the editor: the API or another admin may have changed the list meanwhile.
  const data = useLive(
    () =>
      Promise.all([
        api('/ivr/flows'),
        api('/queues'),
        api('/agents'),
        api('/ivr/prompts'),
        admin ? api('/numbers') : Promise.resolve(null),
      ]),
    [open === null],
  );
  const { error, run } = useAction();
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const [{ flows }, { queues }, { agents }, prompts, nums] = data;
  const refs = {
    queues,
    agents: agents.filter((a) => a.active),
    prompts,
    flows,
    numbers: nums?.numbers ?? null,
  };
  if (open)
    return html`<${FlowEditor}
      key=${open.id ?? 'new'}
      initial=${open}
      refs=${refs}
      onSaved=${() => undefined}
      onClose=${() => setOpen(null)}
    />`;
  const edit = async (f) => setOpen(await api(`/ivr/flows/${f.id}`));
  return html`<div class="panel flows">
    <${Alert} error=${error} />
    <div class="section-head">
      <h3>${t('ivrFlows')}</h3>
      ${admin && html`<button class="primary new-flow" onClick=${() => setOpen({ name: '', flow: starter(queues) })}>+ ${t('newFlow')}</button>`}
    </div>
    ${
      flows.length === 0
        ? html`<div class="muted empty">${t('noFlows')}</div>`
        : html`<${Grid}
            head=${[t('name'), t('currentVersion'), t('numbersRouted'), t('updated'), '']}
            rows=${flows.map(
              (f) =>
                html`<tr data-flow=${f.name}>
                  <td class="strong">${f.name}</td>
                  <td>v${f.current_version}</td>
                  <td>
                    <div class="chips">
                      ${f.numbers.length ? f.numbers.map((n) => html`<span class="tag mono">${n}</span>`) : '—'}
                    </div>
                  </td>
                  <td class="small">${dateTime(f.updated_at)}</td>
                  <td>
                    <button class="ghost edit" onClick=${() => edit(f)}>
                      ${admin ? t('edit') : t('view')}
                    </button>
                    ${admin && html`<button class="ghost danger delete" onClick=${() => run(api(`/ivr/flows/${f.id}`, { method: 'DELETE' }))}>${t('delete')}</button>`}
                  </td>
                </tr>`,
            )}
          />`
    }
  </div>`;
}
