import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { t } from '../i18n.js';
import { liveTick } from '../live.js';

/** A modal dialog: a title, a body and (optionally) a form's submit. Escape or the backdrop closes it. */
export function Modal({ title, onClose, children, wide }) {
  return html`<div
    class="backdrop"
    onClick=${(e) => e.target === e.currentTarget && onClose()}
    onKeyDown=${(e) => e.key === 'Escape' && onClose()}
  >
    <div class=${`modal ${wide ? 'wide' : ''}`} role="dialog" aria-modal="true" aria-label=${title}>
      <header>
        <h2>${title}</h2>
        <button class="ghost close" aria-label=${t('close')} onClick=${onClose}>×</button>
      </header>
      ${children}
    </div>
  </div>`;
}

/** A secret shown once (key, password, token): selectable text and a copy button. */
export function Secret({ label, value }) {
  const [copied, setCopied] = useState(false);
  const copy = () =>
    navigator.clipboard?.writeText(value).then(
      () => setCopied(true),
      () => undefined,
    );
  return html`<div class="secret">
    <div class="muted small">${label}</div>
    <code data-secret>${value}</code>
    <button type="button" class="ghost" onClick=${copy}>${copied ? t('copied') : t('copy')}</button>
  </div>`;
}

/** The "shown once" box listing several secrets, with the warning. */
export function ShownOnce({ items, onClose }) {
  return html`<div class="shown-once" role="status">
    <div class="warn">${t('shownOnce')}</div>
    ${items.map(([label, value]) => html`<${Secret} label=${label} value=${value} />`)}
    ${onClose && html`<button class="primary" onClick=${onClose}>${t('done')}</button>`}
  </div>`;
}

/**
 * Run an API write, then refresh the live screens; errors land in the returned `error` for an alert.
 * `run(promise)` resolves to the result, or undefined after an error.
 */
export function useAction() {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (p) => {
    setBusy(true);
    setError('');
    try {
      const r = await p;
      liveTick.value++;
      return r;
    } catch (e) {
      setError(e.message);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run, setError };
}

export const Alert = ({ error }) => error && html`<div class="alert" role="alert">${error}</div>`;

/** Read a form's fields into an object (checkboxes as booleans, number inputs as numbers or null). */
export function formData(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'number') out[el.name] = el.value === '' ? null : Number(el.value);
    else out[el.name] = el.value;
  }
  return out;
}

/**
 * A form's submit handler: reads its fields (formData), runs `send(fields, form)` (an API promise) through an
 * action's `run`, then `after(result, form)` once it succeeded (close a dialog, reset the form, show a secret).
 */
export const submitter = (run, send, after) => async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const r = await run(send(formData(form), form));
  if (r !== undefined) after?.(r, form);
};

/** `after` for a form that stays on the page: empty it. */
export const resetForm = (_r, form) => form.reset();

/**
 * A dialog holding one form: the fields (children), the action's error, and the actions row (`extra` buttons on
 * the left, Cancel and the submit button on the right; no submit button without `onSubmit`).
 */
export function FormDialog({
  title,
  onClose,
  wide,
  formClass = '',
  action,
  onSubmit,
  submitLabel,
  extra,
  children,
}) {
  return html`<${Modal} title=${title} onClose=${onClose} wide=${wide}>
    <form class=${`form ${formClass}`} onSubmit=${onSubmit ?? ((e) => e.preventDefault())}>
      ${children}
      <${Alert} error=${action.error} />
      <div class="actions">
        ${extra}${extra && html`<span class="spacer"></span>`}
        <button type="button" class="ghost" onClick=${onClose}>${t('cancel')}</button>
        ${
          onSubmit &&
          html`<button class="primary" type="submit" disabled=${action.busy}>
            ${submitLabel ?? t('save')}
          </button>`
        }
      </div>
    </form>
  <//>`;
}

/**
 * Memberships with a priority each (an agent's queues, a queue's agents): one row per item with a member checkbox
 * and a 1–100 priority. `value` is [{id, priority}]; `onChange` gets the new list. Rows carry `data-<rowKey>`.
 */
export function PriorityPicker({ heading, rowKey, items, value, onChange }) {
  const byId = new Map(value.map((m) => [m.id, m.priority]));
  const set = (id, priority) => {
    const rest = value.filter((m) => m.id !== id);
    onChange(
      priority === null
        ? rest
        : value.some((m) => m.id === id)
          ? value.map((m) => (m.id === id ? { id, priority } : m))
          : [...rest, { id, priority }],
    );
  };
  return html`<div class="members">
    <table class="grid">
      <thead>
        <tr>
          <th>${heading}</th>
          <th class="center">${t('member')}</th>
          <th>${t('priority')}</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (x) =>
            html`<tr ...${{ [`data-${rowKey}`]: x.id }}>
              <td>${x.name}${x.sub && html` <span class="muted small">${x.sub}</span>`}</td>
              <td class="center">
                <input
                  type="checkbox"
                  aria-label=${`${t('member')} ${x.name}`}
                  checked=${byId.has(x.id)}
                  onChange=${(e) => set(x.id, e.currentTarget.checked ? 1 : null)}
                />
              </td>
              <td>
                <input
                  type="number"
                  min="1"
                  max="100"
                  aria-label=${`${t('priority')} ${x.name}`}
                  disabled=${!byId.has(x.id)}
                  value=${byId.get(x.id) ?? ''}
                  onInput=${(e) => set(x.id, Math.max(1, Math.min(100, Number(e.currentTarget.value) || 1)))}
                />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** A plain data table: the column headings, then the rows (`<tr>`s the caller renders). */
export const Grid = ({ head, rows }) =>
  html`<table class="grid">
    <thead>
      <tr>
        ${head.map((h) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
