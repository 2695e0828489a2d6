import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { VoicemailStore } from '../domain/call-store.js';
import type { EventBus } from '../domain/events.js';
import type { RecordingResult } from '../media/recorder.js';
import type { Call } from './call.js';
import { ensureBeep } from './ringback.js';

/** What taking a voicemail uses: its rows, the bus, the clock (the length limit), where the beep lives. */
export interface VoicemailDeps {
  store: VoicemailStore;
  bus: Pick<EventBus, 'publish'>;
  clock: Clock;
  dataDir: string;
  logger: Logger;
}

/** How a recording stopped: the caller hung up, pressed #, or reached the branch's length limit. */
export type VoicemailEnd = 'hangup' | 'pound' | 'max_length';

/**
 * Voicemail as an IVR branch (docs/ivr.md "Voicemail"): after the greeting the caller hears a beep and is recorded
 * until they hang up, press # (RFC 4733 or SIP INFO) or reach `maxSec`; the file is a recording like a call's
 * (same pipeline, storage and signed links) and the voicemail row and `voicemail.left` event follow. A caller
 * still on the line hears goodbye and is hung up.
 */
export class Voicemails {
  constructor(private readonly d: VoicemailDeps) {}

  async take(
    call: Call,
    o: {
      mailbox: string | null;
      maxSec: number;
      play: (files: string[]) => Promise<void>;
      goodbye: () => Promise<void>;
    },
  ): Promise<void> {
    await o.play([ensureBeep(this.d.dataDir)]);
    if (call.ended) return;
    const rec = await this.d.store.openVoicemail(call.tenantId, call.callId);
    const leg = call.ended ? null : call.a.media.endpoint.recordInbound(rec.path);
    if (!leg) {
      // The media engine logged why; the open recording row is closed by the next start's repair.
      if (!call.ended)
        call.end('NORMAL_TEMPORARY_FAILURE', 'system', { reason: 'IVR: voicemail not recorded' });
      return;
    }
    const how = await this.until(call, o.maxSec);
    const result = await leg.stop();
    const id = await this.d.store.saveVoicemail(call.tenantId, this.row(call, o.mailbox, rec.id, result));
    this.d.logger.info(
      { callId: call.callId, voicemailId: id, how, ms: result.durationMs },
      'voicemail left',
    );
    this.d.bus.publish(call.tenantId, 'voicemail.left', {
      voicemailId: id,
      callId: call.callId,
      callerNumber: call.record.start.callerNumber,
      mailbox: o.mailbox,
      durationMs: result.durationMs,
      recordingName: rec.name,
      at: this.d.clock.now(),
    });
    if (call.ended) return;
    await o.goodbye();
    if (!call.ended) call.end('NORMAL_CLEARING', 'system', { reason: 'IVR: voicemail left' });
  }

  /** Wait for the end of the message: the caller's hang-up, their #, or the length limit on the injected clock. */
  private until(call: Call, maxSec: number): Promise<VoicemailEnd> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (how: VoicemailEnd) => {
        if (done) return;
        done = true;
        this.d.clock.clearTimeout(timer);
        call.listenDigits(null);
        resolve(how);
      };
      const timer = this.d.clock.setTimeout(() => finish('max_length'), maxSec * 1000);
      call.onEnd(() => finish('hangup'));
      call.listenDigits((digit) => digit === '#' && finish('pound'));
      if (call.ended) finish('hangup');
    });
  }

  private row(call: Call, mailbox: string | null, recordingId: number, r: RecordingResult) {
    return {
      recordingId,
      callId: call.callId,
      mailbox,
      callerNumber: call.record.start.callerNumber,
      durationMs: r.durationMs,
      sizeBytes: r.sizeBytes,
    };
  }
}
