/**
 * diagnostics_channel publishing: stable names, nothing built without a subscriber, messages as documented.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DIAGNOSTICS_CHANNELS } from '../../src/index.js';
import { publishReconnect, publishWebhook } from '../../src/diagnostics.js';

describe('diagnostics channels', () => {
  it('has stable, documented names', () => {
    expect(DIAGNOSTICS_CHANNELS).toEqual({
      sessionState: 'rtms-client:session:state',
      webhook: 'rtms-client:webhook',
      error: 'rtms-client:error',
      reconnect: 'rtms-client:reconnect',
    });
    expect(Object.isFrozen(DIAGNOSTICS_CHANNELS)).toBe(true);
  });

  it('builds no message while nobody subscribes', () => {
    let built = 0;
    publishWebhook(() => {
      built++;
      return { event: 'x', status: 200, outcome: 'accepted', code: undefined, streamId: undefined };
    });
    expect(diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.webhook).hasSubscribers).toBe(false);
    expect(built).toBe(0);
  });

  it('publishes to a subscriber, and stops when it unsubscribes', () => {
    const got: unknown[] = [];
    const fn = (m: unknown) => got.push(m);
    diagnosticsChannel.subscribe(DIAGNOSTICS_CHANNELS.reconnect, fn);
    onTestFinished(() => void diagnosticsChannel.unsubscribe(DIAGNOSTICS_CHANNELS.reconnect, fn));
    publishReconnect(() => ({ phase: 'reconnected', streamId: 's', scope: 'media', attempts: 1, downtimeMs: 12 }));
    diagnosticsChannel.unsubscribe(DIAGNOSTICS_CHANNELS.reconnect, fn);
    publishReconnect(() => ({ phase: 'reconnected', streamId: 's', scope: 'media', attempts: 2, downtimeMs: 12 }));
    expect(got).toEqual([{ phase: 'reconnected', streamId: 's', scope: 'media', attempts: 1, downtimeMs: 12 }]);
  });
});
