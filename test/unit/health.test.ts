/**
 * The health answer built from a report: 200 while ready, 503 otherwise (and, on request, while a shared
 * coordinator's store does not answer); a small body without the coordinator's details.
 */
import { describe, expect, it } from 'vitest';
import { healthAnswer, type HealthReport } from '../../src/health.js';

const report = (over: Partial<HealthReport> = {}): HealthReport => ({
  status: 'ok',
  live: true,
  ready: true,
  sessions: { total: 3, streaming: 2, connecting: 0, reconnecting: 1, stopping: 0 },
  coordinator: { shared: false, reachable: true, status: undefined },
  eventStreams: { total: 0, connected: 0, connecting: 0, reconnecting: 0, standby: 0 },
  ...over,
});

describe('healthAnswer', () => {
  it('answers 200 with a small body when ready', () => {
    const a = healthAnswer(report());
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ status: 'ok', live: true, ready: true, sessions: { total: 3, streaming: 2, reconnecting: 1 }, coordinator: 'local', eventStreams: { total: 0, connected: 0, reconnecting: 0 } });
  });

  it('folds event streams opening for the first time into reconnecting, and leaves standby out of both', () => {
    const a = healthAnswer(report({ status: 'degraded', eventStreams: { total: 4, connected: 1, connecting: 1, reconnecting: 1, standby: 1 } }));
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ status: 'degraded', eventStreams: { total: 4, connected: 1, reconnecting: 2 } });
  });

  it('answers 503 when not ready', () => {
    expect(healthAnswer(report({ status: 'unavailable', live: false, ready: false })).status).toBe(503);
  });

  it('stays 200 while the store is unreachable unless asked to require it; never leaks lastError', () => {
    const r = report({
      status: 'degraded',
      coordinator: { shared: true, reachable: false, status: { state: 'unreachable', since: 1, unconfirmedStreams: 2, pendingOperations: 1, lastError: 'connect ECONNREFUSED 10.0.0.5:6379' } },
    });
    const a = healthAnswer(r);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ status: 'degraded', coordinator: 'unreachable' });
    expect(a.body).not.toContain('ECONNREFUSED');
    expect(healthAnswer(r, { requireCoordinator: true }).status).toBe(503);
  });

  it('says unknown for a shared coordinator without a status, and HEAD has no body', () => {
    const a = healthAnswer(report({ coordinator: { shared: true, reachable: undefined, status: undefined } }), { head: true, requireCoordinator: true });
    expect(a).toEqual({ status: 200, body: '' });
    expect(JSON.parse(healthAnswer(report({ coordinator: { shared: true, reachable: undefined, status: undefined } })).body).coordinator).toBe('unknown');
  });
});
