/**
 * Workarounds for werift 0.24's DTLS client (the side tongdai plays when it answers a browser's offer: werift
 * answers `a=setup:active`).
 *
 * werift's client answers the server's HelloVerifyRequest with `Flight3.exec`, which throws a bare `Error()` when
 * flight 3 has already started. A second HelloVerifyRequest is normal: the client retransmits its first
 * ClientHello when the server's answer takes over 500 ms (a burst of handshakes on a loaded host), and a server
 * answers each ClientHello with a HelloVerifyRequest (RFC 6347 §4.2.1; werift's server does, with the same
 * cookie). The throw fails tongdai's DTLS transport for good while the handshake itself goes on: the browser's
 * server side completes, says `connected` and sends SRTP that tongdai, without keys, drops. Measured in
 * bench/media/webrtc.ts: 1–10 of 100 legs at load 5–13, every one with tongdai's DTLS `failed` in this throw.
 */
import type { RTCDtlsTransport } from 'werift';

/** TLS HandshakeType hello_verify_request (RFC 6347 §4.2.1). */
const HELLO_VERIFY_REQUEST = 3;
/** werift's client flight numbers: 1 = first ClientHello sent, 3 = ClientHello with the cookie sent. */
const FIRST_CLIENT_HELLO = 1;

/**
 * Guard `t`'s DTLS socket as soon as werift creates it (`start()`, right after the state turns `connecting`):
 * HelloVerifyRequests after the first are dropped (flight 3 retransmits on its own timer, so nothing is lost);
 * `on.failure` hears why the handshake failed, which werift keeps to its debug log; `on.dropped` each
 * HelloVerifyRequest dropped.
 */
export function guardDtls(t: RTCDtlsTransport, on: { failure(reason: string): void; dropped(): void }): void {
  const guard = () => {
    const socket = t.dtls;
    if (!socket || guarded.has(socket)) return;
    guarded.add(socket);
    socket.onError.once((e: unknown) => on.failure(reason(e)));
    if (t.role !== 'client') return;
    const handle = socket.onHandleHandshakes;
    socket.onHandleHandshakes = (assembled) => {
      if (socket.dtls.flight === FIRST_CLIENT_HELLO) return handle(assembled);
      const rest = assembled.filter((h) => h.msg_type !== HELLO_VERIFY_REQUEST);
      if (rest.length < assembled.length) on.dropped();
      return handle(rest);
    };
  };
  guard();
  // werift assigns `t.dtls` synchronously after emitting `connecting`, so a microtask later it is there, before
  // any datagram of the handshake can be read.
  t.onStateChange.subscribe((s) => {
    if (s === 'connecting') queueMicrotask(guard);
  });
}

const guarded = new WeakSet<object>();

/** werift's handshake errors are often a bare `Error()`: then the frame that threw says more than the message. */
function reason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.message) return e.message;
  const frame = e.stack?.split('\n')[1]?.trim();
  return frame ? `Error ${frame}` : 'Error';
}
