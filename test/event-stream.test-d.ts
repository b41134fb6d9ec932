/**
 * Types of the event WebSocket surface: the client's event-stream events and their payloads, connectEvents' options
 * and result, the events-only option, the coordinator's election and offer seam, and the conformance run's events
 * mode. A misspelt event name or a wrong payload type must not type-check.
 */
import { expectTypeOf, test } from 'vitest';
import {
  RtmsClient,
  RtmsError,
  RtmsEventStream,
  type EventStreamConnected,
  type EventStreamDisconnected,
  type EventStreamEnd,
  type EventStreamLeadership,
  type EventStreamState,
  type LeaderElection,
  type OfferOutcome,
  type StreamCoordinator,
} from '../src/index.js';
import { RedisCoordinator } from '../src/redis/index.js';
import { runConformance, type ConformanceEventEndpoints, type ConformanceReport } from '../src/testing/index.js';

test('event-stream client events: names and payloads', () => {
  const client = new RtmsClient({ clientId: 'i', clientSecret: 's', eventsOnly: true });
  client.on('eventStreamConnected', (info) => {
    expectTypeOf(info).toEqualTypeOf<EventStreamConnected>();
    expectTypeOf(info.url).toBeString();
    expectTypeOf(info.reconnects).toBeNumber();
    expectTypeOf(info.rotated).toBeBoolean();
  });
  client.on('eventStreamDisconnected', (info) => {
    expectTypeOf(info).toEqualTypeOf<EventStreamDisconnected>();
    expectTypeOf(info.error).toEqualTypeOf<RtmsError>();
    expectTypeOf(info.retryInMs).toBeNumber();
    expectTypeOf(info.attempt).toBeNumber();
  });
  client.on('eventStreamLeadership', (info) => {
    expectTypeOf(info).toEqualTypeOf<EventStreamLeadership>();
    expectTypeOf(info.leader).toBeBoolean();
    expectTypeOf(info.epoch).toEqualTypeOf<number | undefined>();
  });
  // @ts-expect-error misspelt event name
  client.on('eventStreamConnect', () => undefined);
  // @ts-expect-error misspelt event name
  client.on('eventStreamDisconnect', () => undefined);
  // @ts-expect-error misspelt event name
  client.on('eventStreamLeader', () => undefined);
  // @ts-expect-error the payload is EventStreamConnected, not a string
  client.on('eventStreamConnected', (info: string) => info);
  // @ts-expect-error the payload is EventStreamDisconnected
  client.on('eventStreamDisconnected', (info: EventStreamConnected) => info);
});

test('connectEvents options and result', () => {
  const client = {} as RtmsClient;
  const stream = client.connectEvents({ url: 'wss://ws.zoom.us/ws?subscriptionId=x', tokenUrl: 'https://zoom.us/oauth/token', heartbeatMs: 30_000 });
  expectTypeOf(stream).toEqualTypeOf<RtmsEventStream>();
  expectTypeOf(stream.state).toEqualTypeOf<EventStreamState>();
  expectTypeOf<EventStreamState>().toEqualTypeOf<'standby' | 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed'>();
  expectTypeOf(stream.closed()).resolves.toEqualTypeOf<EventStreamEnd>();
  expectTypeOf(stream.close()).resolves.toBeVoid();
  // @ts-expect-error url is required
  client.connectEvents({ tokenUrl: 'https://zoom.us/oauth/token' });
  // @ts-expect-error unknown option
  client.connectEvents({ url: 'wss://ws.zoom.us/ws', heartbeat: 1 });
  // @ts-expect-error eventsOnly is a boolean
  new RtmsClient({ clientId: 'i', clientSecret: 's', eventsOnly: 'yes' });
});

test('coordinator election and offer seam', () => {
  const c = {} as RedisCoordinator;
  const election = c.lead('events:x', (leading) => expectTypeOf(leading).toBeBoolean());
  expectTypeOf(election).toEqualTypeOf<LeaderElection>();
  expectTypeOf(election.epoch).toEqualTypeOf<number | undefined>();
  expectTypeOf(election.resign()).resolves.toBeVoid();
  expectTypeOf(c.offer).returns.resolves.toEqualTypeOf<OfferOutcome>();
  expectTypeOf<OfferOutcome>().toEqualTypeOf<'offered' | 'owned' | 'unavailable'>();
  // Optional on the seam: a coordinator without them is still a StreamCoordinator.
  expectTypeOf<StreamCoordinator['lead']>().toEqualTypeOf<((role: string, onChange: (leading: boolean) => void) => LeaderElection) | undefined>();
});

test('conformance run through the event socket', () => {
  expectTypeOf(runConformance).parameter(0).toHaveProperty('delivery').toEqualTypeOf<'webhook' | 'events' | undefined>();
  void runConformance({ delivery: 'events', clientId: 'i', clientSecret: 's', onEventEndpoints: (e) => expectTypeOf(e).toEqualTypeOf<ConformanceEventEndpoints>() });
  // @ts-expect-error delivery is 'webhook' or 'events'
  void runConformance({ delivery: 'socket', clientId: 'i', clientSecret: 's' });
  const r = {} as ConformanceReport;
  expectTypeOf(r.delivery).toEqualTypeOf<'webhook' | 'events'>();
  expectTypeOf(r.eventSocket?.heartbeats).toEqualTypeOf<number | undefined>();
});
