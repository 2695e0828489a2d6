// socket.io-client 2.x ships no types; this is the part of its API the tests use.
declare module 'socket.io-client-v2' {
  export interface V2Socket {
    readonly connected: boolean;
    on(event: string, listener: (...args: any[]) => void): V2Socket;
    once(event: string, listener: (...args: any[]) => void): V2Socket;
    emit(event: string, ...args: any[]): V2Socket;
    close(): V2Socket;
  }
  export default function io(url: string, opts?: Record<string, unknown>): V2Socket;
}
