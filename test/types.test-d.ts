import { expectTypeOf, test } from 'vitest';
import { DIAGNOSTICS_CHANNELS, RtmsClient, RtmsError, type AudioFrame, type ReconnectMessage, type RtmsSession, type SessionEnd, type SessionState, type TranscriptEvent } from '../src/index.js';

test('session events are typed', () => {
  const client = new RtmsClient({ clientId: 'i', clientSecret: 's', webhookSecretToken: 't' });
  client.on('session', (session) => {
    expectTypeOf(session).toEqualTypeOf<RtmsSession>();
    session.on('transcript', (t) => {
      expectTypeOf(t).toEqualTypeOf<TranscriptEvent>();
      expectTypeOf(t.text).toBeString();
    });
    session.on('audio', (a) => expectTypeOf(a.data).toEqualTypeOf<Buffer>());
    session.on('rawMedia', (f) => {
      expectTypeOf(f.base64).toBeString();
      // @ts-expect-error raw frames carry no decoded bytes
      void f.data;
      if (f.kind === 'audio') expectTypeOf(f.format.sampleRate).toBeNumber();
      else expectTypeOf(f.format.fps).toBeNumber(); // narrowed to video/share by `kind`
    });
    session.on('state', (state, previous) => {
      expectTypeOf(state).toEqualTypeOf<SessionState>();
      expectTypeOf(previous).toEqualTypeOf<SessionState>();
    });
    session.on('error', (err) => expectTypeOf(err).toEqualTypeOf<RtmsError>());
    session.on('closed', (end) => expectTypeOf(end).toEqualTypeOf<SessionEnd>());
    // @ts-expect-error misspelt event names do not type-check
    session.on('transcripts', () => undefined);
    // @ts-expect-error listener argument types are checked
    session.on('audio', (a: TranscriptEvent) => a);
    expectTypeOf<Parameters<typeof session.stop>[0]>().toEqualTypeOf<{ closeStream?: boolean; timeoutMs?: number; signal?: AbortSignal } | undefined>();
  });
  // @ts-expect-error unknown client event
  client.on('sesion', () => undefined);
  expectTypeOf(client.handleWebhook).returns.resolves.toHaveProperty('status');
  const frame = {} as AudioFrame;
  expectTypeOf(frame.format.sampleRate).toBeNumber();
});

test('operations API types', () => {
  const client = {} as RtmsClient;
  const stats = client.stats();
  expectTypeOf(stats.sessions.streaming).toBeNumber();
  expectTypeOf(stats.webhooks.rejectedByCode.RTMS_WEBHOOK_SIGNATURE_INVALID).toEqualTypeOf<number | undefined>();
  expectTypeOf(stats.totals.media.audio.bytes).toBeNumber();
  const s = {} as RtmsSession;
  expectTypeOf(s.stats().lastFrameAgeMs).toEqualTypeOf<number | undefined>();
  expectTypeOf(s.stats().media.transcript.frames).toBeNumber();
  // @ts-expect-error only the five media kinds
  void s.stats().media.rawMedia;
  expectTypeOf(client.health().status).toEqualTypeOf<'ok' | 'degraded' | 'unavailable'>();
  expectTypeOf(client.healthResponse()).toHaveProperty('status');
  expectTypeOf(client.fetchHandler()).toEqualTypeOf<(request: Request) => Promise<Response>>();
  expectTypeOf(DIAGNOSTICS_CHANNELS.sessionState).toEqualTypeOf<'rtms-client:session:state'>();
  const m = {} as ReconnectMessage;
  if (m.phase === 'reconnected') expectTypeOf(m.downtimeMs).toBeNumber();
  else expectTypeOf(m.code).toEqualTypeOf<RtmsError['code']>();
});
