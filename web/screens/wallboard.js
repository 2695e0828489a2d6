import { Component } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, can } from '../api.js';
import { duration, t } from '../i18n.js';
import { now, tv } from '../live.js';
import { useLive } from './use-live.js';
import { FormDialog, submitter, useAction } from './ui.js';
import { CallActions } from './live-actions.js';

/** green / amber / red for a figure against its thresholds. */
function level(value, th) {
  if (value === null || value === undefined) return '';
  if (th.higherIsBetter) return value >= th.green ? 'green' : value >= th.amber ? 'amber' : 'red';
  return value <= th.green ? 'green' : value <= th.amber ? 'amber' : 'red';
}

const pct = (v) => (v === null ? '—' : `${v}%`);

/** Today's queued callbacks of a queue: requested, then completed and failed (docs/ivr.md). */
function Callbacks({ c }) {
  const done = html`<span data-k="cb-completed">${c.completed}</span>`;
  const failed = html`<span data-k="cb-failed">${c.failed}</span>`;
  return html`<div title=${t('callbacksHint')}>
    <dt>${t('callbacks')}</dt>
    <dd data-k="callbacks">
      <span data-k="cb-offered">${c.offered}</span>${' '}<small class="cb-split"
        >✓ ${done} · ✗ ${failed}</small
      >
    </dd>
  </div>`;
}

function QueueTile({ q, th }) {
  const worst = [
    level(q.serviceLevelPct, th.serviceLevelPct),
    level(q.abandonRatePct, th.abandonRatePct),
    level(q.oldestWaitSec, th.oldestWaitSec),
  ];
  const tone = worst.includes('red') ? 'red' : worst.includes('amber') ? 'amber' : 'green';
  const a = q.agents;
  return html`<article class=${`tile ${tone}`} data-queue=${q.queueId}>
    <header>
      <h2>${q.name}</h2>
      <span class=${`badge ${tone}`}></span>
    </header>
    <div class="tile-main">
      <div class="big">
        <span class="num" data-k="waiting">${q.waiting}</span><span class="lbl">${t('waiting')}</span>
      </div>
      <div class=${`big ${level(q.oldestWaitSec, th.oldestWaitSec)}`}>
        <span class="num" data-k="oldest">${duration(q.oldestWaitSec)}</span
        ><span class="lbl">${t('oldestWait')}</span>
      </div>
    </div>
    <div class="agent-counts">
      ${[
        ['available', a.available],
        ['onCall', a.on_call],
        ['ringing', a.ringing],
        ['wrapup', a.wrapup],
        ['paused', a.paused],
        ['offline', a.offline],
      ].map(([k, v]) => html`<span class=${`pill p-${k}`}><b>${v}</b> ${t(k)}</span>`)}
    </div>
    <dl class="kpis">
      <div>
        <dt>${t('offered')}</dt>
        <dd data-k="offered">${q.offered}</dd>
      </div>
      <div>
        <dt>${t('answered')}</dt>
        <dd data-k="answered">${q.answered}</dd>
      </div>
      <div>
        <dt>${t('abandoned')}</dt>
        <dd data-k="abandoned">${q.abandoned}</dd>
      </div>
      <div class=${level(q.serviceLevelPct, th.serviceLevelPct)}>
        <dt>${t('serviceLevel')} <small>${t('within', { n: q.serviceLevelSec })}</small></dt>
        <dd>${pct(q.serviceLevelPct)}</dd>
      </div>
      <div>
        <dt>${t('asa')}</dt>
        <dd>${duration(q.asaSec)}</dd>
      </div>
      <div>
        <dt>${t('aht')}</dt>
        <dd>${duration(q.ahtSec)}</dd>
      </div>
      <div class=${level(q.abandonRatePct, th.abandonRatePct)}>
        <dt>${t('abandonRate')}</dt>
        <dd>${pct(q.abandonRatePct)}</dd>
      </div>
      ${q.callbacks && html`<${Callbacks} c=${q.callbacks} />`}
    </dl>
  </article>`;
}

const PRESENCE_KEY = {
  ready: 'available',
  in_call: 'onCall',
  ringing: 'ringing',
  wrapup: 'wrapup',
  not_ready: 'paused',
  offline: 'offline',
};

/** Time since `at`, ticking: only this text re-renders every second, not the card around it. */
const Since = ({ at }) => duration((now.value - at) / 1000);

/**
 * An agent card that re-renders only when what it shows changed (a refresh brings new objects for all 1,000 cards;
 * see bench/console). Language and the timers are signals, which update the inner components by themselves.
 */
class CardOf extends Component {
  shouldComponentUpdate(next) {
    return next.sig !== this.props.sig || next.onAct !== this.props.onAct;
  }
  render({ a, queues, onAct }) {
    return html`<${AgentCard} a=${a} queues=${queues} onAct=${onAct} />`;
  }
}

const cardSig = (a, queues) => {
  const c = a.currentCall;
  const q = c && queues.find((x) => x.queueId === c.queueId);
  return [a.name, a.extension, a.status, a.presence, a.since, a.callsToday, a.missedToday, a.talkSecToday]
    .concat(c ? [c.callId, c.caller, c.since, q?.name] : [])
    .join('|');
};

/** `onAct(call)`: open the live call's actions (supervisor, not in TV mode); without it the call is text only. */
export function AgentCard({ a, queues, onAct }) {
  const q = a.currentCall && queues.find((x) => x.queueId === a.currentCall.queueId);
  return html`<div class=${`agent-card s-${a.presence}`} data-agent=${a.agentId}>
    <div class="agent-top">
      <span class="avatar">${a.name.split(' ').slice(-1)[0][0]}</span>
      <div class="agent-id">
        <div class="agent-name">${a.name}</div>
        <div class="muted">${t('extension')} ${a.extension}</div>
      </div>
    </div>
    <div class="agent-status">
      <span class="dot"></span><span data-k="status">${a.status}</span>
      <span class="timer"><${Since} at=${a.since} /></span>
    </div>
    ${
      a.currentCall
        ? html`<div
            class=${`agent-call ${onAct ? 'actionable' : ''}`}
            role=${onAct ? 'button' : undefined}
            tabindex=${onAct ? 0 : undefined}
            onClick=${
              onAct &&
              (() =>
                onAct({
                  callId: a.currentCall.callId,
                  caller: a.currentCall.caller,
                  agentId: a.agentId,
                  agentName: a.name,
                  queueName: q?.name,
                }))
            }
          >
            ☏ ${a.currentCall.caller}${q ? ` · ${q.name}` : ''}${' · '}<${Since} at=${a.currentCall.since} />
          </div>`
        : html`<div class="agent-call muted">${t(PRESENCE_KEY[a.presence])}</div>`
    }
    <div class="agent-stats muted">
      ${t('callsToday')}: <span data-k="calls">${a.callsToday}</span>${' · '}<span
        class=${a.missedToday ? 'missed' : ''}
        >${t('missedOffers')}: <span data-k="missed">${a.missedToday}</span></span
      >${' · '}${t('talkTime')}: ${duration(a.talkSecToday)}
    </div>
  </div>`;
}

function Chart({ intervals }) {
  const ref = useRef();
  const plot = useRef();
  useEffect(() => {
    let cancelled = false;
    import('uplot').then(({ default: uPlot }) => {
      if (cancelled || !ref.current) return;
      const last = Math.max(4, Math.ceil((Date.now() % 86_400_000) / 900_000));
      const xs = intervals.slice(0, last).map((_, i) => i / 4);
      const data = [xs, intervals.slice(0, last)];
      const width = ref.current.clientWidth || 600;
      if (plot.current) {
        plot.current.setData(data);
        return;
      }
      plot.current = new uPlot(
        {
          width,
          height: 160,
          legend: { show: false },
          cursor: { show: false },
          scales: { x: { time: false } },
          axes: [
            {
              stroke: '#64748b',
              values: (_, v) =>
                v.map((h) => `${Math.floor(h)}:${String(Math.round((h % 1) * 60)).padStart(2, '0')}`),
            },
            { stroke: '#64748b', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
          ],
          series: [
            {},
            { stroke: '#0f766e', fill: 'rgba(15,118,110,0.25)', paths: uPlot.paths.bars({ size: [0.8] }) },
          ],
        },
        data,
        ref.current,
      );
    });
    return () => (cancelled = true);
  }, [intervals.join(',')]);
  return html`<div class="chart" ref=${ref}></div>`;
}

const FIGURES = [
  ['serviceLevelPct', 'serviceLevel', '%'],
  ['abandonRatePct', 'abandonRate', '%'],
  ['oldestWaitSec', 'oldestWait', 's'],
];

/** The tenant's tile thresholds (admin): green and amber limits per figure, persisted for the tenant. */
function ThresholdDialog({ th, onClose }) {
  const action = useAction();
  const submit = submitter(
    action.run,
    (f) =>
      api('/thresholds', {
        method: 'PUT',
        body: Object.fromEntries(
          FIGURES.map(([k]) => [k, { green: f[`${k}_green`], amber: f[`${k}_amber`] }]),
        ),
      }),
    onClose,
  );
  return html`<${FormDialog}
    title=${t('thresholds')}
    onClose=${onClose}
    formClass="thresholds"
    action=${action}
    onSubmit=${submit}
  >
    <div class="muted small">${t('thresholdsHint')}</div>
    ${FIGURES.map(
      ([k, label, unit]) =>
        html`<div class="row">
          <label
            >${t(label)} · ${t(th[k].higherIsBetter ? 'greenAtLeast' : 'greenAtMost')} (${unit})<input
              name=${`${k}_green`}
              type="number"
              min="0"
              step="any"
              required
              defaultValue=${th[k].green}
          /></label>
          <label
            >${t(label)} · ${t(th[k].higherIsBetter ? 'amberAtLeast' : 'amberAtMost')} (${unit})<input
              name=${`${k}_amber`}
              type="number"
              min="0"
              step="any"
              required
              defaultValue=${th[k].amber}
          /></label>
        </div>`,
    )}
  <//>`;
}

export function Wallboard() {
  const board = useLive(() => api('/wallboard'));
  const [queue, setQueue] = useState('');
  const [team, setTeam] = useState('');
  const [editing, setEditing] = useState(false);
  const [acting, setActing] = useState(null);
  if (!board) return html`<div class="muted">…</div>`;
  if (board.error) return html`<div class="alert">${board.error.message}</div>`;
  const th = board.thresholds;
  const agents = board.agents.filter(
    (a) => (!queue || a.queueIds.includes(Number(queue))) && (!team || a.teamIds.includes(Number(team))),
  );
  const act = tv.value ? undefined : setActing;
  const toggleTv = () => {
    tv.value = !tv.value;
    if (tv.value) document.documentElement.requestFullscreen?.().catch(() => undefined);
    else if (document.fullscreenElement) document.exitFullscreen();
  };
  return html`<div class="wallboard">
    ${editing && html`<${ThresholdDialog} th=${th} onClose=${() => setEditing(false)} />`}
    ${acting && html`<${CallActions} call=${acting} agents=${board.agents} queues=${board.queues} onClose=${() => setActing(null)} />`}
    <div class="toolbar">
      <select aria-label=${t('queue')} value=${queue} onChange=${(e) => setQueue(e.currentTarget.value)}>
        <option value="">${t('allQueues')}</option>
        ${board.queues.map((q) => html`<option value=${q.queueId}>${q.name}</option>`)}
      </select>
      <select
        class="team-filter"
        aria-label=${t('team')}
        value=${team}
        onChange=${(e) => setTeam(e.currentTarget.value)}
      >
        <option value="">${t('allTeams')}</option>
        ${board.teams.map((x) => html`<option value=${x.teamId}>${x.name}</option>`)}
      </select>
      ${!tv.value && html`<span class="muted small">${t('liveActionsHint')}</span>`}
      ${
        can('admin') &&
        !tv.value &&
        html`<button class="ghost edit-thresholds" onClick=${() => setEditing(true)}>
          ${t('thresholds')}
        </button>`
      }
      <button class="ghost tv-toggle" onClick=${toggleTv}>${tv.value ? t('exitTv') : t('tvMode')}</button>
    </div>
    <div class="tiles">
      ${board.queues.filter((q) => !queue || q.queueId === Number(queue)).map((q) => html`<${QueueTile} key=${q.queueId} q=${q} th=${th} />`)}
    </div>
    <div class="split">
      <section class="panel grow">
        <h3>${t('agentGrid')}</h3>
        <div class="agent-grid">
          ${agents.map(
            (a) =>
              html`<${CardOf}
                key=${a.agentId}
                sig=${cardSig(a, board.queues)}
                a=${a}
                queues=${board.queues}
                onAct=${act}
              />`,
          )}
        </div>
      </section>
      <section class="panel side">
        <h3>${t('waitingCalls')}</h3>
        ${
          board.waiting.length === 0
            ? html`<div class="muted empty">${t('noWaiting')}</div>`
            : html`<ol class="waiting">
                ${board.waiting.map(
                  (w) =>
                    html`<li
                      data-call=${w.callId}
                      class=${act ? 'actionable' : ''}
                      onClick=${
                        act &&
                        (() =>
                          act({
                            callId: w.callId,
                            caller: w.callerNumber,
                            queueName: board.queues.find((q) => q.queueId === w.queueId)?.name,
                          }))
                      }
                    >
                      <span class="pos">${w.position}</span><span class="caller">${w.callerNumber}</span>
                      <span class="muted"
                        >${board.queues.find((q) => q.queueId === w.queueId)?.name ?? ''}</span
                      >
                      <span class="timer">${duration((now.value - w.enteredAt) / 1000)}</span>
                    </li>`,
                )}
              </ol>`
        }
        <h3>${t('callsPer15')}</h3>
        <${Chart} intervals=${board.intervals} />
      </section>
    </div>
  </div>`;
}
