import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { dateTime, duration, t } from '../i18n.js';
import { useLive } from './use-live.js';

const day = (ms) => new Date(ms).toISOString().slice(0, 10);

export function CallTable({ calls, onPlay }) {
  if (calls.length === 0) return html`<div class="muted empty">${t('noCalls')}</div>`;
  return html`<table class="grid">
    <thead>
      <tr>
        <th>${t('time')}</th>
        <th>${t('direction')}</th>
        <th>${t('caller')}</th>
        <th>${t('callee')}</th>
        <th>${t('agent')}</th>
        <th>${t('outcome')}</th>
        <th>${t('duration')}</th>
        ${onPlay && html`<th>${t('recording')}</th>`}
      </tr>
    </thead>
    <tbody>
      ${calls.map(
        (c) =>
          html`<tr data-call=${c.call_id}>
            <td class="mono small">${dateTime(c.created_at)}</td>
            <td>${t(c.direction)}</td>
            <td class="mono">${c.caller}</td>
            <td class="mono">${c.callee}</td>
            <td>${c.agent ?? '—'}</td>
            <td>
              ${
                c.ended_at === null
                  ? html`<span class="tag live">${t('live')}</span>`
                  : c.answered_at
                    ? html`<span class="tag ok">${t('answered')}</span>`
                    : html`<span class="tag bad">${t('missed')}</span>`
              }
            </td>
            <td class="mono">${duration(c.duration_sec)}</td>
            ${onPlay && html`<td>${c.has_recording ? html`<button class="ghost" onClick=${() => onPlay(c)}>▶ ${t('play')}</button>` : '—'}</td>`}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function Calls() {
  const today = day(Date.now());
  const [f, setF] = useState({
    from: day(Date.now() - 6 * 86_400_000),
    to: today,
    number: '',
    direction: '',
    outcome: '',
  });
  const [applied, setApplied] = useState(f);
  const [page, setPage] = useState(1);
  const [audio, setAudio] = useState(null);
  const qs = new URLSearchParams(
    Object.entries({ ...applied, page }).filter(([, v]) => v !== '' && v !== undefined),
  );
  const data = useLive(() => api(`/calls?${qs}`), [qs.toString()]);
  const csv = new URLSearchParams(Object.entries(applied).filter(([, v]) => v !== ''));
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const play = async (c) => {
    const r = await api(`/calls/${encodeURIComponent(c.call_id)}/recording`);
    setAudio({ url: r.url, call: c });
  };
  return html`<div>
    <form class="filters panel" onSubmit=${(e) => (e.preventDefault(), setPage(1), setApplied(f))}>
      <label>${t('from')}<input type="date" value=${f.from} onInput=${set('from')} /></label>
      <label>${t('to')}<input type="date" value=${f.to} onInput=${set('to')} /></label>
      <label
        >${t('number')}<input
          name="number"
          inputmode="tel"
          placeholder="090…"
          value=${f.number}
          onInput=${set('number')}
      /></label>
      <label
        >${t('direction')}<select value=${f.direction} onChange=${set('direction')}>
          <option value="">${t('any')}</option>
          <option value="inbound">${t('inbound')}</option>
          <option value="outbound">${t('outbound')}</option>
          <option value="internal">${t('internal')}</option>
        </select></label
      >
      <label
        >${t('outcome')}<select value=${f.outcome} onChange=${set('outcome')}>
          <option value="">${t('any')}</option>
          <option value="answered">${t('answered')}</option>
          <option value="missed">${t('missed')}</option>
        </select></label
      >
      <button class="primary" type="submit">${t('search')}</button>
      <a class="button ghost" href=${`/console/api/calls.csv?${csv}`} download="calls.csv"
        >${t('exportCsv')}</a
      >
    </form>
    ${
      audio &&
      html`<div class="panel player">
        <span>${t('recording')} · ${audio.call.caller} → ${audio.call.callee}</span>
        <audio controls autoplay src=${audio.url}></audio>
      </div>`
    }
    <div class="panel">
      ${
        !data
          ? html`<div class="muted">…</div>`
          : data.error
            ? html`<div class="alert">${data.error.message}</div>`
            : html`<div class="muted small">${t('total')}: <b data-k="total">${data.total}</b></div>
                <${CallTable} calls=${data.calls} onPlay=${play} />
                <div class="pager">
                  <button class="ghost" disabled=${page <= 1} onClick=${() => setPage(page - 1)}>
                    ${t('prev')}
                  </button>
                  <span>${page} / ${Math.max(1, Math.ceil(data.total / data.page_size))}</span>
                  <button
                    class="ghost"
                    disabled=${page * data.page_size >= data.total}
                    onClick=${() => setPage(page + 1)}
                  >
                    ${t('next')}
                  </button>
                </div>`
      }
    </div>
  </div>`;
}
